"""A small, safe expression language for the chain-rule explorer.

Numbers, named variables, ``+ - * / **``, unary ``-``, parentheses, and calls of the
engine's functions (``exp log sqrt abs sigmoid tanh relu leaky_relu softplus``, elementwise,
and the reductions ``sum mean``). A variable's value is a number or a short list of numbers
(a 1-D Tensor); operators and functions work elementwise, with numpy's broadcasting. The text
is parsed with ``ast`` and checked against this allow-list before anything is evaluated:
attribute access, other calls, ``__import__``, lambdas, comprehensions, subscripts,
keywords, strings... are refused with an error that names what was found.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from autograd import OPS, Tensor
from experiments.flags import not_utf8

# The functions an expression may call (an allow-list: nothing else can run), each the engine's
# op of that name; its symbol, rule and words come from the op's one entry in autograd.OPS.
FUNCTIONS: dict[str, Callable[..., Tensor]] = {
    name: getattr(Tensor, name) for name in ("exp", "log", "sqrt", "abs", "sigmoid", "tanh", "relu", "leaky_relu",
                                             "softplus", "sum", "mean")
}
Value = float | Sequence[float]  # a variable's value: a number, or a flat list of numbers


def describe(name: str) -> str:
    """A function of the language as the engine describes it: ``sigmoid (σ): d/du sigmoid(u) = s·(1-s)``."""
    op = OPS[name]
    return f"{name} ({op.symbol}): {op.rule}"
BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
UNARY = {ast.USub: "-", ast.UAdd: "+"}
_REFUSED_SYMBOLS = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitXor: "^", ast.BitAnd: "&",
                    ast.BitOr: "|", ast.LShift: "<<", ast.RShift: ">>", ast.Invert: "~", ast.Not: "not"}
MAX_LENGTH = 2000
# Each operator and call is a level: a + b + c is 2 deep, sigmoid(a*b + c) 3. The checks and
# the evaluation below recurse once per level, so the depth is bounded well inside Python's stack.
MAX_DEPTH = 100


class ExpressionError(ValueError):
    """The expression uses something outside the language."""


_DESCRIBE = {
    ast.Attribute: "attribute access (x.y)",
    ast.Subscript: "indexing (x[i])",
    ast.Lambda: "lambda",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Compare: "a comparison",
    ast.BoolOp: "and / or",
    ast.IfExp: "a conditional expression",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.NamedExpr: "the := operator",
    ast.JoinedStr: "an f-string",
    ast.Starred: "*unpacking",
    ast.Await: "await",
}


@dataclass(frozen=True)
class Step:
    """One node of the expression as evaluated: its tensor, its source text (``a * b``), what
    it is (an operator such as ``/``, a function name, ``variable`` or ``number``) and its
    operands (tensors, or plain numbers where no variable is involved)."""

    tensor: Tensor
    text: str
    kind: str
    operands: tuple[Tensor | float, ...] = ()


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, its tree, and its variables in order of appearance."""

    text: str
    tree: ast.Expression
    variables: tuple[str, ...]

    def evaluate(self, values: Mapping[str, Value]) -> tuple[Tensor, dict[str, Tensor]]:
        """Build the graph: each variable a leaf that requires grad (named after it), a scalar
        or, for a list of numbers, a 1-D Tensor. Returns the result and the variables' tensors."""
        root, steps = self.trace(values)
        return root, {s.text: s.tensor for s in steps if s.kind == "variable"}

    def trace(self, values: Mapping[str, Value], *, per_use: bool = False) -> tuple[Tensor, list[Step]]:
        """Build the graph and return its result with every step, operands before the steps
        that use them. With ``per_use``, each use of a variable is a leaf of its own, so a
        leaf's gradient is what that one use hands back (for finding where a gradient breaks)."""
        missing = [v for v in self.variables if v not in values]
        if missing:
            raise ExpressionError(f"no value given for variable(s) {', '.join(missing)}")
        evaluator = _Evaluator({v: leaf_value(v, values[v]) for v in self.variables}, per_use)
        result = evaluator.visit(self.tree.body)
        if not isinstance(result, Tensor):  # the expression holds no variable
            result = Tensor(result)
            evaluator.steps.append(Step(result, ast.unparse(self.tree.body), "number"))
        return result, evaluator.steps


