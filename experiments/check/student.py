"""The student's file: loading it, finding the network in it, and calling its code.

Running the file runs the student's own code, in this process, with the user's rights (as
``python my_lab.py`` would): the checker is meant for one's own file on one's own machine.
An exception raised by that code becomes one ``StudentError`` line naming the file, the line
and the function; a file that does not fit the protocol gets one ``ProtocolError`` line.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import io
import sys
import traceback
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograd import Tensor


class ProtocolError(ValueError):
    """The file does not fit the checker's protocol (no network found, an argument it cannot fill)."""


class StudentError(RuntimeError):
    """The student's code raised: the message names the file, the line and the function."""


# ---- names the checker understands --------------------------------------------------------------
INPUT_NAMES = ("x", "X", "inputs", "input", "data", "features", "x_train", "X_train")
TARGET_NAMES = ("y", "y_true", "ytrue", "Y", "target", "targets", "label", "labels", "gt", "ground_truth",
                "y_train", "t")
PREDICTION_NAMES = ("y_pred", "ypred", "pred", "prediction", "predictions", "y_hat", "yhat", "output", "outputs",
                    "out", "pred_y", "y_predict")
UPSTREAM_NAMES = ("dy", "dy_pred", "d_pred", "dpred", "dout", "d_out", "grad", "grad_output", "grad_out", "dL_dy",
                  "dloss", "d_loss", "upstream", "dy_hat", "dyhat", "d_y_pred", "dL_dy_pred")
RATE_NAMES = ("lr", "learning_rate", "eta", "rho", "alpha", "step_size")
LOSS_NAMES = ("loss", "compute_loss", "loss_fn", "loss_function", "mse_loss", "mse", "criterion")
PARAMS_NAMES = ("params", "parameters", "weights", "model", "net", "network", "theta")


@dataclass
class Network:
    """What the file defines: a class with ``forward`` and ``backward`` (``kind`` "class"), or
    top-level functions ``forward`` and ``backward`` (``kind`` "functions")."""

    path: Path
    module: types.ModuleType
    kind: str
    cls: type | None
    forward: Callable[..., Any]
    backward: Callable[..., Any]
    loss: Callable[..., Any] | None  # the file's loss function (unbound for a method), or None: MSE
    loss_is_method: bool = False

    @property
    def title(self) -> str:
        return f"class {self.cls.__name__}" if self.cls is not None else "functions forward and backward"


# ---- loading ----------------------------------------------------------------------------------------
def load(path: Path, net: str | None = None) -> Network:
    """Import the file as a module (not as ``__main__``, so its ``if __name__ == "__main__":``
    block does not run) and find the network in it."""
    if not path.is_file():
        raise ProtocolError(f"{path}: no such file")
    if path.suffix != ".py":
        raise ProtocolError(f"{path}: expects a Python file (.py)")
    name = f"_chainrule_check_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as an import would (dataclasses and pickling look the module up there)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # so that the file's own imports of its neighbours work
    try:
        with running(path, "import"):
            spec.loader.exec_module(module)
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)
    return find(path, module, net)


def find(path: Path, module: types.ModuleType, net: str | None) -> Network:
    """The class with ``forward`` and ``backward`` the file defines (``net`` names one when it
    defines several), else its functions ``forward`` and ``backward``."""
    classes = {n: c for n, c in vars(module).items() if inspect.isclass(c) and c.__module__ == module.__name__
               and callable(getattr(c, "forward", None)) and callable(getattr(c, "backward", None))}
    if net is not None:
        if net not in classes:
            raise ProtocolError(f"{path.name}: no class {net!r} with forward and backward methods; found: "
                                f"{', '.join(classes) or 'none'}")
        classes = {net: classes[net]}
    if len(classes) > 1:  # a network of layers: the one built without arguments is the network
        bare = {n: c for n, c in classes.items() if not [p for p in parameters(c) if p.default is p.empty]}
        classes = bare if len(bare) == 1 else classes
    if len(classes) > 1:
        raise ProtocolError(f"{path.name} defines {len(classes)} classes with forward and backward "
                            f"({', '.join(classes)}); choose one with --net NAME")
    if classes:
        cls = next(iter(classes.values()))
        method = next((getattr(cls, n) for n in LOSS_NAMES if callable(getattr(cls, n, None))), None)
        return Network(path, module, "class", cls, cls.forward, cls.backward, method or _module_loss(module),
                       method is not None)
    forward, backward = getattr(module, "forward", None), getattr(module, "backward", None)
    if inspect.isfunction(forward) and inspect.isfunction(backward):
        return Network(path, module, "functions", None, forward, backward, _module_loss(module))
    raise ProtocolError(f"{path.name} defines no class with forward and backward methods, and no functions "
                        f"forward and backward: see 'python -m experiments.check --help' for what the checker "
                        f"looks for")


