"""A small, safe expression language for the chain-rule explorer.

Numbers, named variables, ``+ - * / **``, unary ``-``, parentheses, and calls of the
engine's functions (``exp log sqrt abs sigmoid tanh relu leaky_relu softplus``). The text
is parsed with ``ast`` and checked against this allow-list before anything is evaluated:
attribute access, other calls, ``__import__``, lambdas, comprehensions, subscripts,
keywords, strings... are refused with an error that names what was found.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from autograd import Tensor

FUNCTIONS: dict[str, Callable[..., Tensor]] = {
    "exp": Tensor.exp,
    "log": Tensor.log,
    "sqrt": Tensor.sqrt,
    "abs": Tensor.abs,
    "sigmoid": Tensor.sigmoid,
    "tanh": Tensor.tanh,
    "relu": Tensor.relu,
    "leaky_relu": Tensor.leaky_relu,
    "softplus": Tensor.softplus,
}
BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
UNARY = {ast.USub: "-", ast.UAdd: "+"}
MAX_LENGTH = 2000


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
class Expression:
    """A checked expression: its text, its tree, and its variables in order of appearance."""

    text: str
    tree: ast.Expression
    variables: tuple[str, ...]

    def evaluate(self, values: Mapping[str, float]) -> tuple[Tensor, dict[str, Tensor]]:
        """Build the graph: each variable a leaf that requires grad (named after it).
        Returns the result and the variables' tensors."""
        missing = [v for v in self.variables if v not in values]
        if missing:
            raise ExpressionError(f"no value given for variable(s) {', '.join(missing)}")
        leaves = {v: Tensor(float(values[v]), requires_grad=True, name=v) for v in self.variables}
        result = _Evaluator(leaves).visit(self.tree.body)
        if not isinstance(result, Tensor):  # the expression holds no variable
            result = Tensor(result)
        return result, leaves


def parse(text: str) -> Expression:
    """Check ``text`` against the language and return it as an Expression, or raise
    ExpressionError naming the first thing that is not allowed. Nothing is evaluated."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"not a valid expression: {err.msg} (at column {err.offset})") from None
    variables: list[str] = []
    _check(tree.body, variables)
    return Expression(text.strip(), tree, tuple(variables))


def _check(node: ast.AST, variables: list[str]) -> None:
    if isinstance(node, ast.BinOp):
        if type(node.op) not in BINARY:
            raise ExpressionError(f"the operator {type(node.op).__name__} is not allowed; allowed: + - * / **")
        _check(node.left, variables)
        _check(node.right, variables)
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in UNARY:
            raise ExpressionError(f"the unary operator {type(node.op).__name__} is not allowed; allowed: - +")
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


def _is_number(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


class _Evaluator(ast.NodeVisitor):
    """Evaluates a checked tree with tensor operations; numbers stay floats until they meet
    a tensor, so constant arithmetic such as 10 ** 10 ** 10 cannot run away."""

    def __init__(self, leaves: dict[str, Tensor]) -> None:
        self.leaves = leaves

    def visit_BinOp(self, node: ast.BinOp) -> Tensor | float:
        left, right = self.visit(node.left), self.visit(node.right)
        if not isinstance(left, Tensor) and not isinstance(right, Tensor):
            left = Tensor(left)
        op = type(node.op)
        if op is ast.Add:
            return left + right
        if op is ast.Sub:
            return left - right
        if op is ast.Mult:
            return left * right
        if op is ast.Div:
            return left / right
        return left**right

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Tensor | float:
        value = self.visit(node.operand)
        return -value if isinstance(node.op, ast.USub) else value

    def visit_Constant(self, node: ast.Constant) -> float:
        return float(node.value)

    def visit_Name(self, node: ast.Name) -> Tensor:
        return self.leaves[node.id]

    def visit_Call(self, node: ast.Call) -> Tensor:
        args = [self.visit(a) for a in node.args]
        x = args[0] if isinstance(args[0], Tensor) else Tensor(args[0])
        return FUNCTIONS[node.func.id](x, *args[1:])