def leaf_value(name: str, value: Value) -> float | np.ndarray:
    """A variable's value as a float, or a list of numbers as a 1-D float64 array."""
    if isinstance(value, (list, tuple, np.ndarray)):
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            array = None
        if array is None or array.ndim != 1 or array.size == 0:
            raise ExpressionError(f"the value of {name} must be a number or a flat, non-empty list of numbers")
        return array
    return float(value)


def parse(text: str) -> Expression:
    """Check ``text`` against the language and return it as an Expression, or raise
    ExpressionError naming the first thing that is not allowed. Nothing is evaluated."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    problem = not_utf8(text)
    if problem:
        raise ExpressionError(f"the expression {problem}")
    text = text.strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        raise ExpressionError(_syntax_message(text, err)) from None
    except (RecursionError, MemoryError):  # Python's own parser gives up on very deep nesting
        raise ExpressionError(f"the expression is nested too deeply; at most {MAX_DEPTH} levels are allowed") \
            from None
    depth = _depth(tree.body)
    if depth > MAX_DEPTH:
        raise ExpressionError(f"the expression is {depth} levels deep (each operator and call is a level: "
                              f"a + b + c is 2); at most {MAX_DEPTH} are allowed")
    variables: list[str] = []
    _check(tree.body, variables)
    _check_numbers(tree, text)
    return Expression(text, tree, tuple(variables))


def _depth(root: ast.AST) -> int:
    """How deep the tree is, counted without recursion (the tree may be very deep)."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))
    return deepest - 1


_DIGITS = r"\d(?:_?\d)*"
_NUMBER = rf"(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?\d+)?"
_NUMBER_INTO_NAME = re.compile(rf"(?<![\w.])({_NUMBER})([A-Za-z_]\w*)")  # 2x, 1.5e3y


def _syntax_message(text: str, err: SyntaxError) -> str:
    """Python's syntax error, with what to write instead where a mistake is common."""
    where = f" (at column {err.offset})" if err.offset else ""
    if "literal" in (err.msg or "") and err.offset:  # Python points at the number's last digit
        for joined in _NUMBER_INTO_NAME.finditer(text):
            if joined.start(1) < err.offset <= joined.end(2):
                number, name = joined.groups()
                return f"{number}{name} is not a product: write {number}*{name}{where}"
    return f"not a valid expression: {err.msg}{where}"


def _check(node: ast.AST, variables: list[str]) -> None:
    if isinstance(node, ast.BinOp):
        if type(node.op) not in BINARY:
            raise ExpressionError(_operator_message(node.op, "+ - * / **"))
        _check(node.left, variables)
        _check(node.right, variables)
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in UNARY:
            raise ExpressionError(_operator_message(node.op, "- +", "unary "))
        _check(node.operand, variables)
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"only numbers are allowed as constants, found {node.value!r}")
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise ExpressionError(f"{node.id} is a function: call it, as {node.id}(x)")
        if node.id.startswith("_"):
            raise ExpressionError(f"names starting with '_' are not allowed, found {node.id!r}")
        if node.id not in variables:
            variables.append(node.id)
    elif isinstance(node, ast.Call):
        if isinstance(node.func, ast.Constant) and len(node.args) == 1 and not node.keywords:
            factor = ast.unparse(node.func)
            raise ExpressionError(f"{factor}(...) is not a product: write {factor}*({ast.unparse(node.args[0])})")
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            what = f"calling {name!r}" if name else "calling anything but a function name"
            raise ExpressionError(f"{what} is not allowed; allowed functions: {', '.join(FUNCTIONS)}")
        if node.keywords:
            raise ExpressionError(f"{name}() takes no keyword arguments")
        arity = (1, 2) if name == "leaky_relu" else (1,)
        if len(node.args) not in arity:
            raise ExpressionError(f"{name}() takes {' or '.join(map(str, arity))} argument(s), got {len(node.args)}")
        if name == "leaky_relu" and len(node.args) == 2 and not _is_number(node.args[1]):
            raise ExpressionError("leaky_relu's second argument (the negative slope) must be a number")
        for arg in node.args:
            _check(arg, variables)
    else:
        what = _DESCRIBE.get(type(node), type(node).__name__)
        raise ExpressionError(f"{what} is not allowed in an expression; allowed: numbers, variables, "
                              f"+ - * / **, parentheses and the functions {', '.join(FUNCTIONS)}")


