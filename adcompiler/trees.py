"""Structures of nested lists, tuples, dicts and objects (parameter trees).

A compiled gradient is specialised on the *structure* of each argument: a
plain value (an array, a number) or a list, tuple or dict of them, nested,
or an *object node*: a dataclass instance, a NamedTuple, or an instance of
a class registered with :func:`register_tree`. Inside the function the
containers are compile-time structures whose leaves are values, and a
gradient has its argument's structure (a dataclass argument gets a
gradient of its class).

An object node's structure is ``(Node, child structures)``: the
:class:`Node` holds the class, the names of its children and its static
data (the fields of a dataclass or NamedTuple that are not data: ints,
bools, strings, None, other objects; a registered class's ``aux``), which
are part of the call key and so compiled in as constants. Generated code
sees an object node as the tuple of its children (:func:`internal`); the
public transformations convert at their boundary and :func:`rebuild` the
object from that tuple.
"""

from __future__ import annotations

import dataclasses
import functools
import numbers
import types
from typing import Any, Callable, Hashable

import numpy as np

from .errors import ArgumentError

#: The structure of a value that is not a container.
LEAF = None


@dataclasses.dataclass(frozen=True, eq=True)
class Node:
    """The static part of an object node: its class, the names of its
    children (None for a registered class whose ``flatten`` gives a
    sequence), its static data as ``(name, value)`` pairs (a registered
    class: ``(("aux", aux),)``), and how it was recognised (``"dataclass"``,
    ``"namedtuple"``, ``"registered"``)."""

    cls: type
    names: tuple | None
    statics: tuple
    kind: str

    @property
    def __name__(self) -> str:  # describe() and messages
        return self.cls.__name__

    def static(self, name: str) -> Any:
        """The static field ``name`` (KeyError if it is not one)."""
        for key, (_, value) in self.statics:
            if key == name:
                return value.obj if isinstance(value, _Same) else value
        raise KeyError(name)

    def static_names(self) -> tuple:
        return tuple(key for key, _ in self.statics)


#: Registered classes: class -> (flatten, unflatten)
_REGISTERED: dict[type, tuple[Callable, Callable]] = {}


def register_tree(
    cls: type,
    flatten: Callable[[Any], tuple[Any, Hashable]],
    unflatten: Callable[[Hashable, Any], Any],
) -> type:
    """Make instances of ``cls`` parameter trees, as
    ``jax.tree_util.register_pytree_node`` does.

    ``flatten(obj)`` returns ``(children, aux)``: ``children`` a list or
    tuple of the values (leaves or subtrees) the object holds, or a dict
    ``{name: child}`` (its names can then be read as attributes,
    ``obj.name``, in differentiated code); ``aux`` hashable static data
    (compared by equality: a new ``aux`` compiles again).
    ``unflatten(aux, children)`` builds an object from them (``children``
    of the kind ``flatten`` gave). A gradient with respect to such an
    argument is ``unflatten(aux, gradients of the children)``. Returns
    ``cls``, so it can be used as a class decorator's helper.
    """
    if not isinstance(cls, type):
        raise ArgumentError(
            f"register_tree takes a class, not {type(cls).__name__}",
            hint="register_tree(MyClass, flatten, unflatten)",
        )
    if cls in (list, tuple, dict) or not callable(flatten) or not callable(unflatten):
        raise ArgumentError(
            f"register_tree({cls.__name__}, ...) needs a user class and two "
            "functions flatten(obj) -> (children, aux) and "
            "unflatten(aux, children) -> obj",
            hint="see docs/subset.md, 'Objects, methods and parameter classes'",
        )
    _REGISTERED[cls] = (flatten, unflatten)
    return cls


def _is_data(value: Any) -> bool:
    """Whether a field value is data (a child of its node): a float, a
    complex, an array, a NumPy scalar (ints, bools, strings, None and other
    objects are static)."""
    if isinstance(value, (bool, int)) and not isinstance(value, np.generic):
        return False
    return isinstance(value, (numbers.Number, np.ndarray, np.generic))


def static_tuple(value: Any) -> bool:
    """Whether ``value`` is a tuple (of tuples) of ints, bools, strings and
    None: static data, like an int (``sizes=(3, 8, 1)``), not a subtree."""
    if type(value) is not tuple:
        return False
    return all(
        static_tuple(item) or (type(item) in (int, bool, str, type(None)))
        for item in value
    )


