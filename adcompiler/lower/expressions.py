"""Expressions: an AST expression in, an operand tree out.

An expression lowers to an operand tree: graph values and Python
constants, in the tuples, lists and dicts of the source (local containers
are compile-time structures), or to a :class:`Static` (a module, a
function) that only a call or an attribute may use. Arithmetic, attributes,
methods, subscripts and displays are lowered here; conditional
expressions and ``and``/``or`` are handed to control flow, calls to the
call sites, a list comprehension to the statements (it is a loop).

The tables below spell Python's operators and NumPy's array attributes and
methods as the primitives they call.
"""

from __future__ import annotations

import ast
import builtins
import numbers
import operator
from typing import Any

import numpy as np

from ..errors import UnsupportedSyntaxError
from ..ir import Value, is_literal, tree_values
from ..trees import ObjectTree
from ..primitives.record import attribute_functions, method_functions
from .. import runtime
from . import dependencies, dicts, objects
from .callvalues import is_callable
from .effects import NOT_MINE
from .errortext import OP_SYMBOLS, describe, hint_for, static_name
from .generators import refuse_kept
from .names import Names, is_data
from .ops import Ops
from .state import Inline, State, Static

_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.MatMult: operator.matmul,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
}
#: NumPy's index tricks, by id: their kind and the object itself.
_INDEX_TRICKS = {
    id(getattr(np, kind)): (kind, getattr(np, kind))
    for kind in ("r_", "c_", "mgrid", "ogrid", "s_", "index_exp")
}
_UNARYOPS = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
    ast.Invert: operator.invert,
}
_COMPARE = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}

#: Array attributes, as the function that computes them (the records'
#: attribute spellings).
_ATTRIBUTES = attribute_functions()
#: Array methods that are a NumPy function of the array.
_METHOD_FUNCTIONS = method_functions("function")
#: Methods taking their shape/axes either as one tuple or spread out.
_VARARG_METHODS = method_functions("varargs")
#: Methods that stay methods in generated code.
_TRUE_METHODS = set(method_functions("method"))