def _module_loss(module: types.ModuleType) -> Callable[..., Any] | None:
    return next((f for n in LOSS_NAMES if inspect.isfunction(f := getattr(module, n, None))), None)


# ---- running the student's code ----------------------------------------------------------------------
@contextlib.contextmanager
def running(path: Path, what: str) -> Iterator[None]:
    """Run the student's code: its printing is kept off the screen, and an exception it raises
    becomes one StudentError line naming its file, line and function."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    except (ProtocolError, StudentError, KeyboardInterrupt):
        raise
    except (Exception, SystemExit) as err:  # whatever their code raised (or an exit() it called), in one line
        raise StudentError(where(err, path, what)) from err


def where(err: BaseException, path: Path, what: str) -> str:
    """``my_lab.py:23 in backward: ValueError: ...``: the innermost line of the student's file
    the exception passed through."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename).resolve() == path.resolve()]
    place = f"{path.name}:{frames[-1].lineno} in {frames[-1].name}" if frames else f"{path.name} ({what})"
    if isinstance(err, SyntaxError) and err.lineno is not None:
        place = f"{Path(err.filename or path).name}:{err.lineno}"
    if isinstance(err, SystemExit):
        return f"{place}: the file called exit({err.code!r}) while the checker ran it ({what})"
    message = " ".join(str(err).split()) or "(no message)"
    hint = _hint(err)
    return f"{place}: {type(err).__name__}: {message}{hint}"


def _hint(err: BaseException) -> str:
    if type(err).__name__ == "NumpyError":
        return " (the checker runs your forward pass and loss on chainrule Tensors, so that the engine can " \
               "differentiate them)"
    if isinstance(err, AttributeError) and "'Tensor' object has no attribute" in str(err):
        return (" (the checker runs your forward pass on chainrule Tensors, which have numpy's operators and "
                "functions but not every array method: write np.dot(a, b) or a @ b for a.dot(b), np.sum(a) for "
                "a.sum() with unusual arguments)")
    return ""


def call(fn: Callable[..., Any], args: dict[str, Any], path: Path, what: str) -> tuple[Any, dict[str, Any]]:
    """Call ``fn(**args)`` as the student's code, and return its result with the local
    variables it had when it returned (read with a profile hook)."""
    code = getattr(fn, "__func__", fn).__code__
    seen: dict[str, dict[str, Any]] = {}

    def profile(frame: types.FrameType, event: str, arg: Any) -> None:
        if event == "return" and frame.f_code is code:  # the outermost call returns last
            seen["locals"] = dict(frame.f_locals)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        with running(path, what):
            result = fn(**args)
    finally:
        sys.setprofile(previous)
    return result, seen.get("locals", {})


def parameters(fn: Callable[..., Any]) -> list[inspect.Parameter]:
    """The parameters of a function or a bound method (without self)."""
    return [p for p in inspect.signature(fn).parameters.values()
            if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]


def bind(fn: Callable[..., Any], offer: dict[str, Any], what: str, path: Path, explain: str) -> dict[str, Any]:
    """Fill ``fn``'s parameters by name from ``offer``; a parameter with a default that is not
    offered keeps its default; any other is a ProtocolError naming it and saying what the
    checker can pass (``explain``)."""
    args: dict[str, Any] = {}
    for p in parameters(fn):
        if p.name in offer:
            args[p.name] = offer[p.name]
        elif p.default is inspect.Parameter.empty:
            raise ProtocolError(f"{path.name}: {what} takes a parameter {p.name!r} the checker cannot fill; "
                                f"{explain}")
    return args


def is_tensor(value: Any) -> bool:
    return isinstance(value, Tensor)