class _Same:
    """A static value that is not a number, string or tuple of them (a
    function, an object): equal only to itself, whatever its ``__eq__``
    says (the code read its attributes while compiling)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any):
        self.obj = obj

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)


def _hashable(cls: type, name: str, value: Any, by_identity: bool = True) -> Any:
    """``(type, value)``, the call-key form of a static value: ints, bools,
    strings, None and tuples of them by equality, anything else (when
    ``by_identity``) by identity."""
    if by_identity and not (
        type(value) in (int, bool, str, type(None)) or static_tuple(value)
    ):
        return (type(value), _Same(value))
    try:
        hash(value)
    except TypeError:
        raise ArgumentError(
            f"field `{name}` of a {cls.__name__} is a {type(value).__name__}, "
            "which is neither data (a float or an array) nor hashable: static "
            "fields are part of what the gradient is compiled for",
            hint="make it a float, an array, a list/tuple/dict of them, or a "
            "hashable value",
        ) from None
    return (type(value), value)


def _fields(obj: Any) -> list[tuple[str, Any]] | None:
    """The ``(name, value)`` fields of a dataclass instance or NamedTuple."""
    kind = type(obj)
    if kind is not tuple and isinstance(obj, tuple) and hasattr(kind, "_fields"):
        return list(zip(kind._fields, obj))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]
    return None


def object_node(obj: Any) -> tuple[Node, list] | None:
    """``(node, children)`` of an object node, or None for anything else."""
    kind = type(obj)
    registered = _REGISTERED.get(kind)
    if registered is not None:
        children, aux = registered[0](obj)
        names = None
        if isinstance(children, dict):
            names = tuple(children)
            children = list(children.values())
        else:
            children = list(children)
        return (
            Node(
                kind,
                names,
                (("aux", _hashable(kind, "aux", aux, False)),),
                "registered",
            ),
            children,
        )
    fields = _fields(obj)
    if fields is None:
        return None
    names, children, statics = [], [], []
    for name, value in fields:
        if _is_data(value) or (
            structure(value) is not LEAF and not static_tuple(value)
        ):
            names.append(name)
            children.append(value)
        else:
            statics.append((name, _hashable(kind, name, value)))
    tag = "dataclass" if not isinstance(obj, tuple) else "namedtuple"
    return Node(kind, tuple(names), tuple(statics), tag), children


def structure(obj: Any, objects: bool = True) -> Hashable:
    """A hashable description of ``obj``'s nesting (None for a leaf); with
    ``objects`` False, object nodes are leaves."""
    kind = type(obj)
    if kind is list or kind is tuple:
        return (kind, tuple(structure(item, objects) for item in obj))
    if kind is dict:
        return (
            dict,
            tuple((key, structure(item, objects)) for key, item in obj.items()),
        )
    if objects and kind.__module__ != "builtins" and kind is not np.ndarray:
        found = object_node(obj)
        if found is not None:
            node, children = found
            return (node, tuple(structure(child) for child in children))
    return LEAF


class Fixed:
    """The structure of an argument that is a function (``np.tanh``, a
    user function, a ``functools.partial``, a gradient function): code is
    compiled for that very function, a compile-time constant inside, so
    the function is part of the structure, by identity (a bound method by
    its function and object: each attribute read makes a new one). It is
    never differentiated."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any):
        self.obj = obj

    def _identity(self) -> tuple:
        obj = self.obj
        if isinstance(obj, types.MethodType):
            return (id(obj.__func__), id(obj.__self__))
        return (id(obj),)

    def __eq__(self, other: object) -> bool:
        return type(other) is Fixed and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        return f"Fixed({getattr(self.obj, '__qualname__', self.obj)!r})"


class Constant:
    """The structure of an argument the code is specialised on (a static
    parameter: an ``axis``, ``ord``, ``keepdims`` given by a parameter, see
    :mod:`adcompiler.specialise`): its value is a compile-time constant of
    the lowering, so the value is part of the structure, compared with its
    type (``1``, ``True`` and ``1.0`` are three keys). It holds an int, a
    bool, a string, None or a tuple of them, and is never differentiated."""

    __slots__ = ("obj", "_key")

    def __init__(self, obj: Any):
        self.obj = obj
        self._key = _typed(obj)

    def __eq__(self, other: object) -> bool:
        return type(other) is Constant and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return f"Constant({self.obj!r})"


def _typed(obj: Any) -> Hashable:
    if type(obj) is tuple:
        return (tuple, tuple(_typed(item) for item in obj))
    return (type(obj), obj)


def as_constant(value: Any) -> Any:
    """``value`` as the compile-time constant it stands for (NumPy integers,
    bools and strings as Python's), or :data:`NOT_CONSTANT`."""
    if value is None or type(value) in (int, bool, str):
        return value
    if isinstance(value, (np.integer, np.bool_, np.str_)):
        return value.item()
    if type(value) is tuple:
        items = tuple(as_constant(item) for item in value)
        return NOT_CONSTANT if NOT_CONSTANT in items else items
    return NOT_CONSTANT


class _NotConstant:
    def __repr__(self) -> str:
        return "NOT_CONSTANT"


#: What :func:`as_constant` returns for a value code cannot be specialised on.
NOT_CONSTANT = _NotConstant()


def is_function(obj: Any) -> bool:
    """Whether ``obj`` is a function passed as a value (a :class:`Fixed`
    structure): a Python or builtin function, a ufunc, a partial, a bound
    method, or anything adcompiler made of a function (gradients,
    checkpoints). Classes and other callable objects are not."""
    return isinstance(obj, _FUNCTIONS) or (
        getattr(type(obj), "__adcompiler_function__", False) is True
    )


_FUNCTIONS = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    functools.partial,
    np.ufunc,
    type(np.sum),  # NumPy's Python functions (np.sum, np.mean, ...)
)


def argument_structure(obj: Any, objects: bool = True) -> Hashable:
    """:func:`structure`, with each function in ``obj`` a :class:`Fixed`
    (what a call key and a callee's specialisation know of an argument);
    ``objects`` as for :func:`structure`."""
    if is_function(obj) or obj is None:  # None: `b is None` known here
        return Fixed(obj)
    kind = type(obj)
    if kind is list or kind is tuple:
        return (kind, tuple(argument_structure(item, objects) for item in obj))
    if kind is dict:
        return (
            dict,
            tuple((k, argument_structure(v, objects)) for k, v in obj.items()),
        )
    return structure(obj, objects)


def has_objects(shape: Hashable) -> bool:
    """Whether a structure holds an object node."""
    if shape is LEAF or type(shape) is not tuple or len(shape) != 2:
        return False
    kind, children = shape
    if isinstance(kind, Node):
        return True
    if kind is dict:
        return any(has_objects(child) for _, child in children)
    if kind is list or kind is tuple:
        return any(has_objects(child) for child in children)
    return False


def keys_of(shape: Hashable) -> list[tuple[Any, Hashable]]:
    """The (key, child structure) pairs of a container structure (an object
    node's keys are the positions of its children)."""
    kind, children = shape
    if kind is dict:
        return list(children)
    return list(enumerate(children))


def describe(shape: Hashable) -> str:
    """Short text for a structure, for messages: ``dict(W, b)``, ``list[3]``."""
    if shape is LEAF:
        return "value"
    kind, children = shape
    if kind is dict:
        return "dict(" + ", ".join(str(key) for key, _ in children) + ")"
    if isinstance(kind, Node):
        return f"{kind.__name__}({', '.join(kind.names or ())})"
    return f"{kind.__name__}[{len(children)}]"


def leaves(obj: Any) -> list[Any]:
    """The leaves of a nested list, tuple, dict or object node, in order."""
    kind = type(obj)
    if kind is list or kind is tuple:
        return [leaf for item in obj for leaf in leaves(item)]
    if kind is dict:
        return [leaf for item in obj.values() for leaf in leaves(item)]
    if kind.__module__ != "builtins" and kind is not np.ndarray:
        found = object_node(obj)
        if found is not None:
            return [leaf for item in found[1] for leaf in leaves(item)]
    return [obj]


def internal(obj: Any, shape: Hashable) -> Any:
    """``obj`` as generated code sees it: each object node (where ``shape``,
    its structure, has one) replaced by the tuple of its children."""
    if not has_objects(shape):
        return obj
    kind, children = shape
    if isinstance(kind, Node):
        items = object_node(obj)[1]
        return tuple(internal(item, child) for item, child in zip(items, children))
    if kind is dict:
        return {key: internal(obj[key], child) for key, child in children}
    return kind(internal(item, child) for item, child in zip(obj, children))


def build(node: Node, children: list, statics: bool = True) -> Any:
    """The object of ``node`` holding ``children``: its static fields as the
    node has them, or, with ``statics`` False (a derivative: a gradient, a
    tangent, a Jacobian block), None (a registered class's ``aux`` is
    always kept: its ``unflatten`` needs it)."""
    if node.kind == "registered":
        unflatten = _REGISTERED[node.cls][1]
        aux = node.static("aux")
        if node.names is not None:
            return unflatten(aux, dict(zip(node.names, children)))
        return unflatten(aux, list(children))
    values = dict(zip(node.names, children))
    values.update(
        (key, node.static(key) if statics else None) for key in node.static_names()
    )
    if node.kind == "namedtuple":
        return node.cls(**{name: values[name] for name in node.cls._fields})
    made = object.__new__(node.cls)
    for field in dataclasses.fields(node.cls):
        object.__setattr__(made, field.name, values[field.name])
    return made