class Expressions:
    """Lowers expressions (see the module's docstring).

    Guarantees: :meth:`operand` returns a graph value, a literal or a tree
    of them, never a :class:`Static`; :meth:`expr` records the node being
    lowered in ``State.current_node`` so errors of primitive calls name it.
    """

    def __init__(self, state: State, names: Names, ops: Ops):
        self.state = state
        self.names = names
        self.ops = ops
        #: the parts expressions hand nodes to (see :meth:`connect`)
        self.statements: Any = None
        self.flow: Any = None
        self.user_calls: Any = None
        #: draws, output, type tests (:class:`.effects.Effects`)
        self.effects: Any = None

    def connect(self, statements: Any, flow: Any, user_calls: Any) -> None:
        """The parts above this one that lower what an expression contains:
        the statements (a comprehension's loop), control flow (``x if c
        else y``, ``and``, ``or``) and the call sites (calls)."""
        self.statements = statements
        self.flow = flow
        self.user_calls = user_calls

    def expr(self, node: ast.expr, hint: str | None = None) -> Any:
        """Lower an expression to an operand tree (or a :class:`Static`)."""
        self.state.current_node = node
        method = None
        name = "expr_" + type(node).__name__
        for part in (self, self.flow, self.user_calls, self.effects):
            method = getattr(part, name, None)
            if method is not None:
                break
        if method is None:
            raise self.state.parsed.unsupported(describe(node), node, hint_for(node))
        result = method(node, hint)
        return result

    def operand(self, node: ast.expr) -> Any:
        """Lower an expression that must be a runtime value or constant."""
        result = self.expr(node)
        if isinstance(result, Static):
            return self.names.static_operand(result.obj, node)
        return result

    def value(self, node: ast.expr, hint: str | None = None) -> Any:
        """Lower an expression that may be a function held as a value (an
        argument, an item of a display, a returned value): a function stays
        a :class:`Static` (see :mod:`.callvalues`), anything else is an
        operand."""
        result = self.expr(node, hint)
        if isinstance(result, Static) and not is_callable(result):
            return self.names.static_operand(result.obj, node)
        return result

    def expr_Constant(self, node: ast.Constant, hint: str | None) -> Any:
        """A constant is itself."""
        return node.value

    def expr_Name(self, node: ast.Name, hint: str | None) -> Any:
        """A name: see :meth:`Names.name`."""
        return self.names.name(node.id, node)

    def expr_Attribute(self, node: ast.Attribute, hint: str | None) -> Any:
        """``module.name`` (a compile-time object or a free value), or an
        array attribute (``.shape``, ``.T``, ...) as the function computing it."""
        base = self.expr(node.value)
        if isinstance(base, ObjectTree):  # a dataclass, NamedTuple, ...
            return self.user_calls.objects.field(base, node, hint)
        if isinstance(base, Static):
            try:
                obj = getattr(base.obj, node.attr)
            except AttributeError:
                raise self.state.parsed.error(
                    UnsupportedSyntaxError,
                    f"{static_name(base.obj)} has no attribute `{node.attr}`",
                    node,
                ) from None
            path = base.path + (node.attr,) if base.path else None
            if path is not None:  # checked before each reuse of the code
                dependencies.record_attribute(self.state, path, obj)
            else:  # self, or an object read from one (see lower/objects.py)
                objects.record_read(self.state, base.obj, node.attr, obj)
            if is_data(obj) and not isinstance(obj, numbers.Number):
                return self.state.graph.add_free(node.attr, obj)
            return obj if is_literal(obj) else Static(obj, path)
        fn = _ATTRIBUTES.get(node.attr)
        if fn is None:
            raise self.state.parsed.unsupported(
                f"the attribute `.{node.attr}`",
                node,
                "supported array attributes: "
                + ", ".join(sorted(_ATTRIBUTES))
                + "; to read the fields of an argument, make its class a "
                "dataclass or NamedTuple, or register it with "
                "adcompiler.register_tree",
            )
        return self.ops.call_prim(fn, (base,), {}, hint)

    def expr_BinOp(self, node: ast.BinOp, hint: str | None) -> Any:
        """A binary operator as its primitive; on local lists and tuples,
        concatenation or repetition."""
        fn = _BINOPS.get(type(node.op))
        if fn is None:
            raise self.state.parsed.unsupported(describe(node.op), node, "")
        left = self.operand(node.left)
        right = self.operand(node.right)
        text = self.effects.text_operation(fn, left, right, hint)
        if text is not NOT_MINE:  # "template" % values
            return text
        sequences = [isinstance(v, (list, tuple)) for v in (left, right)]
        if any(sequences) or any(_is_runtime_sequence(v) for v in (left, right)):
            return self.sequence_arithmetic(fn, left, right, node)
        return self.ops.call_prim(fn, (left, right), {}, hint)

    def sequence_arithmetic(self, fn: Any, left: Any, right: Any, node: ast.AST) -> Any:
        """``+`` and ``*`` of local lists and tuples: concatenation, repetition."""
        if (
            fn is operator.add
            and isinstance(left, (list, tuple))
            and type(left) is type(right)
        ):
            return left + right
        if fn is operator.mul:
            sequence, count = (
                (left, right) if isinstance(left, (list, tuple)) else (right, left)
            )
            if isinstance(sequence, (list, tuple)) and isinstance(count, int):
                return sequence * count
        elif any(
            isinstance(v, Value) and v.container is False for v in (left, right)
        ) and not all(isinstance(v, (list, tuple)) for v in (left, right)):
            # NumPy's arithmetic: beside an array, a list or tuple of numbers is
            # an array ((4,) - a is np.array((4,)) - a); `*` stays refused, as
            # a NumPy integer count would repeat the sequence instead
            return self.ops.call_prim(fn, (left, right), {})
        raise self.state.parsed.unsupported(
            f"`{_describe_op(fn)}` with a list or tuple operand (Python would "
            "concatenate or repeat it, not do arithmetic)",
            node,
            "use np.array(...) for arithmetic; append to grow a list built at run time",
        )

    def expr_UnaryOp(self, node: ast.UnaryOp, hint: str | None) -> Any:
        """A unary operator as its primitive."""
        fn = _UNARYOPS[type(node.op)]
        return self.ops.call_prim(fn, (self.operand(node.operand),), {}, hint)

    def expr_Compare(self, node: ast.Compare, hint: str | None) -> Any:
        """A comparison of two values as its primitive (chains are refused);
        ``is`` and comparisons of classes are :class:`.effects.Effects`'."""
        tested = self.effects.compare(node, hint)
        if tested is not NOT_MINE:
            return tested
        if len(node.ops) != 1:
            raise self.state.parsed.unsupported(
                "a chained comparison", node, "compare two values at a time"
            )
        if type(node.ops[0]) in dicts.MEMBERSHIP:
            return self.membership(node)
        fn = _COMPARE.get(type(node.ops[0]))
        if fn is None:
            raise self.state.parsed.unsupported(
                f"the comparison `{describe(node.ops[0])}`",
                node,
                "use < <= > >= == !=",
            )
        left = self.operand(node.left)
        right = self.operand(node.comparators[0])
        return self.ops.call_prim(fn, (left, right), {}, hint)

    def membership(self, node: ast.Compare) -> bool:
        """``k in d`` of a constant and a local dict, tuple or list: a constant."""
        left = self.operand(node.left)
        right = self.operand(node.comparators[0])
        return dicts.membership(
            self.state, left, right, dicts.MEMBERSHIP[type(node.ops[0])], node
        )

    def expr_Tuple(self, node: ast.Tuple, hint: str | None) -> Any:
        """A tuple display: a compile-time tuple of operands."""
        return tuple(self._elements(node.elts))

    def expr_List(self, node: ast.List, hint: str | None) -> Any:
        """A list display: a compile-time list of operands."""
        return self._elements(node.elts)

    def _elements(self, elts: list[ast.expr]) -> list[Any]:
        for elt in elts:
            if isinstance(elt, ast.Starred):
                raise self.state.parsed.unsupported(
                    "starred elements", elt, "list the elements one by one"
                )
        return [self.value(elt) for elt in elts]

    def expr_Subscript(self, node: ast.Subscript, hint: str | None) -> Any:
        """``base[index]``: an item of a local container when the index is
        known, else an indexing op (of an array, or of a list made a runtime value)."""
        base = self.operand(node.value)
        objects.check_sequence(self.state, base, node, "indexing")
        if isinstance(base, Value) and base.kind == "free":
            trick = _INDEX_TRICKS.get(id(base.obj))
            if trick is not None and trick[1] is base.obj:
                return self.index_trick(trick[0], node, hint)
        index = self.index(node.slice)
        if isinstance(base, dict):
            if is_literal(index) and index in base:
                return base[index]
            raise self.state.parsed.unsupported(
                "indexing a local dict with a key that is not one of its constant keys",
                node,
                "index it with a constant key it has",
            )
        if isinstance(base, (tuple, list)):
            if (isinstance(index, int) and -len(base) <= index < len(base)) or (
                isinstance(index, slice) and is_literal(index)
            ):
                return base[index]
            # a runtime index, or one out of range (an IndexError if it runs)
            base = self.runtime_list(base, node)
        return self.item(base, index, hint)

    def index_trick(self, kind: str, node: ast.Subscript, hint: str | None) -> Any:
        """``np.r_[...]`` and ``np.c_[...]`` as :func:`runtime.index_join` of
        their pieces (slices as ``np.arange``/``np.linspace``, as NumPy reads
        them), which has rules; ``np.mgrid``, ``np.ogrid``, ``np.s_`` and
        ``np.index_exp`` only with constant indices (no rule follows a value
        through them)."""
        spelled = f"np.{kind}[...]"
        index = self.index(node.slice)
        if kind not in ("r_", "c_"):
            if any(True for _ in tree_values(index)):
                raise self.state.parsed.unsupported(
                    f"{spelled} of values computed at run time",
                    node,
                    "use np.meshgrid, np.arange or np.linspace, which have rules",
                )
            return getattr(np, kind)[index]
        pieces = index if isinstance(index, tuple) else (index,)
        if pieces and isinstance(pieces[0], str):
            raise self.state.parsed.unsupported(
                f"the directive string {pieces[0]!r} in {spelled}",
                node,
                "join with np.concatenate or np.stack and an axis",
            )
        items = []
        for piece in pieces:
            if isinstance(piece, slice):
                items.append(self._index_trick_range(piece, spelled, node))
            elif isinstance(piece, (tuple, list, dict)) and any(
                True for _ in tree_values(piece)
            ):
                raise self.state.parsed.unsupported(
                    f"a list or tuple of values computed at run time in {spelled}",
                    node,
                    "make it an array first (np.array([...]))",
                )
            elif isinstance(piece, str):
                raise self.state.parsed.unsupported(
                    f"a string in {spelled}",
                    node,
                    "join with np.concatenate or np.stack and an axis",
                )
            else:
                items.append(piece)
        return self.ops.call_prim(runtime.index_join, (kind, *items), {}, hint)

    def _index_trick_range(self, piece: slice, spelled: str, node: ast.AST) -> Any:
        """A slice in ``np.r_``/``np.c_``: ``np.arange(start, stop, step)``,
        or ``np.linspace(start, stop, n)`` for an imaginary step ``nj``."""
        start = 0 if piece.start is None else piece.start
        step = 1 if piece.step is None else piece.step
        if piece.stop is None:
            raise self.state.parsed.unsupported(
                f"a slice without an end in {spelled}", node, "give the slice an end"
            )
        if isinstance(step, complex):
            return self.ops.call_prim(
                np.linspace, (start, piece.stop, int(abs(step))), {}
            )
        return self.ops.call_prim(np.arange, (start, piece.stop, step), {})

    def item(self, sequence: Any, index: Any, hint: str | None = None) -> Any:
        """``sequence[index]``; a list's item, or an array's."""
        if (
            isinstance(index, str)
            and isinstance(sequence, Value)
            and sequence.container is not False
        ):
            # a dict known only at run time: no rule follows its entries
            raise self.state.parsed.unsupported(
                f"indexing with the key {index!r} a dict known only at run time",
                self.state.current_node,
                "keep dicts as parameters or locals indexed by constant keys",
            )
        if isinstance(sequence, Value) and sequence.container is not False:
            # the length now, for the derivative (the list may grow or shrink)
            length = self.ops.call_prim(builtins.len, (sequence,), {}, "length", False)
            found = self.ops.call_prim(
                runtime.list_item, (sequence, index, length), {}, hint
            )
            if _made_of_leaves(sequence):  # an array or number, never a list
                found.container = False
            return found
        return self.ops.call_prim(operator.getitem, (sequence, index), {}, hint)

    def runtime_list(self, items: Any, node: ast.AST, name: str | None = None) -> Value:
        """A local list or tuple made a runtime value (to grow it, index or loop).

        Items that are dicts are refused: at run time their entries would be
        indexed by key, which the derivative rules of runtime lists do not
        follow."""
        if any(is_callable(item) for item in items):
            raise self.state.parsed.unsupported(
                "a list or tuple of functions indexed or looped over at run time",
                node,
                "index it with constant indices, or loop over it with a for "
                "that does not break, continue or return (it is unrolled)",
            )
        if any(holds_dict(item) for item in items):
            raise self.state.parsed.unsupported(
                "a list of dicts indexed or looped over at run time",
                node,
                "index it with constant indices (layers[0]['W']), or hold "
                "tuples instead: layers = [(W1, b1), (W2, b2)]",
            )
        return self.ops.call_prim(runtime.make_list, tuple(items), {}, name, bool(name))

    def expr_Dict(self, node: ast.Dict, hint: str | None) -> Any:
        """A dict display with constant keys: a compile-time dict."""
        result: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values):
            if key is None:  # {**other, ...}
                other = self.operand(value)
                if not isinstance(other, dict):
                    raise self.state.parsed.unsupported(
                        "** of something other than a local dict",
                        value,
                        "unpack a dict built in the function or passed to it",
                    )
                result.update(other)
                continue
            constant = self.operand(key)
            if not is_literal(constant) or isinstance(constant, (list, tuple)):
                raise self.state.parsed.unsupported(
                    "a dict key computed at run time",
                    key,
                    "use constant keys (strings, numbers)",
                )
            result[constant] = self.value(value)
        return result

    def expr_ListComp(self, node: ast.ListComp, hint: str | None) -> Any:
        """``[elt for ... in ... if ...]`` as a loop appending to a new list."""
        key = f"<comprehension {id(node)}>"
        saved = {name: self.state.env.get(name) for name in _comprehension_names(node)}
        self.state.env[key] = self.ops.call_prim(
            runtime.make_list, (), {}, "items", False
        )
        append = ast.Expr(
            ast.Call(
                ast.Attribute(ast.Name(key, ast.Load()), "append", ast.Load()),
                [node.elt],
                [],
            )
        )
        body: ast.stmt = append
        for generator in reversed(node.generators):
            if generator.is_async:
                raise self.state.parsed.unsupported("async comprehensions", node, "")
            for condition in reversed(generator.ifs):
                body = ast.If(condition, [body], [])
            body = ast.For(generator.target, generator.iter, [body], [])
        ast.copy_location(append, node)
        for sub in ast.walk(body):
            if not hasattr(sub, "lineno"):
                ast.copy_location(sub, node)
            if isinstance(sub, ast.stmt):
                sub.end_lineno, sub.end_col_offset = (
                    node.end_lineno,
                    node.end_col_offset,
                )
        self.statements.stmt(body)
        result = self.state.env.pop(key)
        for name, value in saved.items():
            if value is None:
                self.state.env.pop(name, None)
            else:
                self.state.env[name] = value
        return result

    def expr_GeneratorExp(self, node: ast.GeneratorExp, hint: str | None) -> Any:
        """A generator expression, consumed where it is made (by ``sum``,
        ``list``, ``zip``, ...): the list of its items, as a comprehension."""
        refuse_kept(self.state, "a generator expression", node, hint)
        return self.expr_ListComp(node, hint)  # type: ignore[arg-type]

    def expr_DictComp(self, node: ast.DictComp, hint: str | None) -> Any:
        """A dict comprehension: see :func:`.dicts.dict_comprehension`."""
        return dicts.dict_comprehension(self, node)

    def index(self, node: ast.expr) -> Any:
        """An index or subscript as an operand tree (slices as ``slice`` objects)."""
        if isinstance(node, ast.Slice):
            parts = (node.lower, node.upper, node.step)
            return slice(*(None if p is None else self.operand(p) for p in parts))
        if isinstance(node, ast.Tuple):
            return tuple(self.index(elt) for elt in node.elts)
        return self.operand(node)

    def method_call(
        self, base: Any, name: str, node: ast.Call, hint: str | None
    ) -> Any:
        """``base.name(...)``: an array method, as the NumPy function it spells
        (see the tables above), or refused with the list of supported methods."""
        args = tuple(self.operand(arg) for arg in node.args)
        kwargs = {kw.arg: self.operand(kw.value) for kw in node.keywords}
        if isinstance(base, dict):  # a local dict: keys, values, items, get
            return dicts.dict_method(self.state, base, name, args, kwargs, node, hint)
        if name in _METHOD_FUNCTIONS:
            return self.ops.call_prim(
                _METHOD_FUNCTIONS[name], (base,) + args, kwargs, hint
            )
        if name in _VARARG_METHODS:
            fn = _VARARG_METHODS[name]
            if len(args) > 1:
                args = (tuple(args),)
            return self.ops.call_prim(fn, (base,) + args, kwargs, hint)
        if name in _TRUE_METHODS:
            return self.ops.call_prim(
                getattr(np.ndarray, name), (base,) + args, kwargs, hint
            )
        supported = sorted(
            set(_METHOD_FUNCTIONS) | set(_VARARG_METHODS) | _TRUE_METHODS
        )
        raise self.state.parsed.unsupported(
            f"the method `.{name}()`",
            node,
            "supported array methods: " + ", ".join(supported),
        )

    def expr_Lambda(self, node: ast.Lambda, hint: str | None) -> Any:
        """A lambda is inlined where it is called (its defaults are
        evaluated here, where Python evaluates them)."""
        defaults = tuple(self.value(d) for d in node.args.defaults)
        return Static(Inline(node, hint or "lambda", defaults))


