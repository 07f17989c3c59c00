"""The chain rule, step by step, for an expression you type:

    python -m experiments.chain_rule "sigmoid(a*b + c)" --a 2 --b -3 --c 1 --out chain/

Prints the forward values, the backward pass node by node (``autograd.explain``) and each
variable's gradient; with ``--out``, writes ``graph.svg`` (values and gradients) and
``backward.html`` (a page that steps through the backward pass) into that folder.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from autograd import Tensor, explain, render
from experiments.expression import FUNCTIONS, ExpressionError, parse
from experiments.outputs import OutputSet

RESERVED = {"out", "h", "help", "title"}
# Every file a run writes into --out: a new run's set replaces the old one's whole (fewer steps, fewer frames).
OUTPUT_FILES = ("graph.svg", "graph.dot", "backward.html", "step_[0-9][0-9][0-9].svg", "step_[0-9][0-9][0-9].dot")


def _base_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m experiments.chain_rule",
        description="Explain the chain rule on an expression: forward values, each backward step, gradients.",
        epilog=f"Functions: {', '.join(FUNCTIONS)}. Give each variable a value with --NAME VALUE.",
    )
    parser.add_argument("expression", help='for example "sigmoid(a*b + c)"')
    parser.add_argument("--out", type=Path, help="folder to write graph.svg and backward.html into")
    parser.add_argument("--title", help="title of the step page (default: the expression)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    base = _base_parser()
    known, _ = base.parse_known_args(argv)
    try:
        expression = parse(known.expression)
    except ExpressionError as err:
        base.error(f"the expression is refused: {err}")
    taken = [v for v in expression.variables if v in RESERVED]
    if taken:
        base.error(f"the variable name(s) {', '.join(taken)} clash with the program's options; rename them")
    parser = _base_parser()
    for name in expression.variables:
        parser.add_argument(f"--{name}", type=float, required=True, metavar="VALUE", help=f"the value of {name}")
    args = parser.parse_args(argv)
    values = {name: getattr(args, name) for name in expression.variables}
    if args.out is not None:
        try:
            args.out.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            parser.error(f"cannot create the output folder {args.out}: {err.strerror}")

    root, _ = expression.evaluate(values)
    root.name = "f" if "f" not in values else "result"
    shown = ", ".join(f"{k} = {v:g}" for k, v in values.items())
    print(f"{root.name} = {expression.text}" + (f"   with {shown}" if shown else ""))
    print()
    if not root.requires_grad:
        print(f"{root.name} = {root.item():g}: the expression has no variable, so there is nothing to differentiate.")
        return 0
    title = args.title or f"{root.name} = {expression.text}"
    if args.out is None:
        explain(root, title=title)
        return 0
    return explain_and_write(root, title, args.out)


def explain_and_write(root: Tensor, title: str, out: Path) -> int:
    """``explain`` with its step pictures and page, and ``graph.svg``, written into ``out`` as
    one set (see OutputSet); the exit status."""
    outputs = OutputSet(out, OUTPUT_FILES)
    try:
        graph, = outputs.write(lambda staging: explain_into(root, title, staging, out))
    except KeyboardInterrupt:
        print(f"interrupted (Ctrl-C): {outputs.kept()}", file=sys.stderr)
        return 130
    except OSError as err:
        print(outputs.failure(err), file=sys.stderr)
        return 1
    print(f"Wrote {graph}")
    return 0


def explain_into(root: Tensor, title: str, staging: Path, out: Path) -> list[Path]:
    """``explain`` with its step pictures and page written into ``staging``, and ``graph.svg``;
    the printed paths name ``out``, where the files will be."""
    explain(root, frames=staging, title=title, file=_Renamed(sys.stdout, str(staging), str(out)))
    return [render(root, staging / "graph.svg")]


class _Renamed(io.TextIOBase):
    """A text stream that writes to ``stream`` with ``old`` replaced by ``new``."""

    def __init__(self, stream: TextIO, old: str, new: str) -> None:
        self.stream, self.old, self.new = stream, old, new

    def write(self, text: str) -> int:
        self.stream.write(text.replace(self.old, self.new))
        return len(text)


if __name__ == "__main__":
    raise SystemExit(main())
