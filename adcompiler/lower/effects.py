"""Calls for what they do, and tests of types: random draws, output,
assertions, casts, ``isinstance``, ``is None``.

Random draws (``rs.randn(3)``, ``rng.standard_normal(shape)``,
``np.random.normal(0, 1, n)``) become ops of the records in
:mod:`adcompiler.primitives.effects`: run once per forward sweep in program
order, their results kept for the backward sweep. So do output statements
(``print``, ``logging.info``, a module-level ``logger.info``,
``warnings.warn``) and ``assert``, which generated code runs in the forward
sweep only. Any other call made as a statement stays refused.

Type and identity tests are answered while compiling where the answer is
known from what the compiler knows of a value: a local list, tuple or dict,
a constant, a function, or an array or number (never a list). Tests only
the run time can answer (``b is None`` of a parameter, ``isinstance(x,
float)`` of a leaf) are ops; the rest are refused.
"""

from __future__ import annotations

import ast
import builtins
import logging
import numbers
import operator
from typing import Any

import numpy as np

from ..ir import CallOp, Op, Value, is_literal
from ..primitives import effects as records
from ..primitives import registry
from .state import Inline, State, Static

#: What a hook returns when the construct is not one of its own.
NOT_MINE = object()

#: Casts callable inside differentiated code (NumPy's types are constants
#: of the source, not callees, until a call of one is seen).
CASTS = records.CASTS

#: The container types a compile-time structure may be tested against.
_CONTAINERS = (list, tuple, dict)


def _spread_operand(value: Any) -> bool:
    return isinstance(value, (tuple, list))


class Effects:
    """Lowers draws, output, assertions, casts and type tests.

    Guarantees: every op made here for a draw or output is impure (see
    :attr:`Primitive.impure`); a type test answered at compile time is the
    answer Python gives for the values the compiled code can be called with
    (a structure is specialised on, a leaf is an array or number); one it
    cannot answer there is an op or an error saying so.
    """

    def __init__(self, state: State, expressions: Any, ops: Any):
        self.state = state
        self.expressions = expressions
        self.ops = ops

    # -- arguments --------------------------------------------------------
    def arguments(self, node: ast.Call, spread_ok: bool = False) -> tuple:
        """The positional and keyword operands of a call; ``*t`` of a local
        tuple or list is spliced in. With ``spread_ok``, a single ``*t`` of a
        runtime value is returned as the third item (else refused)."""
        args: list = []
        spread = None
        for arg in node.args:
            if not isinstance(arg, ast.Starred):
                args.append(self.argument(arg))
                continue
            value = self.expressions.operand(arg.value)
            if _spread_operand(value):
                args.extend(value)
            elif spread_ok and spread is None and len(node.args) == 1:
                spread = value
            else:
                raise self.state.parsed.unsupported(
                    "*args of a value known only at run time in a call",
                    arg,
                    "pass the arguments one by one, or a tuple built in the function",
                )
        kwargs = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise self.state.parsed.unsupported(
                    "**kwargs in a call", kw.value, "pass keyword arguments by name"
                )
            kwargs[kw.arg] = self.argument(kw.value)
        return tuple(args), kwargs, spread

    def argument(self, node: ast.expr) -> Any:
        """An argument's operand; a class (``warnings.warn(msg,
        RuntimeWarning)``, ``print(..., file=sys.stderr)``'s object) is a
        free value."""
        found = self.expressions.expr(node)
        if isinstance(found, Static) and isinstance(found.obj, type):
            return self.state.graph.add_free(found.obj.__name__, found.obj)
        if isinstance(found, Static) and not callable(found.obj):
            dotted = _dotted(node)  # sys.stderr: "stderr"
            hint = dotted[-1] if dotted and dotted[-1].isidentifier() else "const"
            return self.state.graph.add_free(hint, found.obj)
        if isinstance(found, Static):
            return self.expressions.names.static_operand(found.obj, node)
        return found

    # -- calls of compile-time objects ------------------------------------
    def call(self, callee: Any, node: ast.Call, hint: str | None) -> Any:
        """A call of the compile-time object ``callee`` if it is a draw, an
        output function, a cast or a type test (else :data:`NOT_MINE`)."""
        owner = getattr(callee, "__self__", None)
        name = getattr(callee, "__name__", None)
        if records.is_generator(owner) and name is not None:
            generator = self.state.graph.add_free(_generator_hint(node), owner)
            return self.draw(generator, name, node, hint)
        if isinstance(owner, logging.Logger) and name in records.LOG_METHODS:
            logger = self.state.graph.add_free(_generator_hint(node, "logger"), owner)
            args, kwargs, _ = self.arguments(node)
            record = records.logger_record(name)
            return self.ops.call_prim(record, (logger,) + args, kwargs)
        if callee in (builtins.isinstance, builtins.callable, builtins.type):
            return self.type_test(callee, node, hint)
        if isinstance(callee, type) and callee in CASTS:
            args, kwargs, _ = self.arguments(node)
            return self.ops.call_prim(callee, args, kwargs, hint)
        return NOT_MINE  # f(*t) of other functions: see .variadics

    def draw(self, generator: Any, name: str, node: ast.Call, hint: str | None) -> Any:
        """``generator.name(...)``: one draw (refused for other methods)."""
        if name in records.REFUSED_METHODS:
            raise self.state.parsed.unsupported(
                f"the generator method `.{name}()`",
                node,
                records.REFUSED_METHODS[name],
            )
        if name not in records.DRAW_METHODS:
            raise self.state.parsed.unsupported(
                f"the generator method `.{name}()`",
                node,
                "supported draws: " + ", ".join(sorted(records.DRAW_METHODS)),
            )
        spread_ok = name in records.SPREAD_METHODS and not node.keywords
        args, kwargs, spread = self.arguments(node, spread_ok)
        if spread is not None:
            record = records.draw_record(name, spread=True)
            return self.ops.call_prim(record, (generator, spread), {}, hint)
        record = records.draw_record(name)
        return self.ops.call_prim(record, (generator,) + args, kwargs, hint)

    def method(self, base: Any, name: str, node: ast.Call, hint: str | None) -> Any:
        """``base.name(...)`` of a runtime value or a string, if it is a draw
        (``rng.normal(...)``: arrays have no such method) or
        ``"...".format(...)`` (else :data:`NOT_MINE`)."""
        if isinstance(base, Value) and (
            name in records.DRAW_METHODS or name in records.REFUSED_METHODS
        ):
            return self.draw(base, name, node, hint)
        if isinstance(base, str) and name == "format":
            args, kwargs, _ = self.arguments(node)
            return self.ops.call_prim(
                records.format_method, (base,) + args, kwargs, hint
            )
        return NOT_MINE

    def refuse_in_checkpoint(self, call: CallOp, node: ast.AST) -> None:
        """Refuse a checkpointed call whose callee (or a function it calls)
        draws or writes output: its backward runs the callee's forward again,
        which would draw other numbers (or print twice)."""
        seen: set = set()
        pending = [(call.callee, call.structures)]
        while pending:
            fn, structures = pending.pop()
            if (fn, structures) in seen:
                continue
            seen.add((fn, structures))
            lowering = self.state.sites.lowered(fn, structures)
            if lowering is None:  # being lowered: a recursive call
                continue
            for op in lowering.graph.walk():
                if isinstance(op, Op) and op.prim.impure:
                    raise self.state.parsed.unsupported(
                        f"checkpointing {fn.__qualname__}, which calls "
                        f"{op.prim.name} (its backward runs it again: another "
                        "draw, or the output twice)",
                        node,
                        "make the draw outside the checkpointed function and "
                        "pass the noise to it as an argument",
                    )
                if isinstance(op, CallOp) and op.callee is not None:
                    pending.append((op.callee, op.structures))

    # -- statements -------------------------------------------------------
    def statement(self, node: ast.Expr) -> bool:
        """An output call made as a statement (``print(...)``,
        ``logging.info(...)``, ``logger.info(...)``, ``warnings.warn(...)``),
        lowered as an op of the forward sweep; False for anything else."""
        call = node.value
        if not isinstance(call, ast.Call):
            return False
        func = call.func
        if isinstance(func, ast.Attribute) and (
            func.attr in records.DRAW_METHODS or func.attr in records.REFUSED_METHODS
        ):
            base = self.expressions.expr(func.value)
            if isinstance(base, Value) or (
                isinstance(base, Static) and records.is_generator(base.obj)
            ):
                self.expressions.expr(call)  # a draw made for its effect
                return True
        logger = self._named_logger(func)
        if logger is not None:  # logging.getLogger(__name__).debug(...)
            return self.call(getattr(logger, func.attr), call, None) is not NOT_MINE
        if not _dotted(func) or _dotted(func)[0] in self.state.env:
            return False  # not a global's (or module's) function or method
        callee = self.expressions.expr(func)
        if not isinstance(callee, Static):
            return False
        obj = callee.obj
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, logging.Logger):
            return self.call(obj, call, None) is not NOT_MINE
        record = registry.lookup(obj)  # None for an unhashable object too
        if record is None or not record.impure:
            return False  # (print, logging, warnings, np.random.seed, and the
            # checks of generated code differentiated again)
        args, kwargs, _ = self.arguments(call)
        self.ops.call_prim(obj, args, kwargs)
        return True

    def _named_logger(self, func: ast.expr) -> logging.Logger | None:
        """The logger of ``logging.getLogger(name).method``, ``name`` a string
        known while compiling (``__name__``, a literal), or None: getting a
        logger by name always gives the same one, so it is got now."""
        if not (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Call)
            and _dotted(func.value.func) is not None
            and _dotted(func.value.func)[0] not in self.state.env
            and not func.value.keywords
            and len(func.value.args) <= 1
        ):
            return None
        getter = self.expressions.expr(func.value.func)
        if not (isinstance(getter, Static) and getter.obj is logging.getLogger):
            return None
        names = [self.expressions.operand(arg) for arg in func.value.args]
        if not all(isinstance(name, str) for name in names):
            return None
        return logging.getLogger(*names)

    def stmt_Assert(self, node: ast.Assert) -> None:
        """``assert test, msg``: checked at run time in the forward sweep (a
        test known while compiling is checked then, if false, at run time
        still, as Python raises only when the line runs)."""
        test = self.expressions.operand(node.test)
        message = () if node.msg is None else (self.expressions.operand(node.msg),)
        if is_literal(test) and not isinstance(test, (list, tuple)) and test:
            return
        self.ops.call_prim(records.check_assertion, (test,) + message, {})

    # -- text -------------------------------------------------------------
    def expr_JoinedStr(self, node: ast.JoinedStr, hint: str | None) -> Any:
        """An f-string: each field formatted, then the pieces joined."""
        pieces: list = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                pieces.append(part.value)
                continue
            value = self.expressions.operand(part.value)
            spec = ""
            if part.format_spec is not None:
                spec = self.expressions.operand(part.format_spec)
            conversion = "" if part.conversion < 0 else chr(part.conversion)
            pieces.append(
                self.ops.call_prim(
                    records.format_value, (value, spec, conversion), {}, "text"
                )
            )
        if len(pieces) == 1 and not isinstance(pieces[0], str):
            return pieces[0]  # f"{x:.2f}": the field is the string
        return self.ops.call_prim(records.join_text, tuple(pieces), {}, hint)

    def text_operation(self, fn: Any, left: Any, right: Any, hint: Any) -> Any:
        """``"template" % values`` (else :data:`NOT_MINE`)."""
        if fn is operator.mod and isinstance(left, str):
            return self.ops.call_prim(records.percent_format, (left, right), {}, hint)
        return NOT_MINE

    # -- type and identity tests ------------------------------------------
    def type_test(self, fn: Any, node: ast.Call, hint: str | None) -> Any:
        """``isinstance(x, types)``, ``callable(x)`` or ``type(x)``."""
        if node.keywords or len(node.args) != (2 if fn is builtins.isinstance else 1):
            raise self.state.parsed.unsupported(
                f"this call of {fn.__name__}", node, "pass the arguments by position"
            )
        subject = self.expressions.expr(node.args[0])
        if fn is builtins.callable:
            if isinstance(subject, Static):
                return isinstance(subject.obj, Inline) or callable(subject.obj)
            if isinstance(subject, Value):
                return self.ops.call_prim(builtins.callable, (subject,), {}, hint)
            return False  # a constant or a local container
        if fn is builtins.type:
            known = _known_type(subject)
            if known is not None:
                return Static(known)
            raise self.state.parsed.unsupported(
                "type(...) of an array or number (a NumPy or Python type, not "
                "known when compiling)",
                node,
                "test the structure with isinstance(x, (list, tuple)), or the "
                "value with np.ndim(x) == 0",
            )
        classes = _classes(self.class_operand(node.args[1]))
        if classes is None:
            raise self.state.parsed.unsupported(
                "isinstance with a second argument that is not a class or a "
                "tuple of classes",
                node.args[1],
                "name the classes: isinstance(x, (list, tuple))",
            )
        answer = self.instance_of(subject, classes, node)
        if answer is not None:
            return answer
        return self.ops.call_prim(
            builtins.isinstance,
            (subject, self.state.graph.add_free("classes", classes)),
            {},
            hint,
        )

    def class_operand(self, node: ast.expr) -> Any:
        """isinstance's second argument: a class or a tuple display of them,
        as compile-time objects."""
        if isinstance(node, ast.Tuple):
            return tuple(self.class_operand(elt) for elt in node.elts)
        return self.expressions.expr(node)

    def instance_of(self, subject: Any, classes: tuple, node: ast.AST) -> Any:
        """``isinstance(subject, classes)`` when known while compiling, else
        None (an array or number tested against other classes: asked at run
        time)."""
        if isinstance(subject, Static):
            obj = subject.obj
            return isinstance(_A_FUNCTION if isinstance(obj, Inline) else obj, classes)
        if _is_number(subject) and any(
            issubclass(c, (np.generic, np.ndarray)) for c in classes
        ):
            # a number known while compiling may have been a NumPy scalar
            # in Python (a call folded while compiling gives its .item())
            raise self.state.parsed.unsupported(
                "isinstance of a number computed while compiling against NumPy "
                "scalar types (it may be a Python or a NumPy number)",
                node,
                "test against float or int, or numbers.Number",
            )
        if not isinstance(subject, Value):
            return isinstance(subject, classes)
        if subject.container is None:
            raise self.state.parsed.unsupported(
                "isinstance of an item of a list built at run time (a list or "
                "a leaf: not known when compiling)",
                node,
                "loop over a local list or tuple (for u in [a, (b, c)]), which "
                "is unrolled, or index it with constants",
            )
        if subject.container is True:
            # a list made at run time: Python's may have been a tuple
            if list in classes and tuple in classes:
                return True
            raise self.state.parsed.unsupported(
                "isinstance of a list or tuple built at run time",
                node,
                "test with isinstance(x, (list, tuple)), or keep the container "
                "local with constant indices",
            )
        # an array or a number (a leaf: never a container)
        rest = tuple(c for c in classes if c not in _CONTAINERS)
        if not rest:
            return False
        if all(c in (object, numbers.Number) for c in rest):
            return None if numbers.Number in rest else True
        return None

    def compare(self, node: ast.Compare, hint: str | None) -> Any:
        """``a is b``, ``a is not b``, and ``==``/``!=`` of classes
        (``type(x) == list``); :data:`NOT_MINE` for other comparisons."""
        if len(node.ops) != 1:
            return NOT_MINE
        kind = type(node.ops[0])
        if kind not in (ast.Is, ast.IsNot, ast.Eq, ast.NotEq):
            return NOT_MINE
        if kind in (ast.Eq, ast.NotEq) and not _mentions_type(node):
            return NOT_MINE
        left = self.expressions.expr(node.left)
        right = self.expressions.expr(node.comparators[0])
        negate = kind in (ast.IsNot, ast.NotEq)
        if kind in (ast.Eq, ast.NotEq) and any(
            isinstance(side, Value) for side in (left, right)
        ):
            raise self.state.parsed.unsupported(
                "`==` of type(...) and a value known only at run time",
                node,
                "compare two types: type(x) == list, type(x) is tuple",
            )
        same = self.identical(left, right, node)
        if isinstance(same, bool):
            return same != negate
        # one side is a value known only at run time, the other None
        value, other = same
        fn = operator.is_not if negate else operator.is_
        return self.ops.call_prim(fn, (value, other), {}, hint)

    def identical(self, left: Any, right: Any, node: ast.AST) -> Any:
        """Whether ``left is right`` (a bool), or the value and None to test
        at run time."""
        objects = [
            side.obj if isinstance(side, Static) else side for side in (left, right)
        ]
        values = [isinstance(side, Value) for side in objects]
        if not any(values):
            if all(_singleton(o) or isinstance(o, Inline) for o in objects):
                return objects[0] is objects[1]
            if any(o is None for o in objects):
                return False  # a local container or constant is not None
            raise self.state.parsed.unsupported(
                "`is` between two local containers or constants",
                node,
                "compare with ==, or test `is None`",
            )
        if all(values):
            raise self.state.parsed.unsupported(
                "`is` between two values computed at run time (generated code "
                "may copy arrays Python would share)",
                node,
                "compare with ==, or test `is None`",
            )
        value, other = objects if values[0] else objects[::-1]
        if other is None:
            return value, None
        if isinstance(other, type) or _singleton(other):
            if value.container is False and other in _CONTAINERS:
                return False  # an array or number is not a list (nor its type)
        raise self.state.parsed.unsupported(
            "`is` or `==` of a value known only at run time and "
            f"{getattr(other, '__name__', repr(other))}",
            node,
            "test `x is None`, or isinstance(x, (list, tuple)) for structure",
        )


def _singleton(obj: Any) -> bool:
    """Objects ``is`` compares as Python does while compiling: None, bools,
    ``...``, classes, functions, modules."""
    return (
        obj is None
        or isinstance(obj, bool)
        or obj is Ellipsis
        or isinstance(obj, type)
        or callable(obj)
        or type(obj).__name__ == "module"
    )


def _classes(found: Any) -> tuple | None:
    """The classes of isinstance's second argument, as a flat tuple."""
    if isinstance(found, Static):
        found = found.obj
    if isinstance(found, type):
        return (found,)
    if isinstance(found, tuple):
        flat: list = []
        for item in found:
            inner = _classes(item)
            if inner is None:
                return None
            flat.extend(inner)
        return tuple(flat)
    return None


def _known_type(subject: Any) -> type | None:
    """The type of ``subject`` when known while compiling (not a number's:
    it may have been a NumPy scalar in Python)."""
    if isinstance(subject, Static):
        return (
            type(_A_FUNCTION) if isinstance(subject.obj, Inline) else type(subject.obj)
        )
    if isinstance(subject, Value) or _is_number(subject):
        return None
    return type(subject)


def _a_function() -> None:
    """What a lambda or nested ``def`` is, for type tests."""


_A_FUNCTION = _a_function


def _is_number(obj: Any) -> bool:
    return isinstance(obj, (int, float, complex)) and not isinstance(obj, bool)


def _mentions_type(node: ast.Compare) -> bool:
    """Whether either side of ``==`` is ``type(...)``: a class comparison."""
    return any(
        isinstance(side, ast.Call)
        and isinstance(side.func, ast.Name)
        and side.func.id == "type"
        for side in (node.left, *node.comparators)
    )


def _dotted(node: ast.AST) -> tuple[str, ...] | None:
    """``a.b.c`` as ``("a", "b", "c")``; None for anything but names and
    attributes of names."""
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return None if inner is None else inner + (node.attr,)
    return None


def _generator_hint(node: ast.Call, default: str = "rng") -> str:
    """The name generated code gives a global generator or logger."""
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute):
        return "random_state" if func.value.attr == "random" else default
    return default
