"""Check my backprop from the command line:

    python -m experiments.check my_lab.py [--out check/] [--data xor|linear] [--points 4]

Prints every gradient of the student's backward pass against the engine's, from the loss
backwards, and for the first that disagrees both values, a diagnosis and the engine's rule with
its numbers; with ``--out``, writes ``report.txt`` and ``graph.svg`` (the disagreeing tensors
in red) into that folder. Exit status: 0 when every gradient agrees, 1 when one disagrees (or
none could be compared), 2 for a usage error, 3 when the file could not be checked (its code
raised, or it does not fit the protocol), 130 after Ctrl-C.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from experiments.check import DATASETS, ProtocolError, StudentError, check

SAFETY = ("Running the check runs FILE's code (everything but its `if __name__ == \"__main__\":` block), with your "
          "rights, as `python FILE` would: check your own file on your own machine, not one you do not trust.")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m experiments.check",
        description="Check a numpy network's hand-written backward pass against chainrule's engine, tensor by "
                    "tensor from the loss backwards, and diagnose the first gradient that disagrees. " + SAFETY,
        epilog="FILE defines a class with forward(x) and backward(...) methods (weights as attributes, e.g. "
               "self.W1), or functions forward and backward (weights at module level); gradients are found by "
               "name (dW1, grad_W1, W1_grad, grads['W1'] for W1). See the README's 'Check my backprop'. Exit "
               "status: 0 all agree, 1 one disagrees, 2 usage error, 3 the file could not be checked.")
    p.add_argument("file", type=Path, metavar="FILE", help="the Python file with your network")
    p.add_argument("--out", type=Path, metavar="DIR", help="folder to write report.txt and graph.svg into")
    p.add_argument("--data", choices=DATASETS, default="xor", help="the lab's data to run on (default: xor)")
    p.add_argument("--points", type=_points, default=5, metavar="N",
                   help="how many points (default 5: every tensor small enough to show in full, and n unlike 2)")
    p.add_argument("--seed", type=int, default=0, help="seeds numpy's global generator while the network is built, "
                                                       "and the linear data (default 0)")
    p.add_argument("--net", metavar="NAME", help="the class to check, when the file defines several")
    p.add_argument("--init", action="append", default=[], metavar="NAME=VALUE", type=_setting,
                   help="an argument for the class's constructor (repeatable), e.g. --init hidden=4")
    return p


def _points(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"must be 1 to 1000, got {value}")
    return value


def _setting(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value  # a plain word stays a string


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if not args.file.is_file():
        p.error(f"{args.file}: no such file")
    if args.data == "xor" and args.points > 21:
        p.error(f"--points: XOR-easy has 21 points; choose 1 to 21, got {args.points}")
    if args.out is not None:
        try:
            args.out.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            p.error(f"cannot create the output folder {args.out}: {err.strerror}")
    try:
        report = check(args.file, data=args.data, points=args.points, seed=args.seed, net=args.net,
                       init=dict(args.init))
    except (ProtocolError, StudentError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    text = report.text
    print(text)
    if args.out is not None:
        _write(report, text, args.out)
    return 0 if report.ok else 1


def _write(report: Any, text: str, folder: Path) -> None:
    from autograd.teach import write_atomic
    from experiments.check.picture import save

    write_atomic(folder / "report.txt", text + "\n")
    picture = save(report, folder / "graph.svg")
    red = " (the gradients that disagree in red)" if not report.ok else ""
    print(f"\nWrote {folder / 'report.txt'} and {picture}{red}")


if __name__ == "__main__":
    sys.exit(main())