def rebuild(shape: Hashable, value: Any, statics: bool = True) -> Any:
    """The inverse of :func:`internal`: ``value`` (what generated code gave,
    of structure ``shape`` with each object node as the tuple of its
    children) with each object node built again (:func:`build`). A leaf
    where a container is (0.0 for "no adjoint") is spread over its leaves.
    ``statics`` as for :func:`build`."""
    if not has_objects(shape):
        return value
    kind, children = shape
    if not isinstance(value, (tuple, list, dict)):
        value = _spread(value, shape)
    if isinstance(kind, Node):
        items = [rebuild(c, v, statics) for c, v in zip(children, value)]
        return build(kind, items, statics)
    if kind is dict:
        return {key: rebuild(child, value[key], statics) for key, child in children}
    return kind(rebuild(child, item, statics) for child, item in zip(children, value))


def _spread(value: Any, shape: Hashable) -> Any:
    kind, children = shape
    if kind is dict:
        return {key: value for key, _ in children}
    return [value] * len(children)


def unflatten_leaves(shape: Hashable, flat: list, statics: bool = True) -> Any:
    """The tree of structure ``shape`` whose leaves are ``flat``, in order
    (object nodes built as their classes; ``statics`` as for :func:`build`)."""
    items = iter(flat)

    def make(part: Any) -> Any:
        if part is LEAF:
            return next(items)
        kind, children = part
        if kind is dict:
            return {key: make(child) for key, child in children}
        if isinstance(kind, Node):
            return build(kind, [make(child) for child in children], statics)
        return kind(make(child) for child in children)

    return make(shape)


class ObjectTree(tuple):
    """An object node inside the lowering: the tuple of its children's
    operand trees (as generated code holds it), whose class knows the
    :class:`Node` (``type(tree).node``), so that code rebuilding a tuple
    with ``type(tree)(items)`` keeps it."""

    node: Node

    def field(self, name: str) -> Any:
        """The child named ``name`` (KeyError if there is none)."""
        names = self.node.names
        if names is None or name not in names:
            raise KeyError(name)
        return self[names.index(name)]


_OBJECT_TREES: dict[Node, type] = {}


def object_tree(node: Node, items: Any) -> ObjectTree:
    """The :class:`ObjectTree` of ``node`` holding ``items``."""
    kind = _OBJECT_TREES.get(node)
    if kind is None:
        kind = _OBJECT_TREES[node] = type(
            f"{node.cls.__name__}Tree", (ObjectTree,), {"node": node, "__slots__": ()}
        )
    return kind(items)


def operand_shape(
    tree: Any, leaf: Callable[[Any], Hashable] = lambda _: LEAF
) -> Hashable:
    """The structure of an operand tree (``leaf(value)`` for each leaf), an
    :class:`ObjectTree` as its node."""
    if isinstance(tree, ObjectTree):
        return (type(tree).node, tuple(operand_shape(item, leaf) for item in tree))
    if isinstance(tree, (list, tuple)):
        return (type(tree), tuple(operand_shape(item, leaf) for item in tree))
    if isinstance(tree, dict):
        return (dict, tuple((k, operand_shape(v, leaf)) for k, v in tree.items()))
    return leaf(tree)


def matching(shape: Hashable) -> Hashable:
    """``shape`` with each object node's static values left out: what a
    tangent or cotangent must share with its primal (a derivative's static
    fields are None, see :func:`build`)."""
    if shape is LEAF:
        return shape
    kind, children = shape
    if kind is dict:
        return (dict, tuple((key, matching(child)) for key, child in children))
    if isinstance(kind, Node):
        if kind.kind != "registered":
            kind = (kind.cls, kind.names, kind.static_names())
        return (kind, tuple(matching(child) for child in children))
    return (kind, tuple(matching(child) for child in children))


def derivative(shape: Hashable) -> Hashable:
    """The structure of a derivative of a value of structure ``shape``: each
    object node's static values None (see :func:`build`)."""
    if shape is LEAF:
        return shape
    kind, children = shape
    if kind is dict:
        return (dict, tuple((key, derivative(child)) for key, child in children))
    if isinstance(kind, Node) and kind.kind != "registered":
        none = (type(None), None)
        statics = tuple((key, none) for key, _ in kind.statics)
        kind = Node(kind.cls, kind.names, statics, kind.kind)
    return (kind, tuple(derivative(child) for child in children))
