"""Objects in differentiated code: attributes, methods, parameter classes.

Two kinds of object reach the lowering:

- a *compile-time object* (a :class:`Static`): an instance of a user class
  named by the function (a global, a closure cell, ``self`` of a method,
  an attribute of one of these). Its attributes are read while compiling:
  numbers and strings are spelled as constants, arrays are free values of
  the graph (constants, not differentiated), objects stay compile-time
  objects. Each read is recorded (:func:`record_read`), so the compiled
  code is reused only while the attribute gives the same object: setting
  ``model.scale`` between calls compiles again.
- an *object node* (an :class:`ObjectTree`): a dataclass instance, a
  NamedTuple or a registered class (:func:`trees.register_tree`) passed as
  an argument or built in the code: a compile-time structure of its
  children, read by attribute (``p.W``), whose static fields are constants.

A method called on either (``layer.forward(x)``, ``self.helper(x)``,
``p.norm()``, ``model(x)`` through ``__call__``, a classmethod) has its
body lowered at the call with ``self`` bound to the object
(:meth:`Objects.call_method`). Writing an attribute is refused
(:func:`refuse_attribute_write`): the object is not part of the graph, and
a write would not be seen by the derivative.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import types
from typing import Any

from ..errors import ADError, UnsupportedSyntaxError
from ..frontend import (
    _atoms_only,
    is_missing,
    parse_function,
    resolve_global,
    same_tree,
    snapshot,
)
from ..ir import Value, is_literal
from ..primitives import registry
from ..trees import Node, ObjectTree, _hashable, object_tree, static_tuple
from . import dependencies
from .errortext import library_function
from .callvalues import is_callable
from .state import State, Static


class ObjectStatic(Static):
    """A compile-time object bound to a name of an inlined method (``self``,
    an object passed on): passed through to the body as itself."""

    __slots__ = ()


class _Reader:
    """``reader(name)``: what attribute ``name`` of one object gives now, a
    bound method as its function (each read makes a new bound method);
    compared by identity in the dependency check (see :func:`record_read`)."""

    __slots__ = ("obj", "__weakref__")

    def __init__(self, obj: Any):
        self.obj = obj

    def __call__(self, name: str) -> Any:
        return _identity(getattr(self.obj, name), self.obj)

    def __repr__(self) -> str:
        return f"<attribute of {type(self.obj).__name__}>"


def _identity(value: Any, obj: Any) -> Any:
    if isinstance(value, types.MethodType) and (
        value.__self__ is obj
        or (isinstance(obj, super) and value.__self__ is obj.__self__)
    ):
        return value.__func__
    return value


class _TreeReader:
    """``reader(name)``: True while attribute ``name`` of one object is a
    list, tuple or dict with the items it had (the code may have spelled
    them as constants), the same one when it holds more than numbers and
    strings (the rule :class:`frontend.Dependencies` applies to attribute
    chains); else a new object."""

    __slots__ = ("obj", "kept", "copy", "__weakref__")

    def __init__(self, obj: Any, kept: Any):
        self.obj, self.kept, self.copy = obj, kept, snapshot(kept)

    def __call__(self, name: str) -> Any:
        now = getattr(self.obj, name)
        if not _atoms_only(self.kept) and now is not self.kept:
            return object()
        return True if same_tree(now, self.copy) else object()


def record_read(state: State, obj: Any, name: str, value: Any) -> None:
    """Attribute ``name`` of ``obj`` (an object with no name in the
    function's namespace: ``self``, an attribute of it) gave ``value``:
    the code is reused only while it gives the same object (a list, tuple
    or dict: one with the same items, see :class:`_TreeReader`)."""
    if type(value) in (list, tuple, dict):
        dependencies.record_derived(state, _TreeReader(obj, value), (name,), True)
        return
    dependencies.record_derived(state, _Reader(obj), (name,), _identity(value, obj))


def user_method(obj: Any) -> tuple[types.FunctionType, Any] | None:
    """``(function, self)`` of a bound method of a user class (a
    classmethod's self is its class), or None."""
    if isinstance(obj, types.MethodType) and isinstance(
        obj.__func__, types.FunctionType
    ):
        return obj.__func__, obj.__self__
    return None


def call_target(obj: Any) -> tuple[types.FunctionType, Any] | None:
    """``(function, self)`` when calling ``obj`` runs a method of a user
    class: a bound method, or an instance whose class defines ``__call__``."""
    found = user_method(obj)
    if found is not None:
        return found
    if not is_user_object(obj) or registry.lookup(obj) is not None:
        return None
    call = getattr(type(obj), "__call__", None)
    if isinstance(call, types.FunctionType):
        return call, obj
    return None


def is_record_class(obj: Any) -> bool:
    """Whether ``obj`` is a dataclass or NamedTuple class (built in code as
    an object node)."""
    return isinstance(obj, type) and (
        dataclasses.is_dataclass(obj)
        or (issubclass(obj, tuple) and hasattr(obj, "_fields"))
    )


def refuse_attribute_write(state: State, target: ast.Attribute) -> Exception:
    """The error for ``obj.attr = ...`` (or ``+=``, ``del``) in differentiated code."""
    text = ast.unparse(target)
    return state.parsed.unsupported(
        f"changing `{text}` (an attribute of an object)",
        target,
        "objects are read, not changed, in differentiated code: compute the "
        "new value and return it (or build a new object, e.g. "
        "dataclasses.replace(p, a=...) outside, P(a=..., b=...) inside)",
    )


def check_sequence(state: State, value: Any, node: ast.AST, what: str) -> None:
    """Refuse indexing or unpacking an object node that Python does not
    index (a dataclass, a registered class: only a NamedTuple is a tuple)."""
    if state.parsed.generated:  # generated code holds objects as tuples
        return
    if isinstance(value, ObjectTree) and type(value).node.kind != "namedtuple":
        name = type(value).node.cls.__name__
        raise state.parsed.unsupported(
            f"{what} a {name} (Python raises TypeError: it is not a sequence)",
            node,
            f"read its fields by name ({name.lower()}.field), or make it a "
            "NamedTuple",
        )


class Objects:
    """Attributes and method calls of objects (see the module's docstring).

    Guarantees: every attribute read of an object that is not an argument
    is recorded as a dependency; a method body is lowered as an inlined
    function's (its own names and globals, its lines its own) with ``self``
    the object; anything else about objects raises an ADError naming the
    line.
    """

    def __init__(self, state: State, expressions: Any, inliner: Any):
        self.state = state
        self.expressions = expressions
        self.inliner = inliner

    # -- attributes --------------------------------------------------------

    def field(self, tree: ObjectTree, node: ast.Attribute, hint: str | None) -> Any:
        """``p.name`` for an object node: a child, a static field (a
        constant), a property or a method of its class."""
        meta: Node = type(tree).node
        name = node.attr
        try:
            return tree.field(name)
        except KeyError:
            pass
        if meta.kind != "registered" and name in meta.static_names():
            value = meta.static(name)
            return value if is_literal(value) else ObjectStatic(value)
        attribute = inspect.getattr_static(meta.cls, name, None)
        if isinstance(attribute, property) and isinstance(
            attribute.fget, types.FunctionType
        ):
            return self._inline(attribute.fget, tree, (), {}, node, hint)
        if hasattr(meta.cls, name):  # (the instance may hold its own)
            fix = (
                f"read it from the class ({meta.cls.__name__}.{name}), or make "
                "it a field"
            )
        elif meta.names is None:
            fix = (
                f"give {meta.cls.__name__}'s flatten a dict of children "
                "({name: child}) to read them by name"
            )
        else:
            fix = f"its fields: {', '.join(meta.names + meta.static_names())}"
        raise self.state.parsed.error(
            UnsupportedSyntaxError,
            f"{meta.cls.__name__} has no field `{name}` that differentiated code "
            "can read",
            node,
            fix,
        )

    # -- calls -------------------------------------------------------------

    def call_method(
        self, tree: ObjectTree, name: str, node: ast.Call, hint: str | None
    ) -> Any:
        """``p.method(...)`` for an object node ``p``: the method of its
        class, with ``self`` the node; for a static field holding a
        function (``p.act(x)``), that function as a compile-time object
        (the caller calls it)."""
        meta: Node = type(tree).node
        if meta.kind != "registered" and name in meta.static_names():
            return ObjectStatic(meta.static(name))
        attribute = inspect.getattr_static(meta.cls, name, None)
        if isinstance(attribute, staticmethod):
            attribute = attribute.__func__
            args, kwargs = self._arguments(node)
            return self._inline_plain(attribute, args, kwargs, node, hint)
        if isinstance(attribute, classmethod):
            args, kwargs = self._arguments(node)
            return self._inline(
                attribute.__func__, ObjectStatic(meta.cls), args, kwargs, node, hint
            )
        if not isinstance(attribute, types.FunctionType):
            if name in (meta.names or ()):
                raise self.state.parsed.unsupported(
                    f"calling the field `{name}` of a {meta.cls.__name__}",
                    node,
                    "a field that holds a function is static: make it a "
                    "non-data field, or call the function by name",
                )
            raise self.state.parsed.error(
                UnsupportedSyntaxError,
                f"{meta.cls.__name__} has no method `{name}` that "
                "differentiated code can call",
                node,
                "call a method defined with def in the class",
            )
        args, kwargs = self._arguments(node)
        return self._inline(attribute, tree, args, kwargs, node, hint)

    def call(self, callee: Static, node: ast.Call, hint: str | None) -> Any:
        """A call of a compile-time object, if it is one of an object's
        (a bound method, an instance with ``__call__``, a dataclass or
        NamedTuple class); else :data:`NotImplemented`."""
        obj = callee.obj
        if registry.lookup(obj) is not None or library_function(obj):
            # a primitive (scipy.stats.norm.pdf), or a method of NumPy's or
            # SciPy's without one (a NoRuleError at the call, never its
            # source lowered)
            return NotImplemented
        if is_record_class(obj):
            args, kwargs = self._arguments(node)
            return self.construct(obj, args, kwargs, node)
        if obj is super:
            return self._super(node)
        if (
            isinstance(obj, types.FunctionType)
            and registry.lookup(obj) is None
            and any(self._passes_object(arg) for arg in _argument_nodes(node))
        ):  # apply(model, x): the body lowered here, model a compile-time object
            args, kwargs = self._arguments(node)
            return self._inline_plain(obj, args, kwargs, node, hint)
        if (
            isinstance(obj, type)
            and not obj.__module__.startswith(_LIBRARIES)
            and registry.lookup(obj) is None
        ):
            raise self.state.parsed.unsupported(
                f"building a {obj.__name__} object (a class that is not a "
                "dataclass or NamedTuple)",
                node,
                "build it outside the differentiated function (a global, an "
                "attribute of self) and call its methods here",
            )
        target = call_target(obj)
        if target is None and is_user_object(obj) and not callable(obj):
            raise self.state.parsed.unsupported(
                f"calling a {type(obj).__name__} object (its class has no " "__call__)",
                node,
                "call one of its methods, e.g. obj.forward(x)",
            )
        if target is None:
            return NotImplemented
        function, owner = target
        args, kwargs = self._arguments(node)
        return self._inline(function, ObjectStatic(owner), args, kwargs, node, hint)

    def construct(self, cls: type, args: tuple, kwargs: dict, node: ast.AST) -> Any:
        """``P(a=..., b=...)`` of a dataclass or NamedTuple: an object node
        (the fields that are values or trees its children, literals and
        compile-time objects its static fields)."""
        init = getattr(cls, "__init__", None)
        if dataclasses.is_dataclass(cls) and (
            getattr(cls, "__post_init__", None) is not None
            or getattr(getattr(init, "__code__", None), "co_filename", "") != "<string>"
            or any(not f.init for f in dataclasses.fields(cls))
        ):
            raise self.state.parsed.unsupported(
                f"building a {cls.__name__} (its __init__ or __post_init__ is "
                "its own, or a field has init=False)",
                node,
                "build it outside the differentiated function and pass it in",
            )
        try:
            bound = inspect.signature(cls).bind(*args, **kwargs)
        except TypeError as exc:
            raise self.state.parsed.error(
                UnsupportedSyntaxError, f"this call of {cls.__name__}: {exc}", node
            ) from None
        bound.apply_defaults()
        values = bound.arguments
        if dataclasses.is_dataclass(cls):
            order = [f.name for f in dataclasses.fields(cls)]
        else:
            order = list(cls._fields)
        names, children, statics = [], [], []
        for name in order:
            value = values[name]
            if isinstance(value, Static):
                value = value.obj
                statics.append((name, _hashable(cls, name, value)))
            elif isinstance(value, (Value, tuple, list, dict, float, complex)) and (
                not isinstance(value, bool) and not static_tuple(value)
            ):
                names.append(name)
                children.append(value)
            else:
                statics.append((name, _hashable(cls, name, value)))
        kind = "dataclass" if dataclasses.is_dataclass(cls) else "namedtuple"
        meta = Node(cls, tuple(names), tuple(statics), kind)
        return object_tree(meta, children)

    def _super(self, node: ast.Call) -> Any:
        """``super()`` in a method lowered at its call: ``super(C, self)``
        with ``C`` the class the method was defined in."""
        fn = self.state.fn
        code = fn.__code__
        cell = None
        if fn.__closure__ and "__class__" in code.co_freevars:
            cell = fn.__closure__[code.co_freevars.index("__class__")]
        owner = self.state.env.get(code.co_varnames[0]) if code.co_argcount else None
        if (
            node.args
            or node.keywords
            or cell is None
            or not isinstance(owner, ObjectStatic)
        ):
            raise self.state.parsed.unsupported(
                "this call of super()",
                node,
                "call super().method(...) with no arguments, in a method of an "
                "object read by the function (not of a dataclass argument)",
            )
        return ObjectStatic(super(cell.cell_contents, owner.obj))

    def _passes_object(self, expr: ast.expr) -> bool:
        """Whether an argument is a name or attribute chain that denotes an
        instance of a user class (read without recording: the call reads
        it again)."""
        obj = self._static_value(expr, objects_only=True)
        return is_user_object(obj) and not callable(obj) or call_target(obj) is not None

    # -- loops over objects ---------------------------------------------------

    def unrolled_loop(self, node: ast.For, flow: Any, statements: Any) -> bool:
        """``for layer in self.layers:`` (or ``enumerate(self.layers)``)
        over a list or tuple of objects read while compiling: the body
        lowered once per object, ``layer`` bound to it. Returns whether
        the loop was one (a loop that breaks, continues or returns, or has
        an ``else``, is refused)."""
        iterable, counted = node.iter, False
        if (
            isinstance(iterable, ast.Call)
            and isinstance(iterable.func, ast.Name)
            and iterable.func.id == "enumerate"
            and len(iterable.args) == 1
            and not iterable.keywords
            and resolve_global(self.state.fn, "enumerate") is enumerate
            and "enumerate" not in self.state.env
        ):
            iterable, counted = iterable.args[0], True
        items = self._static_value(iterable)
        if not (
            isinstance(items, (list, tuple))
            and items
            and all(is_user_object(item) for item in items)
        ):
            return False
        jumps = any(
            isinstance(inner, (ast.Break, ast.Continue, ast.Return))
            for stmt in node.body
            for inner in ast.walk(stmt)
        )
        if jumps or node.orelse:
            raise self.state.parsed.unsupported(
                "break, continue, return or else in a loop over objects",
                node,
                "the loop is unrolled (one pass per object): compute a flag "
                "and use it after the loop",
            )
        value = self.expressions.expr(iterable)  # read again, and recorded
        objects = value.obj if isinstance(value, Static) else items
        for position, item in enumerate(objects):
            bound: Any = ObjectStatic(item)
            if counted:
                bound = (position, bound)
            statements.assign(node.target, bound)
            flow.block(node.body)
        return True

    def _static_value(self, expr: ast.expr, objects_only: bool = False) -> Any:
        """What a name or attribute chain denotes when it is a compile-time
        object (read without recording), else None (with ``objects_only``,
        also None when a global at its root is no user object, class or
        module)."""
        chain = []
        while isinstance(expr, ast.Attribute):
            chain.append(expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return None
        if expr.id in self.state.env:
            value = self.state.env[expr.id]
            if not isinstance(value, Static):
                return None
            obj = value.obj
        else:
            obj = resolve_global(self.state.fn, expr.id)
            if is_missing(obj):
                return None
            if objects_only and not (
                is_user_object(obj) or isinstance(obj, (type, types.ModuleType))
            ):
                return None
        try:
            for name in reversed(chain):
                obj = inspect.getattr_static(obj, name)
        except AttributeError:
            return None
        return obj

    # -- inlining ----------------------------------------------------------

    def _arguments(self, node: ast.Call) -> tuple[tuple, dict]:
        """The arguments of a call, objects passed on as themselves."""
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.state.parsed.unsupported(
                    "*args in a call", arg, "pass the arguments one by one"
                )
        for kw in node.keywords:
            if kw.arg is None:
                raise self.state.parsed.unsupported(
                    "**kwargs in a call", kw.value, "pass keyword arguments by name"
                )
        args = tuple(self._argument(arg) for arg in node.args)
        kwargs = {kw.arg: self._argument(kw.value) for kw in node.keywords}
        return args, kwargs

    def _argument(self, expr: ast.expr) -> Any:
        value = self.expressions.expr(expr)
        if isinstance(value, Static) and is_user_object(value.obj):
            return ObjectStatic(value.obj)  # an object handed to a method
        if isinstance(value, Static) and not is_callable(value):
            return self.expressions.names.static_operand(value.obj, expr)
        return value

    def _inline(
        self,
        function: types.FunctionType,
        owner: Any,
        args: tuple,
        kwargs: dict,
        node: ast.AST,
        hint: str | None,
    ) -> Any:
        """``function(owner, *args, **kwargs)``, its body lowered here."""
        return self._inline_plain(function, (owner, *args), kwargs, node, hint)

    def _inline_plain(
        self,
        function: types.FunctionType,
        args: tuple,
        kwargs: dict,
        node: ast.AST,
        hint: str | None,
    ) -> Any:
        name = function.__qualname__
        if any(function is outer.fn for outer in self.state.inline_stack) or (
            function is self.state.fn
        ):
            raise self.state.parsed.unsupported(
                f"the recursive method call of {name}",
                node,
                "write the recursion as a loop, or as a module-level function",
            )
        if function.__code__.co_flags & (
            inspect.CO_VARARGS | inspect.CO_VARKEYWORDS | inspect.CO_GENERATOR
        ):
            raise self.state.parsed.unsupported(
                f"calling {name}, which takes *args or **kwargs (or is a generator)",
                node,
                "give it named parameters",
            )
        try:
            parsed = parse_function(function)
        except ADError as exc:
            raise self.state.parsed.error(
                type(exc), f"calling {name}: {exc.message}", node, exc.hint
            ) from None
        parsed.within = name
        body = parsed.node.body
        if body and _is_docstring(body[0]):
            body = body[1:]
        return self.inliner.inline_function(
            parsed, body, None, args, kwargs, node, hint
        )


def _argument_nodes(node: ast.Call) -> list:
    return [*node.args, *(kw.value for kw in node.keywords)]


def is_user_object(obj: Any) -> bool:
    """Whether a compile-time object is an instance of a user class (not a
    module, function, class, builtin, NumPy or adcompiler object)."""
    return not isinstance(
        obj,
        (
            type,
            types.ModuleType,
            types.FunctionType,
            types.BuiltinFunctionType,
            types.MethodType,
        ),
    ) and not type(obj).__module__.startswith(_LIBRARIES)


#: modules whose objects are not the user's (their calls are primitives,
#: transformed functions, ...)
_LIBRARIES = ("builtins", "numpy", "scipy", "adcompiler", "functools")


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )
