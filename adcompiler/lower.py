"""Python AST → SSA graph.

Guarantees: after lowering, every operand is a graph value or a Python
constant that generated code can spell as a literal; every call resolved to
a registered primitive (or failed with an error naming the function and the
line); local tuples and lists are compile-time structures whose elements are
values; every global, closure or builtin name the function read is recorded
in :attr:`Lowering.resolved` with the object it denoted, so a cache entry
can be checked against the function's current globals.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import io
import numbers
import operator
import os
import tokenize
import types
from typing import Any, Iterator

import numpy as np

from .callables import (
    CallSites,
    Checkpoint,
    Transformed,
    generated_definition,
    source_function,
    user_function,
)
from .errors import ADError, NoRuleError, UnsupportedSyntaxError
from .frontend import (
    ParsedFunction,
    dependencies,
    is_missing,
    local_names,
    parse_function,
    resolve_global,
)
from .ir import (
    Block,
    CallOp,
    Graph,
    Namer,
    Value,
    is_literal,
    tree_leaves,
    tree_map,
    tree_values,
)
from .primitives import registry
from .primitives.record import (
    attribute_functions,
    method_functions,
    shares_first_argument,
)
from .trees import LEAF, keys_of, structure
from .primitives.registry import Primitive
from . import runtime
from .lower_flow import MISSING, RETURNED, RETVAL, ControlFlow
from .options import optimizing
from .primitives.symbolic import Emitter

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


class Inline:
    """A nested ``def`` or ``lambda``: inlined where it is called."""

    __slots__ = ("node", "name")

    def __init__(self, node: ast.AST, name: str):
        self.node = node
        self.name = name


class Static:
    """A compile-time object: a module, a function, a class."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any):
        self.obj = obj


