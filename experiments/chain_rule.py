"""The chain rule, step by step, for an expression you type:

    python -m experiments.chain_rule "sigmoid(a*b + c)" --a 2 --b -3 --c 1 --out chain/

Prints the forward values, the backward pass node by node (``autograd.explain``) and each
variable's gradient; with ``--out``, writes ``graph.svg`` (values and gradients) and
``backward.html`` (a page that steps through the backward pass) into that folder.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from autograd import Tensor, explain, render
from experiments import flags
from experiments.expression import FUNCTIONS, Expression, ExpressionError, describe, parse
from experiments.nonfinite import problem
from experiments.outputs import OutputSet

RESERVED = {"out", "title", "help"}  # the options' names (-h is not one: a variable may be called h)
_OPTIONS = {"--out", "--title", "--help", "-h"}
# Every file a run writes into --out: a new run's set replaces the old one's whole (fewer steps, fewer frames).
OUTPUT_FILES = ("graph.svg", "graph.dot", "backward.html", "step_[0-9][0-9][0-9].svg", "step_[0-9][0-9][0-9].dot")


def _parser(variables: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The options, and ``--NAME VALUE`` (required) for each of the expression's variables."""
    parser = argparse.ArgumentParser(
        prog="python -m experiments.chain_rule", formatter_class=flags.HelpFormatter, allow_abbrev=False,
        description="Explain the chain rule on an expression: forward values, each backward step, gradients.",
        epilog=f"Functions: {'; '.join(describe(name) for name in FUNCTIONS)}. Give each variable a value with "
               '--NAME VALUE. An expression that starts with - goes after --, as in: --x 2 -- "-x**2".',
    )
    parser.add_argument("expression", help='for example "sigmoid(a*b + c)"')
    parser.add_argument("--out", type=flags.output_folder, help="folder to write graph.svg and backward.html into")
    parser.add_argument("--title", type=flags.utf8_text, help="title of the step page (default: the expression)")
    for name in variables or ():
        parser.add_argument(f"--{name}", dest=f"value of {name}", type=flags.finite_float, required=True,
                            metavar="VALUE", help=f"the value of {name}")
    return parser


def _expression(argv: list[str]) -> Expression:
    """The expression in ``argv``, checked, before the variables' options exist: the
    ``--NAME VALUE`` pairs are set aside so neither is taken for the expression."""
    kept, skip = [], False
    for k, arg in enumerate(argv):
        if skip:
            skip = False
        elif arg == "--":
            kept += argv[k:]
            break
        elif arg.startswith("--") and arg.split("=")[0] not in _OPTIONS:
            skip = "=" not in arg
        else:
            kept.append(arg)
    base = _parser()
    for k, arg in enumerate(kept):
        if arg == "--":
            break
        if _looks_like_an_expression(arg) and not (k and kept[k - 1] in _OPTIONS):
            base.error(f'the expression {arg!r} starts with - and so reads as an option: put it last, after --, '
                       f'as in: --x 2 -- "{arg}"')
    known, _ = base.parse_known_args(kept)
    try:
        expression = parse(known.expression)
    except ExpressionError as err:
        base.error(f"the expression is refused: {err}")
    taken = [v for v in expression.variables if v in RESERVED]
    if taken:
        base.error(f"the variable name(s) {', '.join(taken)} clash with the program's options; rename them")
    return expression


def _looks_like_an_expression(arg: str) -> bool:
    """An argument argparse would take for an option although it is an expression: ``-x*2``
    (``-3`` and anything with a space are taken for what they are)."""
    return (arg.startswith("-") and not arg.startswith("--") and arg != "-h" and " " not in arg
            and not re.fullmatch(r"-\d+(\.\d*)?|-\.\d+", arg))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    expression = _expression(argv)
    parser = _parser(expression.variables)
    args = parser.parse_args(argv)
    values = {name: getattr(args, f"value of {name}") for name in expression.variables}
    name = "f" if "f" not in values else "result"
    broken = problem(expression, values, name)
    if broken:
        print(f"error: {broken}", file=sys.stderr)
        return 1
    if args.out is not None:
        try:
            args.out.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            parser.error(f"cannot create the output folder {args.out}: {err.strerror}")

    root, _ = expression.evaluate(values)
    root.name = name
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

    def write() -> int:
        graph, = outputs.write(lambda staging: explain_into(root, title, staging, out))
        print(f"Wrote {graph}")
        return 0

    return outputs.run(write)


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