def _operator_message(op: ast.AST, allowed: str, kind: str = "") -> str:
    name, symbol = type(op).__name__, _REFUSED_SYMBOLS.get(type(op), "")
    if isinstance(op, ast.BitXor):
        return "^ is not a power here (it is bitwise xor, BitXor): use ** for powers, as in x**2"
    return f"the {kind}operator {symbol} ({name}) is not allowed; allowed: {allowed}"


def _check_numbers(tree: ast.AST, text: str) -> None:
    """Every number is one a float64 holds (1e400 and a 401-digit integer are not)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, (int, float)):
            continue
        try:
            fits = math.isfinite(float(node.value))
        except OverflowError:
            fits = False
        if not fits:
            literal = ast.get_source_segment(text, node) or str(node.value)
            shown = literal if len(literal) <= 24 else f"{literal[:12]}... ({len(literal)} characters)"
            raise ExpressionError(f"the number {shown} is too large for a float64 (at most about 1.8e308)")


def _is_number(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


class _Evaluator(ast.NodeVisitor):
    """Evaluates a checked tree with tensor operations, noting each step; numbers stay floats
    until they meet a tensor, so constant arithmetic such as 10 ** 10 ** 10 cannot run away."""

    def __init__(self, values: dict[str, float | np.ndarray], per_use: bool) -> None:
        self.values, self.per_use = values, per_use
        self.leaves: dict[str, Tensor] = {}
        self.steps: list[Step] = []

    def _note(self, node: ast.AST, result: Tensor, kind: str, operands: tuple[Tensor | float, ...]) -> Tensor:
        self.steps.append(Step(result, ast.unparse(node), kind, operands))
        return result

    def visit_BinOp(self, node: ast.BinOp) -> Tensor:
        left, right = self.visit(node.left), self.visit(node.right)
        if not isinstance(left, Tensor) and not isinstance(right, Tensor):
            left = Tensor(left)
        op = type(node.op)
        if op is ast.Add:
            result = left + right
        elif op is ast.Sub:
            result = left - right
        elif op is ast.Mult:
            result = left * right
        elif op is ast.Div:
            result = left / right
        else:
            result = left**right
        return self._note(node, result, BINARY[op], (left, right))

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Tensor | float:
        value = self.visit(node.operand)
        if isinstance(node.op, ast.UAdd):
            return value
        return self._note(node, -value, "-", (value,)) if isinstance(value, Tensor) else -value

    def visit_Constant(self, node: ast.Constant) -> float:
        return float(node.value)

    def visit_Name(self, node: ast.Name) -> Tensor:
        name = node.id
        if self.per_use or name not in self.leaves:
            self.leaves[name] = Tensor(self.values[name], requires_grad=True, name=name)
            self.steps.append(Step(self.leaves[name], name, "variable"))
        return self.leaves[name]

    def visit_Call(self, node: ast.Call) -> Tensor:
        args = [self.visit(a) for a in node.args]
        x = args[0] if isinstance(args[0], Tensor) else Tensor(args[0])
        return self._note(node, FUNCTIONS[node.func.id](x, *args[1:]), node.func.id, (x,))