def _is_runtime_sequence(value: Any) -> bool:
    """Whether ``value`` is a list known only at run time."""
    return isinstance(value, Value) and value.container is True


def _made_of_leaves(sequence: Value) -> bool:
    """Whether ``sequence`` is a local list made a runtime value
    (:meth:`Expressions.runtime_list`) whose items are all arrays or numbers."""
    op = sequence.op
    return (
        op is not None
        and getattr(op, "prim", None) is not None
        and op.prim.fn is runtime.make_list
        and not op.kwargs
        and all(
            (isinstance(a, Value) and a.container is False)
            or (isinstance(a, numbers.Number) and not isinstance(a, bool))
            for a in op.args
        )
    )


def _describe_op(fn: Any) -> str:
    """The symbol of a binary operator's function, for errors."""
    for op_type, candidate in _BINOPS.items():
        if candidate is fn:
            return OP_SYMBOLS.get(op_type, fn.__name__)
    return fn.__name__


def holds_dict(tree: Any) -> bool:
    """True when ``tree`` is or contains a dict (a compile-time structure)."""
    if isinstance(tree, dict):
        return True
    if isinstance(tree, (tuple, list)):
        return any(holds_dict(item) for item in tree)
    return False


def _comprehension_names(node: ast.ListComp) -> set[str]:
    """The names a comprehension's ``for`` targets bind."""
    names: set[str] = set()
    for generator in node.generators:
        for sub in ast.walk(generator.target):
            if isinstance(sub, ast.Name):
                names.add(sub.id)
    return names
