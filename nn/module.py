"""``Module`` and ``Parameter``: the containers that networks are built from, as in PyTorch."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from autograd import OpError, Tensor, no_grad


class Parameter(Tensor):
    """A Tensor that a Module owns and an optimizer updates: it requires grad by default."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, name: str | None = None) -> None:
        super().__init__(data, requires_grad=requires_grad, name=name)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Tensor"):]


def _holds_parameters(value: Any) -> bool:
    """True for a Module or Parameter, or a list, tuple or dict holding one."""
    if isinstance(value, (Module, Parameter)):
        return True
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    return any(isinstance(v, (Module, Parameter)) for v in items)


def some(keys: list[str], shown: int = 5) -> str:
    """The first few keys and how many more: ``['a', 'b'] and 199,998 more`` (an error message
    about a file with 200,000 stray keys stays one short line)."""
    more = len(keys) - shown
    return f"{keys[:shown]}" + (f" and {more:,} more" if more > 0 else "")


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class HookHandle:
    """What ``register_forward_hook`` returns: ``remove()`` takes the hook off again."""

    def __init__(self, hooks: dict[int, Any], key: int) -> None:
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


class Module:
    """Base class of layers, losses and models.

    Subclasses set their parameters and submodules as attributes (directly, or in lists,
    tuples and dicts) and define ``forward``. Each parameter's ``.name`` is its path from the
    outermost module it was put in (``layers.0.weight``), kept up to date as modules are nested.
    An op that refuses its input raises an error that names the module path
    (``MLP(2→4→1) › Linear(2→4): linear: ...``). Graph pictures draw each module call as a box
    (``autograd.teach.module_boxes``); a module with ``boxed = False`` (the activations, whose
    one op node already says what they are) draws none.
    """

    training: bool = True
    boxed: bool = True  # draw this module's calls as a box in graph pictures
    _forward_hooks: dict[int, Any] = {}  # noqa: RUF012  (replaced per instance by register_forward_hook)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            out = self.forward(*args, **kwargs)
        except OpError as err:
            raise OpError(f"{self.graph_label()} › {err}") from err
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, out)
                out = out if result is None else result
        return out

    def register_forward_hook(self, hook: Any) -> HookHandle:
        """Call ``hook(module, args, output)`` after every forward call (as PyTorch); a hook
        that returns something replaces the output. Returns a handle to ``remove()`` it."""
        if "_forward_hooks" not in vars(self):
            self._forward_hooks = {}
        key = max(self._forward_hooks, default=-1) + 1
        self._forward_hooks[key] = hook
        return HookHandle(self._forward_hooks, key)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if _holds_parameters(value):
            self._name_parameters()

    def _name_parameters(self) -> None:
        """Give every parameter below this module its path as ``.name``."""
        for _ in self.named_parameters():
            pass

    def graph_label(self) -> str:
        """The label of this module's box in graph pictures."""
        return type(self).__name__

    # ---- discovery ---------------------------------------------------------------------
    def _own_members(self, kind: type) -> Iterator[tuple[str, Any]]:
        """Attributes of type ``kind``, and those inside lists, tuples and dicts, with the
        names PyTorch gives them (``weight``, ``layers.0``, ``heads.left``)."""
        for name, value in vars(self).items():
            if isinstance(value, kind):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, kind):
                        yield f"{name}.{i}", item
            elif isinstance(value, dict):
                for key, item in value.items():
                    if isinstance(item, kind):
                        yield f"{name}.{key}", item

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct submodules, with their names."""
        yield from self._own_members(Module)

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (name ``prefix``) and every submodule below it, depth first."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            kids = [(f"{name}.{n}" if name else n, m) for n, m in module.named_children()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter below this module, once each, named by its path
        (``layers.0.weight``). Each parameter's ``.name`` is set to that path, so graph
        pictures read well."""
        seen: set[int] = set()
        for module_name, module in self.named_modules(prefix):
            for name, param in module._own_members(Parameter):
                if id(param) in seen:  # a parameter shared by two modules is listed once
                    continue
                seen.add(id(param))
                full = f"{module_name}.{name}" if module_name else name
                param.name = full
                yield full, param

    def parameters(self) -> Iterator[Parameter]:
        for _, param in self.named_parameters():
            yield param

    # ---- training ------------------------------------------------------------------------
    def zero_grad(self) -> None:
        """Forget the gradients of every parameter (set them to None, as PyTorch does)."""
        for param in self.parameters():
            param.grad = None

    def to(self, dtype: Any) -> Module:
        """Convert every parameter to ``dtype`` (float32 or float64), in place, and return
        self (as ``torch.nn.Module.to``). Make the optimizer after this: it keeps the
        parameters' arrays."""
        params = list(self.parameters())
        try:
            with no_grad():
                converted = [param.astype(dtype) for param in params]
        except TypeError as err:
            raise TypeError(f"{type(self).__name__}.to: dtype must be float32 or float64, got {dtype!r}") from err
        for param, new in zip(params, converted, strict=True):
            param.data = new.data
            param.grad = None
        return self

    def float(self) -> Module:
        """``to(float32)``."""
        return self.to(np.float32)

    def double(self) -> Module:
        """``to(float64)``."""
        return self.to(np.float64)

    def train(self, mode: bool = True) -> Module:
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    # ---- state -----------------------------------------------------------------------------
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Every parameter's values, by name, as numpy arrays (copies)."""
        return OrderedDict((name, param.data.copy()) for name, param in self.named_parameters())

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters of the same names.

        Everything is checked before anything is written, so on an error the module is left
        as it was. With ``strict``, a missing or unexpected key is an error; a shape mismatch
        always is.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expects a mapping of names to arrays, got {type(state_dict).__name__}")
        params = dict(self.named_parameters())
        missing = [k for k in params if k not in state_dict]
        unexpected = [k for k in state_dict if k not in params]
        problems = []
        if strict and missing:
            problems.append(f"missing key(s) {some(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected key(s) {some(unexpected)} (this module has {some(list(params))})")
        values = {}
        for key in params.keys() & state_dict.keys():
            value = state_dict[key]
            value = value.data if isinstance(value, Tensor) else np.asarray(value)
            if value.shape != params[key].shape:
                problems.append(f"key {key!r}: the state dict has shape {value.shape}, "
                                f"the module's parameter has shape {params[key].shape}")
            elif value.dtype.kind not in "fiub":
                problems.append(f"key {key!r}: values of dtype {value.dtype} are not numbers")
            values[key] = value
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems))
        with no_grad():
            for key, value in values.items():
                params[key].copy_(value)
        return IncompatibleKeys(missing, unexpected)

    # ---- printing --------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The settings shown between the parentheses of this module's repr."""
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = []
        if self.extra_repr():
            lines.append(self.extra_repr())
        for name, child in children:
            lines.append(f"({name}): " + repr(child).replace("\n", "\n  "))
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"