class Lowering(ControlFlow):
    """Lowers one parsed function into a :class:`Graph`."""

    def __init__(
        self,
        parsed: ParsedFunction,
        structures: tuple,
        callee: bool,
        sites: CallSites,
    ):
        self.parsed = parsed
        self.callee = callee
        #: how calls of user functions reach their compiled forms
        self.sites = sites
        self.structures = structures
        self.param_trees: dict[Value, Any] = {}
        self.argument_lists: set[int] = set()  # ids of the lists passed in
        self.current_node: ast.AST = parsed.node
        self.calls: list = []
        self.unnamed: set = set()  # results named after nothing yet
        self.free_trees: dict[str, Any] = {}
        self.prologue = Block()
        self.inlining: list = []
        #: the function lowered, then the user functions being inlined into
        #: it (:meth:`inline_function`), innermost last
        self.inline_stack: list[ParsedFunction] = [parsed]
        self.fn = parsed.fn
        node = parsed.node
        self.graph = Graph(node.name, Namer(local_names(node)), parsed.loc(node))
        self.env: dict[str, Any] = {}
        self.resolved: dict[str, Any] = {}
        #: functions inlined here or called from here, whose code and globals
        #: the compiled code relies on: ``(fn, code, dependencies)`` each
        self.callees: list[tuple] = []
        self.emitter = Emitter(self.graph, self.graph.body)
        self.return_loc = None
        self.stale: dict[str, tuple] = {}
        self.loads: dict[str, list[ast.Name]] = {}
        #: values of loop-carried variables and if outputs -> the values
        #: they may be (for :meth:`is_fresh`)
        self.origins: dict[Value, list[Any]] = {}
        #: results of calls of user functions -> the argument values whose
        #: memory they may share (see :func:`_views_of`)
        self.call_views: dict[Value, list[Value]] = {}
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                self.loads.setdefault(sub.id, []).append(sub)

    # -- entry ------------------------------------------------------------
    def run(self) -> Graph:
        node = self.parsed.node
        self._parameters(node.args)
        body = node.body
        if body and _is_docstring(body[0]):
            body = body[1:]
        self.env[RETURNED] = False
        self.env[RETVAL] = None
        self.block(body)
        if self.env[RETURNED] is False:
            raise self.parsed.error(
                UnsupportedSyntaxError,
                "the function never returns a value",
                node,
                "return the scalar to differentiate",
            )
        self.graph.outputs = self.env[RETVAL]
        self.graph.body.ops[:0] = self.prologue.ops
        return self.graph

    def _parameters(self, args: ast.arguments) -> None:
        if args.vararg or args.kwarg:
            star = args.vararg or args.kwarg
            raise self.parsed.unsupported(
                "*args and **kwargs parameters",
                star,
                "name each parameter (a tuple or dict can be passed as one argument)",
            )
        params = args.posonlyargs + args.args + args.kwonlyargs
        for index, arg in enumerate(params):
            value = self.graph.add_param(arg.arg)
            shape = self.structures[index] if index < len(self.structures) else LEAF
            self.emitter.loc = self.parsed.loc(arg)
            self.env[arg.arg] = self.unpack_tree(value, shape, arg.arg)
            self.param_trees[value] = self.env[arg.arg]
            self.argument_lists |= _list_ids(self.env[arg.arg])

    def dependencies(self) -> tuple:
        """What the compilation read from outside (see :func:`dependencies`)."""
        return dependencies(self.resolved, self.callees)

    def env_of_param(self, param: Value) -> Any:
        """A parameter as the function sees it: the value, or its tree of leaves."""
        return self.param_trees[param]

    def unpack_tree(self, value: Value, shape: Any, name: str) -> Any:
        """A container argument as a compile-time structure of its leaves."""
        if shape is LEAF:
            return value
        if shape == RUNTIME_SEQUENCE:  # a list only known at run time
            value.container = None
            return value
        value.container = True
        items = {}
        for key, child in keys_of(shape):
            hint = f"{name}_{key}" if isinstance(key, int) else str(key)
            if not hint.isidentifier():
                hint = f"{name}_item"
            leaf = self.call_prim(runtime.list_item, (value, key), {}, hint, True)
            leaf.container = False if child is LEAF else True
            items[key] = self.unpack_tree(leaf, child, hint)
        kind = shape[0]
        if kind is dict:
            return items
        return kind(items[k] for k in range(len(items)))

    # -- statements -------------------------------------------------------
    def stmt(self, node: ast.stmt) -> None:
        self.emitter.loc = self.parsed.loc(node)
        method = getattr(self, "stmt_" + type(node).__name__, None)
        if method is not None:
            method(node)
        elif isinstance(node, ast.Assign):
            target = node.targets[-1]
            if (
                isinstance(target, (ast.Tuple, ast.List))
                and isinstance(node.value, (ast.Tuple, ast.List))
                and len(target.elts) == len(node.value.elts)
                and not any(isinstance(e, ast.Starred) for e in node.value.elts)
            ):
                # a, b = x, y: each new value named after its target
                value: Any = tuple(
                    self.operand_named(elt, _target_hint(name))
                    for elt, name in zip(node.value.elts, target.elts)
                )
            else:
                value = self.expr(node.value, _target_hint(target))
            for target in node.targets:
                self.assign(target, value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            value = self.expr(node.value, _target_hint(node.target))
            self.assign(node.target, value)
        elif isinstance(node, ast.AugAssign):
            self.augassign(node)
        elif isinstance(node, ast.Pass):
            pass
        else:
            raise self.parsed.unsupported(_describe(node), node, _hint_for(node))

    def assign(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = value
            self.stale.pop(target.id, None)
        elif isinstance(target, (ast.Tuple, ast.List)):
            if any(isinstance(elt, ast.Starred) for elt in target.elts):
                raise self.parsed.unsupported(
                    "starred assignment", target, "unpack each element by index"
                )
            items = self.unpack(value, len(target.elts), target)
            for elt, item in zip(target.elts, items):
                if (
                    isinstance(elt, ast.Name)
                    and isinstance(item, Value)
                    and item in self.unnamed
                ):
                    # `a, b = f(x)`: the call's results take the names a, b
                    self.graph.rename(item, elt.id, user_variable=True)
                    self.unnamed.discard(item)
                self.assign(elt, item)
        elif isinstance(target, ast.Subscript):
            self.assign_item(target, value)
        else:
            raise self.parsed.unsupported(
                f"assignment to {_describe(target)}", target, "assign to a local name"
            )

    def assign_item(self, target: ast.Subscript, value: Any) -> None:
        """``name[index] = value``: a new version of ``name``."""
        if not isinstance(target.value, ast.Name):
            raise self.parsed.unsupported(
                "assignment to a subscript of an expression",
                target,
                "assign to a subscript of a local name",
            )
        name = target.value.id
        container = self.name(name, target.value)
        index = self.index(target.slice)
        if isinstance(container, dict):
            if not is_literal(index) or isinstance(index, (list, tuple)):
                raise self.parsed.unsupported(
                    "a dict key computed at run time", target, "use a constant key"
                )
            self._changed_static(name, container, target)
            self.env[name] = {**container, index: value}
            return
        if isinstance(container, list):
            if not isinstance(index, int):
                raise self.parsed.unsupported(
                    "assigning to a local list at a runtime index",
                    target,
                    "build a new list, or use an array",
                )
            self._changed_static(name, container, target)
            changed = list(container)
            changed[index] = value
            self.env[name] = changed
            return
        self.set_item(name, container, index, value, target)

    def _changed_static(
        self, name: str, container: Any, node: ast.AST, what: str | None = None
    ) -> None:
        """Other names bound to the same local list or dict now see stale
        contents (``what`` changed them: ``the change of `name``` by default)."""
        for other, bound in self.env.items():
            if other != name and bound is container:
                self.stale[other] = (
                    name,
                    what or f"the change of `{name}`",
                    self.parsed.loc(node),
                    f"copy it first: `{name} = {type(container).__name__}({other})`",
                )

    def set_item(self, name: str, array: Any, index: Any, value: Any, node) -> None:
        """``name[index] = value`` on an array: changed in place when it is
        provably a fresh local array, otherwise on a copy (the caller's
        arrays are never written)."""
        if not isinstance(array, Value):
            raise self.parsed.unsupported(
                f"assignment into {type(array).__name__} `{name}`",
                node,
                "assign into an array made in the function (np.zeros, .copy())",
            )
        if array.container is not False:
            raise self.parsed.unsupported(
                f"assignment into the list `{name}` at a runtime index",
                node,
                "build a new list, or use an array",
            )
        if not self.is_fresh(array):
            self._refuse_changing_arguments(name, array, node)
            array = self.call_prim(np.copy, (array,), {}, name, True)
        self._check_no_alias(
            name,
            array,
            node,
            f"`{name}[...] = ...`",
            f"copy the array first: `{name} = {name}.copy()`",
        )
        if isinstance(value, Value) and value.container is not True:
            written, _ = self.memory_sources(array)
            read, unknown_read = self.memory_sources(value)
            overlap = unknown_read or bool(written & read)
        else:
            overlap = False
        if overlap:
            # the right side may be a view of the array: NumPy may read what
            # it has already written (known at run time)
            loc = self.parsed.loc(node)
            self.call_prim(
                runtime.not_reading_what_it_writes,
                (array, index, value, f"{_file_line(loc)}: `{_statement(loc)}`"),
                {},
                None,
                False,
            )
        self.env[name] = self.call_prim(
            runtime.set_item, (array, index, value), {}, None, False
        )

    def _refuse_changing_arguments(self, name: str, value: Value, node) -> None:
        """A called function may not change its caller's arrays or lists.

        The function being differentiated changes a copy of its own
        arguments instead (its caller never sees a change); a function it
        calls would have to change the caller's object, which adcompiler
        does not follow, so that is refused.
        """
        if self.callee and self.may_be_argument(value):
            raise self.parsed.unsupported(
                f"changing `{name}`, an argument, in a function called from "
                "differentiated code (the caller would see the change)",
                node,
                f"copy it first (`{name} = {name}.copy()`) and return the result",
            )

    def _memory_walk(
        self, value: Value, into_lists: bool = True
    ) -> Iterator[tuple[Value, bool]]:
        """``value`` and the values whose memory it may share, through views
        (operations returning their first argument's memory), in-place
        changes, both branches of an ``if`` and loop-carried variables, each
        once, with whether its memory is just that of others (``origins``).
        Without ``into_lists``, an item of a list is not followed to the list."""
        seen: set[Value] = set()
        pending = [value]
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            if current in self.origins:
                yield current, True
                pending.extend(v for v in self.origins[current] if isinstance(v, Value))
                continue
            yield current, False
            # a call's result may be (a view of) some of its arguments
            pending.extend(self.call_views.get(current, ()))
            op = current.op
            if op is not None and shares_first_argument(op.prim.fn) and op.args:
                if isinstance(op.args[0], Value) and (
                    into_lists or op.prim.fn is not runtime.list_item
                ):
                    pending.append(op.args[0])

    def is_fresh(self, value: Value) -> bool:
        """Whether ``value`` is an array this call made and no caller sees."""
        for current, merged in self._memory_walk(value):
            op = current.op
            if merged:
                continue
            if op is None:
                return False  # a parameter or a global
            if shares_first_argument(op.prim.fn):
                if not (op.args and isinstance(op.args[0], Value)):
                    return False
        return True

    def may_be_argument(self, value: Value) -> bool:
        """Whether ``value`` may be (a view of) one of the function's arguments."""
        return any(v.kind == "param" for v, _ in self._memory_walk(value))

    def memory_sources(self, value: Value) -> tuple[set[Value], bool]:
        """The values whose memory ``value`` may be (see :meth:`_memory_walk`),
        and whether it may also be memory not known here (a call's result,
        an item of a list built at run time)."""
        sources: set[Value] = set()
        unknown = False
        for current, merged in self._memory_walk(value, into_lists=False):
            sources.add(current)
            op = current.op
            if merged:
                continue
            if op is None:
                unknown |= current.kind == "op"
            elif op.prim.fn is runtime.list_item:
                unknown = True
        return sources, unknown

    def unpack(self, value: Any, count: int, node: ast.AST) -> list[Any]:
        if isinstance(value, (tuple, list)):
            if len(value) != count:
                raise self.parsed.error(
                    UnsupportedSyntaxError,
                    f"cannot unpack {len(value)} values into {count} names",
                    node,
                )
            return list(value)
        if isinstance(value, Value):
            return [self.item(value, i) for i in range(count)]
        raise self.parsed.unsupported(
            f"unpacking {type(value).__name__}", node, "unpack a tuple or an array"
        )

    def augassign(self, node: ast.AugAssign) -> None:
        target = node.target
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise self.parsed.unsupported(_describe(node.op), node, "")
        if isinstance(target, ast.Subscript):
            # y[i] += v  is  y[i] = y[i] + v
            load = ast.Subscript(target.value, target.slice, ast.Load())
            ast.copy_location(load, target)
            current = self.operand(load)
            right = self.operand(node.value)
            self.assign_item(target, self.call_prim(op, (current, right), {}))
            return
        if not isinstance(target, ast.Name):
            self.assign(target, None)  # raises the right error
        current = self.name(target.id, target)
        op_text = _op_text(node)
        if self.callee and isinstance(current, Value) and self.may_be_argument(current):
            # += on a number rebinds it, on an array changes the caller's
            # array: only known at run time
            self.call_prim(
                runtime.not_changed_in_place, (current, target.id), {}, None, False
            )
        self._check_no_alias(
            target.id,
            current,
            node,
            f"`{target.id} {op_text}=`",
            f"write `{target.id} = {target.id} {op_text} ...` to make a new array",
        )
        right = self.expr(node.value)
        self.env[target.id] = self.call_prim(op, (current, right), {}, target.id, True)

    def _check_no_alias(
        self,
        name: str,
        value: Any,
        node: ast.AST,
        change: str,
        fix: str,
        items_unchanged: bool = False,
    ) -> None:
        """Track names that ``name op= ...`` may have changed in place.

        Generated code rebinds ``name`` to a new value. That is what Python
        does for numbers, but for arrays ``+=`` writes into memory that
        other names (aliases, views) may share. Reading such a name later
        would see a different value in Python than in generated code, so
        it is an error (raised by :meth:`name`), never a silent difference.
        """
        if not isinstance(value, Value):
            return
        # every memory the changed value may be: through views, in-place
        # changes, both branches of an if (w = x if c else v), loop-carried
        # variables
        changed, _ = self.memory_sources(value)
        for other, bound in self.env.items():
            if other != name and any(
                not changed.isdisjoint(self.memory_sources(leaf)[0])
                # growing or shrinking a list leaves its items as they were
                and not (items_unchanged and leaf.container is not True)
                for leaf in tree_values(bound)
            ):
                self.stale[other] = (name, change, self.parsed.loc(node), fix)

    # -- expressions ------------------------------------------------------
    def expr(self, node: ast.expr, hint: str | None = None) -> Any:
        """Lower an expression to an operand tree (or a :class:`Static`)."""
        self.current_node = node
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise self.parsed.unsupported(_describe(node), node, _hint_for(node))
        result = method(node, hint)
        return result

    def operand_named(self, node: ast.expr, hint: str | None) -> Any:
        """An operand whose new value, if it is one, is named ``hint``."""
        result = self.expr(node, hint)
        if isinstance(result, Static):
            return self.static_operand(result.obj, node)
        return result

    def operand(self, node: ast.expr) -> Any:
        """Lower an expression that must be a runtime value or constant."""
        result = self.expr(node)
        if isinstance(result, Static):
            return self.static_operand(result.obj, node)
        return result

    def static_operand(self, obj: Any, node: ast.AST) -> Any:
        if is_literal(obj):
            return obj
        if isinstance(obj, (types.ModuleType, types.FunctionType)) or callable(obj):
            raise self.parsed.unsupported(
                f"using {getattr(obj, '__name__', repr(obj))} as a value",
                node,
                "call it, or pass data (arrays, numbers) instead",
            )
        return self.graph.add_free(_hint_of_obj(obj), obj)

    def expr_Constant(self, node: ast.Constant, hint: str | None) -> Any:
        return node.value

    def expr_Name(self, node: ast.Name, hint: str | None) -> Any:
        return self.name(node.id, node)

    def resolve(self, ident: str) -> Any:
        """The object a non-local name denotes (recorded for the cache)."""
        obj = resolve_global(self.fn, ident)
        if not is_missing(obj):
            self.resolved[ident] = obj
        return obj

    def name(self, ident: str, node: ast.AST) -> Any:
        if ident in self.stale:
            target, change, loc, fix = self.stale[ident]
            raise self.parsed.unsupported(
                f"reading `{ident}` after {change} at line {loc.line}"
                f" (`{target}` may share memory with `{ident}`, and the in-place"
                " change changed both)",
                node,
                fix,
            )
        if ident in self.env:
            value = self.env[ident]
            if value is MISSING:
                raise self.parsed.error(
                    UnsupportedSyntaxError,
                    f"`{ident}` may be used before it is assigned on some path",
                    node,
                    "assign it before the if or loop",
                )
            return value
        obj = self.resolve(ident)
        if is_missing(obj):
            raise self.parsed.error(
                UnsupportedSyntaxError,
                f"name `{ident}` is not defined (or used before assignment)",
                node,
            )
        if isinstance(obj, bool) or obj is None:
            return obj
        if _is_data(obj):
            return self.graph.add_free(ident, obj)
        if structure(obj) is not LEAF:
            # a global or captured list/tuple/dict: read its items at each
            # call, like a parameter's (they may have been replaced since)
            if ident not in self.free_trees:
                free = self.graph.add_free(ident, obj)
                with self.into(self.prologue):  # read once, at the function's start
                    tree = self.unpack_tree(free, structure(obj), ident)
                self.free_trees[ident] = tree
            return self.free_trees[ident]
        return Static(obj)

    def expr_Attribute(self, node: ast.Attribute, hint: str | None) -> Any:
        base = self.expr(node.value)
        if isinstance(base, Static):
            try:
                obj = getattr(base.obj, node.attr)
            except AttributeError:
                raise self.parsed.error(
                    UnsupportedSyntaxError,
                    f"{_static_name(base.obj)} has no attribute `{node.attr}`",
                    node,
                ) from None
            if _is_data(obj) and not isinstance(obj, numbers.Number):
                return self.graph.add_free(node.attr, obj)
            return obj if is_literal(obj) else Static(obj)
        fn = _ATTRIBUTES.get(node.attr)
        if fn is None:
            raise self.parsed.unsupported(
                f"the attribute `.{node.attr}`",
                node,
                "supported array attributes: " + ", ".join(sorted(_ATTRIBUTES)),
            )
        return self.call_prim(fn, (base,), {}, hint)

    def expr_BinOp(self, node: ast.BinOp, hint: str | None) -> Any:
        fn = _BINOPS.get(type(node.op))
        if fn is None:
            raise self.parsed.unsupported(_describe(node.op), node, "")
        left = self.operand(node.left)
        right = self.operand(node.right)
        sequences = [isinstance(v, (list, tuple)) for v in (left, right)]
        if any(sequences) or any(_is_runtime_sequence(v) for v in (left, right)):
            return self.sequence_arithmetic(fn, left, right, node)
        return self.call_prim(fn, (left, right), {}, hint)

    def sequence_arithmetic(self, fn: Any, left: Any, right: Any, node) -> Any:
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
        raise self.parsed.unsupported(
            f"`{_describe_op(fn)}` with a list or tuple operand (Python would "
            "concatenate or repeat it, not do arithmetic)",
            node,
            "use np.array(...) for arithmetic; append to grow a list built at run time",
        )

    def expr_UnaryOp(self, node: ast.UnaryOp, hint: str | None) -> Any:
        fn = _UNARYOPS[type(node.op)]
        return self.call_prim(fn, (self.operand(node.operand),), {}, hint)

    def expr_Compare(self, node: ast.Compare, hint: str | None) -> Any:
        if len(node.ops) != 1:
            raise self.parsed.unsupported(
                "a chained comparison", node, "compare two values at a time"
            )
        fn = _COMPARE.get(type(node.ops[0]))
        if fn is None:
            raise self.parsed.unsupported(
                f"the comparison `{_describe(node.ops[0])}`",
                node,
                "use < <= > >= == !=",
            )
        left = self.operand(node.left)
        right = self.operand(node.comparators[0])
        return self.call_prim(fn, (left, right), {}, hint)

    def expr_Tuple(self, node: ast.Tuple, hint: str | None) -> Any:
        return tuple(self._elements(node.elts))

    def expr_List(self, node: ast.List, hint: str | None) -> Any:
        return self._elements(node.elts)

    def _elements(self, elts: list[ast.expr]) -> list[Any]:
        for elt in elts:
            if isinstance(elt, ast.Starred):
                raise self.parsed.unsupported(
                    "starred elements", elt, "list the elements one by one"
                )
        return [self.operand(elt) for elt in elts]

    def expr_Subscript(self, node: ast.Subscript, hint: str | None) -> Any:
        base = self.operand(node.value)
        index = self.index(node.slice)
        if isinstance(base, dict):
            if is_literal(index) and index in base:
                return base[index]
            raise self.parsed.unsupported(
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

    def item(self, sequence: Any, index: Any, hint: str | None = None) -> Any:
        """``sequence[index]``; a list's item, or an array's."""
        if (
            isinstance(index, str)
            and isinstance(sequence, Value)
            and sequence.container is not False
        ):
            # a dict known only at run time: no rule follows its entries
            raise self.parsed.unsupported(
                f"indexing with the key {index!r} a dict known only at run time",
                self.current_node,
                "keep dicts as parameters or locals indexed by constant keys",
            )
        if isinstance(sequence, Value) and sequence.container is not False:
            # the length now, for the derivative (the list may grow or shrink)
            length = self.call_prim(builtins.len, (sequence,), {}, "length", False)
            return self.call_prim(
                runtime.list_item, (sequence, index, length), {}, hint
            )
        return self.call_prim(operator.getitem, (sequence, index), {}, hint)

    def runtime_list(self, items: Any, node: ast.AST, name: str | None = None) -> Value:
        """A local list or tuple made a runtime value (to grow it, index or loop).

        Items that are dicts are refused: at run time their entries would be
        indexed by key, which the derivative rules of runtime lists do not
        follow."""
        if any(_holds_dict(item) for item in items):
            raise self.parsed.unsupported(
                "a list of dicts indexed or looped over at run time",
                node,
                "index it with constant indices (layers[0]['W']), or hold "
                "tuples instead: layers = [(W1, b1), (W2, b2)]",
            )
        return self.call_prim(runtime.make_list, tuple(items), {}, name, bool(name))

    def expr_Dict(self, node: ast.Dict, hint: str | None) -> Any:
        result: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values):
            if key is None:  # {**other, ...}
                other = self.operand(value)
                if not isinstance(other, dict):
                    raise self.parsed.unsupported(
                        "** of something other than a local dict",
                        value,
                        "unpack a dict built in the function or passed to it",
                    )
                result.update(other)
                continue
            constant = self.operand(key)
            if not is_literal(constant) or isinstance(constant, (list, tuple)):
                raise self.parsed.unsupported(
                    "a dict key computed at run time",
                    key,
                    "use constant keys (strings, numbers)",
                )
            result[constant] = self.operand(value)
        return result

    def expr_ListComp(self, node: ast.ListComp, hint: str | None) -> Any:
        """``[elt for ... in ... if ...]`` as a loop appending to a new list."""
        key = f"<comprehension {id(node)}>"
        saved = {name: self.env.get(name) for name in _comprehension_names(node)}
        self.env[key] = self.call_prim(runtime.make_list, (), {}, "items", False)
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
                raise self.parsed.unsupported("async comprehensions", node, "")
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
        self.stmt(body)
        result = self.env.pop(key)
        for name, value in saved.items():
            if value is None:
                self.env.pop(name, None)
            else:
                self.env[name] = value
        return result

    def stmt_Delete(self, node: ast.Delete) -> None:
        """``del a, b`` at the function's top level (or anywhere in generated
        code): the names are unbound (generated code releases arrays this
        way, and is differentiated again for higher derivatives)."""
        if self.emitter.block is not self.graph.body and not self.parsed.generated:
            # generated code deletes, in a loop body, only names the same
            # iteration made and nothing reads again (passes.release)
            raise self.parsed.unsupported(
                "del inside a loop or branch",
                node,
                "delete names at the function's top level, or rebind them",
            )
        for target in node.targets:
            if not isinstance(target, ast.Name):
                raise self.parsed.unsupported(
                    f"del of {_describe(target)}",
                    target,
                    "only local names can be deleted; build a new array instead",
                )
            if target.id not in self.env:
                raise self.parsed.unsupported(
                    f"del of `{target.id}`, which is not a local variable",
                    target,
                    "delete only names the function has assigned",
                )
            del self.env[target.id]
            self.stale.pop(target.id, None)

    def stmt_Expr(self, node: ast.Expr) -> None:
        call = node.value
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.attr == "append"
            and len(call.args) == 1
            and not call.keywords
        ):
            self.append(call.func.value.id, call.args[0], node)
            return
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.attr == "pop"
            and not call.args
            and not call.keywords
        ):
            self.pop(call.func.value.id, node)
            return
        if _is_docstring(node):
            return
        raise self.parsed.unsupported(
            "an expression statement",
            node,
            "only assignments, list.append(...) and return are evaluated",
        )

    def pop(self, name: str, node: ast.AST) -> None:
        """``name.pop()`` as a statement: the list without its last item."""
        sequence = self.name(name, node)
        if isinstance(sequence, list):
            self.env[name] = sequence[:-1]
            return
        if not isinstance(sequence, Value):
            raise self.parsed.unsupported(
                f"pop on {type(sequence).__name__} `{name}`", node, "pop from a list"
            )
        self._check_no_alias(
            name,
            sequence,
            node,
            f"`{name}.pop()`",
            f"copy the list first: `{name} = list(...)`",
            items_unchanged=True,
        )
        self.env[name] = self.call_prim(runtime.list_pop, (sequence,), {}, None, False)

    def append(self, name: str, item_node: ast.expr, node: ast.AST) -> None:
        sequence = self.name(name, node)
        item = self.operand(item_node)
        if isinstance(sequence, list):
            if self.callee and id(sequence) in self.argument_lists:
                raise self.parsed.unsupported(
                    f"appending to `{name}`, an argument, in a function called "
                    "from differentiated code (the caller would see the change)",
                    node,
                    f"build a new list and return it (`{name} = {name} + [...]`)",
                )
            self._changed_static(name, sequence, node, f"`{name}.append(...)`")
            self.env[name] = sequence + [item]
            return
        if not isinstance(sequence, Value):
            raise self.parsed.unsupported(
                f"appending to {type(sequence).__name__} `{name}`",
                node,
                "append to a list",
            )
        if _holds_dict(item):
            raise self.parsed.unsupported(
                "appending a dict to a list",
                node,
                "append a tuple instead: acts.append((h, z))",
            )
        if not self.is_fresh(sequence):
            self._refuse_changing_arguments(name, sequence, node)
        self._check_no_alias(
            name,
            sequence,
            node,
            f"`{name}.append(...)`",
            f"copy the list first: `{name} = list(...)`",
            items_unchanged=True,
        )
        self.env[name] = self.call_prim(
            runtime.list_append, (sequence, item), {}, None, False
        )

    def index(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Slice):
            parts = (node.lower, node.upper, node.step)
            return slice(*(None if p is None else self.operand(p) for p in parts))
        if isinstance(node, ast.Tuple):
            return tuple(self.index(elt) for elt in node.elts)
        return self.operand(node)

    def expr_Call(self, node: ast.Call, hint: str | None) -> Any:
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.parsed.unsupported(
                    "*args in a call", arg, "pass the arguments one by one"
                )
        for kw in node.keywords:
            if kw.arg is None:
                raise self.parsed.unsupported(
                    "**kwargs in a call", kw.value, "pass keyword arguments by name"
                )
        func = node.func
        if isinstance(func, ast.Attribute):
            base = self.expr(func.value)
            if not isinstance(base, Static):
                return self.method_call(base, func.attr, node, hint)
        callee = self.expr(func)
        if not isinstance(callee, Static):
            raise self.parsed.unsupported(
                "calling a runtime value", node, "call a function by its name"
            )
        args = tuple(self.operand(arg) for arg in node.args)
        kwargs = {kw.arg: self.operand(kw.value) for kw in node.keywords}
        if callee.obj is slice and not kwargs:
            return slice(*args)  # part of an index: a structure, not an op
        if isinstance(callee.obj, Inline):
            return self.inline_call(callee.obj, args, kwargs, node)
        target = callee.obj
        definition = generated_definition(target)
        if definition is not None:  # generated code, transformed again
            target = definition
        if isinstance(target, Checkpoint):
            out = self.user_call(target.__wrapped__, args, kwargs, node, hint)
            self.calls[-1].checkpoint = True
            return out
        if (
            isinstance(target, types.FunctionType) and registry.lookup(target) is None
        ) or isinstance(target, Transformed):
            inlined = self.inlinable(target)
            if inlined is not None:
                return self.inline_function(*inlined, args, kwargs, node, hint)
            return self.user_call(target, args, kwargs, node, hint)
        return self.call_prim(callee.obj, args, kwargs, hint)

    # -- calls of the user's functions -------------------------------------
    def inlinable(self, fn: Any) -> tuple | None:
        """``(parsed, assignments, return)`` of ``fn`` when its body is
        compiled in at its call: a small function of plain assignments and
        one final ``return`` (see :func:`_small_body`), not recursive, not
        generated code, with optimisations on. Else None: a call of its own
        compiled code."""
        if (
            not optimizing()
            or not isinstance(fn, types.FunctionType)
            or any(fn is outer.fn for outer in self.inline_stack)
            or fn.__code__.co_flags
            & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS | inspect.CO_GENERATOR)
            or fn.__code__.co_kwonlyargcount
            or fn.__code__.co_posonlyargcount
        ):
            return None
        try:
            parsed = parse_function(fn)
        except ADError:
            return None  # the call reports it
        body = None if parsed.generated else _small_body(parsed.node)
        if body is None:
            return None
        parsed.within = fn.__qualname__
        return (parsed, *body)

    def inline_function(
        self,
        parsed: ParsedFunction,
        statements: list,
        returned: ast.Return,
        args: tuple,
        kwargs: dict,
        node,
        hint,
    ) -> Any:
        """A call of a small user function (:meth:`inlinable`): its body,
        lowered here with its own names and globals, its lines marked as
        its own. The compiled code depends on the function's code and
        globals as it does on its own (:attr:`callees`)."""
        fn = parsed.fn
        try:
            bound = inspect.signature(fn).bind(*args, **kwargs)
        except TypeError as exc:
            raise self.parsed.error(
                UnsupportedSyntaxError, f"this call of {fn.__qualname__}: {exc}", node
            ) from None
        bound.apply_defaults()
        values = {name: self._spell(v, node) for name, v in bound.arguments.items()}
        saved = [getattr(self, name) for name in _FUNCTION_STATE]
        saved_loc = self.emitter.loc
        self.parsed, self.fn, self.resolved = parsed, fn, {}
        self.env = {**values, RETURNED: False, RETVAL: None}
        self.stale = {}
        self.inline_stack.append(parsed)
        block = self.emitter.block
        start = len(block.ops)
        try:
            self.block(statements)
            self.emitter.loc = parsed.loc(returned)
            result = self.expr(returned.value, hint)
            self.callees.append((fn, fn.__code__, dependencies(self.resolved)))
            if not hint:  # `a, b = f(x)` names the results a and b
                made = {out for op in block.ops[start:] for out in op.outs}
                self.unnamed.update(v for v in tree_values(result) if v in made)
        finally:
            self.inline_stack.pop()
            for name, value in zip(_FUNCTION_STATE, saved):
                setattr(self, name, value)
            self.emitter.loc = saved_loc
        return result

    def user_call(
        self, fn: types.FunctionType, args: tuple, kwargs: dict, node, hint
    ) -> Any:
        """A call of a user function: an op whose callee is transformed in turn."""
        try:
            bound = inspect.signature(user_function(fn)).bind(*args, **kwargs)
        except TypeError as exc:
            raise self.parsed.error(
                UnsupportedSyntaxError, f"this call of {fn.__qualname__}: {exc}", node
            ) from None
        if user_function(fn).__code__.co_flags & (
            inspect.CO_VARARGS | inspect.CO_VARKEYWORDS
        ):
            raise self.parsed.unsupported(
                f"calling {fn.__qualname__}, which takes *args or **kwargs",
                node,
                "give it named parameters",
            )
        bound.apply_defaults()
        operands = tuple(self._spell(value, node) for value in bound.arguments.values())
        structures = tuple(_operand_structure(operand) for operand in operands)
        if isinstance(fn, Transformed):  # a gradient function: its generated code
            fn = source_function(fn, structures)
        callee = self.sites.lowered(fn, structures)
        if callee is not None:  # its result's structure and views are used here
            self.callees.append((fn, fn.__code__, callee.dependencies()))
        if callee is None:  # a recursive call: its result is one value
            out_tree: Any = self.graph.new_value(hint or fn.__name__, bool(hint))
        else:
            out_tree = tree_map(
                lambda leaf: (
                    self.graph.new_value(hint or fn.__name__, bool(hint))
                    if isinstance(leaf, Value)
                    else leaf
                ),
                callee.graph.outputs,
            )
        # without a derivative, the call runs the callee compiled as it is
        # (never the original: the two must not disagree)
        op = CallOp(
            self.sites.primal(fn, structures),
            operands,
            out_tree,
            list(tree_values(out_tree)),
            self.emitter.loc,
            callee=fn,
            structures=structures,
        )
        arguments = [list(tree_values(operand)) for operand in operands]
        if callee is None:
            op.outs[0].container = None
            self.call_views[op.outs[0]] = _views_of(None, None, arguments)
        else:  # each result is a list where the callee's is
            for out, inner in zip(op.outs, tree_values(callee.graph.outputs)):
                out.container = inner.container
                self.call_views[out] = _views_of(callee, inner, arguments)
        if not hint:
            self.unnamed.update(op.outs)
        self.graph.root_name(op.fn)
        self.emitter.block.ops.append(op)
        self.calls.append(op)
        return out_tree

    def _spell(self, value: Any, node: ast.AST) -> Any:
        """An argument of a user call: values, literals, trees of them."""
        if isinstance(value, (tuple, list)):
            return type(value)(self._spell(item, node) for item in value)
        if isinstance(value, dict):
            return {key: self._spell(item, node) for key, item in value.items()}
        if isinstance(value, Value) or is_literal(value):
            return value
        if isinstance(value, Static):
            return self.static_operand(value.obj, node)
        return self.graph.add_free("default", value)

    # -- nested functions and lambdas --------------------------------------
    def stmt_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.decorator_list:
            raise self.parsed.unsupported(
                "a decorated nested function", node, "define it without decorators"
            )
        self.env[node.name] = Static(Inline(node, node.name))

    def expr_Lambda(self, node: ast.Lambda, hint: str | None) -> Any:
        return Static(Inline(node, hint or "lambda"))

    def inline_call(self, inline: "Inline", args: tuple, kwargs: dict, node) -> Any:
        """A nested ``def`` or ``lambda`` called here: its body, inlined.

        Its free names are read from the enclosing function at the call, as
        Python's closures do; its own assignments stay local to it.
        """
        if inline in self.inlining:
            raise self.parsed.unsupported(
                f"recursion of the nested function {inline.name}",
                node,
                "define it at module level: module-level functions may recurse",
            )
        definition = inline.node
        params = definition.args
        if params.vararg or params.kwarg or params.kwonlyargs or params.posonlyargs:
            raise self.parsed.unsupported(
                f"the parameters of {inline.name}",
                node,
                "use plain positional parameters",
            )
        names = [arg.arg for arg in params.args]
        defaults = [self.operand(d) for d in params.defaults]
        values: dict[str, Any] = dict(
            zip(names[len(names) - len(defaults) :], defaults)
        )
        values.update(zip(names, args))
        for key, value in kwargs.items():
            if key not in names:
                raise self.parsed.error(
                    UnsupportedSyntaxError,
                    f"{inline.name}() got an unexpected keyword argument {key!r}",
                    node,
                )
            values[key] = value
        missing = [name for name in names if name not in values]
        if missing:
            raise self.parsed.error(
                UnsupportedSyntaxError,
                f"{inline.name}() missing argument(s) {', '.join(missing)}",
                node,
            )
        outer_env, outer_stale = self.env, self.stale
        self.env = {
            **{k: v for k, v in outer_env.items() if not k.startswith("<")},
            **values,
            RETURNED: False,
            RETVAL: None,
        }
        self.stale = dict(outer_stale)
        self.inlining.append(inline)
        try:
            if isinstance(definition, ast.Lambda):
                result = self.operand(definition.body)
            else:
                self.block(definition.body)
                if self.env[RETURNED] is False:
                    result = None
                else:
                    result = self.env[RETVAL]
        finally:
            self.inlining.pop()
            self.env, self.stale = outer_env, outer_stale
        return result

    def method_call(
        self, base: Any, name: str, node: ast.Call, hint: str | None
    ) -> Any:
        args = tuple(self.operand(arg) for arg in node.args)
        kwargs = {kw.arg: self.operand(kw.value) for kw in node.keywords}
        if name in _METHOD_FUNCTIONS:
            return self.call_prim(_METHOD_FUNCTIONS[name], (base,) + args, kwargs, hint)
        if name in _VARARG_METHODS:
            fn = _VARARG_METHODS[name]
            if len(args) > 1:
                args = (tuple(args),)
            return self.call_prim(fn, (base,) + args, kwargs, hint)
        if name in _TRUE_METHODS:
            return self.call_prim(
                getattr(np.ndarray, name), (base,) + args, kwargs, hint
            )
        supported = sorted(
            set(_METHOD_FUNCTIONS) | set(_VARARG_METHODS) | _TRUE_METHODS
        )
        raise self.parsed.unsupported(
            f"the method `.{name}()`",
            node,
            "supported array methods: " + ", ".join(supported),
        )

    # -- ops --------------------------------------------------------------
    def call_prim(
        self,
        fn: Any,
        args: tuple,
        kwargs: dict,
        hint: str | None = None,
        user_variable: bool = True,
    ) -> Any:
        """Record a call of a registered primitive, after checking its arguments.

        Generated code differentiated again writes its sums plainly: an
        in-place ``add_into``/``subtract_into``/``add_at`` would overwrite values the outer
        backward sweep reads (the outer compiler makes its own in-place sums),
        and ``assemble`` (``concatenate_tiles``) is its pieces' ``unindex``
        added up.
        """
        if fn is runtime.add_into and not kwargs:
            fn = operator.add
        elif fn is runtime.subtract_into and not kwargs:
            fn = operator.sub
        elif fn is runtime.add_at and not kwargs and len(args) == 4:
            acc, part, shape, index = args
            scattered = self.call_prim(runtime.unindex, (part, shape, index), {})
            return self.call_prim(operator.add, (acc, scattered), {}, hint)
        elif fn in (runtime.assemble, runtime.concatenate_tiles) and not kwargs:
            if fn is runtime.assemble:
                shape, *pieces = args
            else:
                shape, axis, cuts, *parts = args
                pieces = runtime.tile_pieces(axis, cuts, parts)
            if pieces and all(
                isinstance(piece, tuple) and len(piece) == 2 for piece in pieces
            ):
                total = None
                for index, part in pieces:
                    scattered = self.call_prim(
                        runtime.unindex, (part, shape, index), {}
                    )
                    total = (
                        scattered
                        if total is None
                        else self.call_prim(operator.add, (total, scattered), {})
                    )
                return total
        node = self.current_node
        prim = registry.lookup(fn)
        if prim is None:
            raise self._no_rule(fn, node)
        self._check_arguments(prim, args, kwargs, node)
        if not any(True for _ in tree_values((args, kwargs))):
            result = prim.fn(*args, **kwargs)
            if (is_literal(result) and not isinstance(result, list)) or isinstance(
                result, np.generic
            ):
                return result.item() if isinstance(result, np.generic) else result
        if hint and user_variable:
            return self.emitter.op(prim, args, kwargs, hint, user_variable=True)
        return self.emitter.op(prim, args, kwargs)

    def _check_arguments(
        self, prim: Primitive, args: tuple, kwargs: dict, node
    ) -> None:
        if prim.signature is None:
            return
        try:
            bound = prim.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise self.parsed.unsupported(
                f"this call of {prim.name} ({exc})",
                node,
                f"{prim.name} accepts {prim.signature} in differentiated code",
            ) from None
        for name in prim.static:
            if name in bound.arguments and any(
                True for _ in tree_values(bound.arguments[name])
            ):
                raise self.parsed.unsupported(
                    f"a runtime value as `{name}` of {prim.name}",
                    node,
                    f"pass `{name}` as a constant",
                )

    def _no_rule(self, fn: Any, node: ast.AST) -> Exception:
        name = _static_name(fn)
        if isinstance(fn, types.FunctionType):
            return self.parsed.error(
                NoRuleError,
                f"call to the Python function {name}, which has no derivative rule",
                node,
                "inline its body into the differentiated function",
            )
        return self.parsed.error(
            NoRuleError,
            f"{name} has no derivative rule",
            node,
            "use a supported function (docs/numpy-coverage.md lists them)",
        )


