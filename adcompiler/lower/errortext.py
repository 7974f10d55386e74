"""Error text: how the lowering names what it refuses.

The helpers here turn AST nodes, operators and objects into the words of
the error messages (``a for loop``, ``np.linalg.norm``, ``file.py:12``),
and give the usual hint for a construct the subset lacks. They read
nothing of the lowering's state, and every message keeps its wording.
"""

from __future__ import annotations

import ast
import io
import os
import tokenize
from typing import Any

import numpy as np

from ..primitives.record import public_name as _public_name

OP_SYMBOLS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.FloorDiv: "//",
    ast.Mod: "%",
}


def file_line(loc: Any) -> str:
    """``file.py:line`` of a location, without the directory."""
    return f"{os.path.basename(loc.file)}:{loc.line}"


def statement_text(loc: Any) -> str:
    """The source line of a location, without a trailing comment."""
    text = loc.text.strip()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return text
    comment = next((t for t in tokens if t.type == tokenize.COMMENT), None)
    return text[: comment.start[1]].rstrip() if comment else text


#: the libraries whose Python functions are named, and refused, as library
#: functions: adcompiler does not read their source (see library_function)
LIBRARIES = ("numpy", "scipy")


def library_function(obj: Any) -> bool:
    """Whether ``obj`` is a Python function of NumPy or SciPy: a call of it
    without a derivative rule is a :class:`NoRuleError` at the user's call,
    never a lowering of the library's own source (whose errors would point
    inside the library)."""
    module = getattr(obj, "__module__", None) or ""
    return module.partition(".")[0] in LIBRARIES


def static_name(obj: Any) -> str:
    """How an error names a function or object: ``np.sum``,
    ``np.linalg.norm``, ``math.exp``, ``len``, ``scipy.special.gammaln``,
    ``scipy.stats.norm.logpdf`` (a function is named by the module it is
    found in, by its public name),
    ``module.name``."""
    module = getattr(obj, "__module__", None) or ""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", repr(obj))
    if isinstance(obj, np.ufunc) and getattr(np, obj.__name__, None) is not obj:
        public = _public_name(obj)  # a ufunc of SciPy, not of NumPy
        if public is not None:
            return public
    if module.startswith("scipy"):
        return _public_name(obj) or f"{module}.{name}"
    if module.startswith("numpy"):
        return (
            "np." + name
            if module == "numpy" or isinstance(obj, np.ufunc)
            else (module.replace("numpy", "np") + "." + name)
        )
    if isinstance(obj, np.ufunc):
        return "np." + obj.__name__
    if module == "math":
        return "math." + name
    if module in ("builtins", ""):
        return name
    return f"{module}.{name}"


def op_symbol(node: ast.AugAssign) -> str:
    """The symbol of an augmented assignment's operator (``+`` for ``+=``)."""
    return OP_SYMBOLS.get(type(node.op), "?")


_DESCRIPTIONS = {
    ast.If: "an if statement",
    ast.For: "a for loop",
    ast.While: "a while loop",
    ast.Try: "try/except",
    ast.With: "a with statement",
    ast.FunctionDef: "a nested function definition",
    ast.ClassDef: "a class definition",
    ast.Global: "a global statement",
    ast.Nonlocal: "a nonlocal statement",
    ast.Delete: "del",
    ast.Raise: "raise",
    ast.Assert: "assert",
    ast.Import: "import",
    ast.ImportFrom: "import",
    ast.Expr: "an expression statement",
    ast.IfExp: "a conditional expression",
    ast.BoolOp: "and/or",
    ast.Lambda: "lambda",
    ast.ListComp: "a list comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.DictComp: "a dict comprehension",
    ast.SetComp: "a set comprehension",
    ast.Dict: "a dict display",
    ast.Set: "a set display",
    ast.Yield: "yield",
    ast.YieldFrom: "yield from",
    ast.Await: "await",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "the walrus operator :=",
    ast.Starred: "a starred expression",
}


def describe(node: ast.AST) -> str:
    """How an error names a construct: ``a for loop``, ``lambda``, ..."""
    return _DESCRIPTIONS.get(type(node), type(node).__name__)


def hint_for(node: ast.AST) -> str:
    """The usual way around a construct the subset lacks."""
    if isinstance(node, (ast.If, ast.IfExp)):
        return "use np.where(condition, a, b) to choose between values"
    if isinstance(node, (ast.For, ast.While, ast.ListComp, ast.GeneratorExp)):
        return "write the computation with array operations (sum, matmul, cumsum)"
    if isinstance(node, ast.Expr):
        return "remove it: only assignments and return are evaluated"
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return "pass the value as an argument and return the new value"
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return "import at module level"
    return "rewrite it with assignments, arithmetic and NumPy calls"