#: The structure of an argument that is a list built at run time: its
#: length is not known when the callee is compiled.
RUNTIME_SEQUENCE = "runtime sequence"


def _operand_structure(operand: Any) -> Any:
    """:func:`trees.structure` of a call's operand tree, where a value that
    may be a list at run time is a :data:`RUNTIME_SEQUENCE`."""
    if isinstance(operand, Value):
        return LEAF if operand.container is False else RUNTIME_SEQUENCE
    if isinstance(operand, (list, tuple)):
        return (type(operand), tuple(_operand_structure(item) for item in operand))
    if isinstance(operand, dict):
        return (dict, tuple((k, _operand_structure(v)) for k, v in operand.items()))
    return LEAF


def _list_ids(tree: Any) -> set[int]:
    """The ids of the (compile-time) lists in a parameter tree."""
    found: set[int] = set()
    if isinstance(tree, list):
        found.add(id(tree))
    if isinstance(tree, (list, tuple)):
        for item in tree:
            found |= _list_ids(item)
    elif isinstance(tree, dict):
        for item in tree.values():
            found |= _list_ids(item)
    return found


def _is_runtime_sequence(value: Any) -> bool:
    return isinstance(value, Value) and value.container is True


def _describe_op(fn: Any) -> str:
    for op_type, candidate in _BINOPS.items():
        if candidate is fn:
            return _OP_SYMBOLS.get(op_type, fn.__name__)
    return fn.__name__


_OP_SYMBOLS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.FloorDiv: "//",
    ast.Mod: "%",
}


def _views_of(callee: "Lowering | None", inner: Any, arguments: list[list]) -> list:
    """The argument values a call's result may share memory with: those
    passed for the parameters the callee's result ``inner`` may be a view
    of, or every argument when the callee cannot tell (a recursive call,
    not lowered yet, or a result from a call it cannot follow or a list
    built at run time)."""
    sources, unknown = (set(), True) if callee is None else callee.memory_sources(inner)
    if unknown:
        return [value for leaves in arguments for value in leaves]
    return [
        value
        for param, leaves in zip(callee.graph.params, arguments)
        if param in sources
        for value in leaves
    ]


#: What :meth:`Lowering.inline_function` sets for the function it inlines
#: and puts back after it.
_FUNCTION_STATE = (
    "parsed",
    "fn",
    "env",
    "stale",
    "resolved",
    "current_node",
    "return_loc",
)

#: The most statements (plain assignments, then a return) of a function
#: inlined at its calls.
INLINE_STATEMENTS = 10


def _small_body(node: ast.FunctionDef) -> tuple[list, ast.Return] | None:
    """``(assignments, return)`` when a function's body (its docstring
    aside) is at most :data:`INLINE_STATEMENTS` assignments to plain names
    then one ``return`` of a value, with no nested function, lambda,
    comprehension, ``:=``, ``global``, ``yield``, ``out=`` or call of a
    method that changes its object (``append``, ``sort``, ...) anywhere:
    code that reads its arguments and changes nothing outside itself."""
    body = node.body[1:] if node.body and _is_docstring(node.body[0]) else node.body
    if not body or len(body) > INLINE_STATEMENTS + 1:
        return None
    *statements, returned = body
    if not isinstance(returned, ast.Return) or returned.value is None:
        return None
    for statement in statements:
        if not isinstance(statement, ast.Assign) or not all(
            _plain_target(target) for target in statement.targets
        ):
            return None
    for sub in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(sub, _NOT_INLINED) or (
            isinstance(sub, ast.keyword) and sub.arg == "out"
        ):
            return None
        if isinstance(sub, ast.Call) and _called_name(sub.func) in _CHANGING:
            return None
    return statements, returned


#: Methods and functions that change one of their arguments (a list, an
#: array): a function calling one is called, not inlined, so that changes
#: to its caller's objects are refused as they are for any called function.
_CHANGING = frozenset(
    "append pop extend insert remove clear sort reverse update setdefault "
    "popitem fill put resize itemset partition setflags copyto place putmask "
    "fill_diagonal".split()
)


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


_NOT_INLINED = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.NamedExpr,
    ast.Global,
    ast.Nonlocal,
    ast.Yield,
    ast.YieldFrom,
    ast.Await,
    ast.Starred,
)


def _plain_target(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return True
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(isinstance(elt, ast.Name) for elt in target.elts)
    return False


def _comprehension_names(node: ast.ListComp) -> set[str]:
    names: set[str] = set()
    for generator in node.generators:
        for sub in ast.walk(generator.target):
            if isinstance(sub, ast.Name):
                names.add(sub.id)
    return names


def _file_line(loc: Any) -> str:
    """``file.py:line`` of a location, without the directory."""
    return f"{os.path.basename(loc.file)}:{loc.line}"


def _statement(loc: Any) -> str:
    """The source line of a location, without a trailing comment."""
    text = loc.text.strip()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return text
    comment = next((t for t in tokens if t.type == tokenize.COMMENT), None)
    return text[: comment.start[1]].rstrip() if comment else text


def _is_data(obj: Any) -> bool:
    return isinstance(obj, (numbers.Number, np.ndarray, np.generic))


def _hint_of_obj(obj: Any) -> str:
    return "const" if not isinstance(obj, np.ndarray) else "array"


def _static_name(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or ""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", repr(obj))
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


def _target_hint(target: ast.expr) -> str | None:
    return target.id if isinstance(target, ast.Name) else None


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _op_text(node: ast.AugAssign) -> str:
    return _OP_SYMBOLS.get(type(node.op), "?")


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


def _holds_dict(tree: Any) -> bool:
    """True when ``tree`` is or contains a dict (a compile-time structure)."""
    if isinstance(tree, dict):
        return True
    if isinstance(tree, (tuple, list)):
        return any(_holds_dict(item) for item in tree)
    return False


def _describe(node: ast.AST) -> str:
    return _DESCRIPTIONS.get(type(node), type(node).__name__)


def _hint_for(node: ast.AST) -> str:
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


def lower(
    parsed: ParsedFunction, structures: tuple, callee: bool, sites: CallSites
) -> Lowering:
    """Lower a parsed function; the graph is ``result.graph``.

    ``structures`` gives each parameter's :func:`trees.structure` (a leaf
    where it is missing): container arguments become compile-time trees.
    ``callee``: the function is called from differentiated code. ``sites``:
    the pipeline's compiled forms of the user functions it calls.
    """
    lowering = Lowering(parsed, structures, callee, sites)
    lowering.run()
    return lowering
