"""Functions as values: passed, stored, returned, bound, mapped.

A function is never a runtime value of the graph: wherever the code holds
one (a parameter, a local name, an item of a local tuple or dict, an
argument of a helper), it is a :class:`Static`, a compile-time constant,
and calling it calls the function it denotes (a primitive with its rule,
a user function inlined or compiled, a nested ``def`` or ``lambda``
inlined). ``functools.partial(f, a)`` made in the code is a
:class:`Bound`: calling it calls ``f`` with ``a`` first. ``map(f, xs,
...)`` is the list ``[f(x, ...) for x, ... in zip(xs, ...)]``.

A nested function passed to a helper, or returned by the function that
defined it, is :class:`Closed` over the names it reads there. ``grad(f)``
(any :func:`callables.compile_time` function) of a function the code
names is made while compiling: the gradient function is a constant.

Guarantees: a function reaches no primitive as an operand (refused with
the function's name, ``file:line`` and a hint), and no graph output of a
function transformed itself; a name bound to different functions on two
paths of an ``if`` or across a loop's steps is refused (the function
would be chosen at run time, which compiled code cannot follow).
"""

from __future__ import annotations

import ast
import builtins
import functools
import itertools
from typing import Any

from ..ir import Value
from ..trees import Fixed, is_function
from .state import MISSING, Inline, State, Static


class Bound:
    """``functools.partial(fn, *args, **kwargs)`` made in differentiated
    code: ``fn`` a :class:`Static`, the arguments operand trees."""

    __slots__ = ("fn", "args", "kwargs")

    def __init__(self, fn: Static, args: tuple, kwargs: dict):
        self.fn = fn
        self.args = args
        self.kwargs = kwargs


def is_callable(value: Any) -> bool:
    """Whether an operand tree's leaf is a function held as a value."""
    return isinstance(value, Static) and (
        isinstance(value.obj, (Inline, Bound)) or is_function(value.obj)
    )


def _any_leaf(tree: Any, test: Any) -> bool:
    """Whether ``test`` holds for a leaf of an operand tree."""
    if isinstance(tree, (tuple, list)):
        return any(_any_leaf(item, test) for item in tree)
    if isinstance(tree, dict):
        return any(_any_leaf(item, test) for item in tree.values())
    return test(tree)


def holds_callable(tree: Any) -> bool:
    """Whether an operand tree is or holds a function."""
    return _any_leaf(tree, is_callable)


def made_here(tree: Any) -> bool:
    """Whether a tree holds a function that exists only in this compilation
    (a nested ``def``, a ``lambda``, a partial made in the code): a callee
    taking one must be inlined, it cannot be compiled apart for it."""
    return _any_leaf(
        tree,
        lambda leaf: isinstance(leaf, Static) and isinstance(leaf.obj, (Inline, Bound)),
    )


def structure_of(value: Static) -> Fixed:
    """The structure of a function argument of a compiled callee."""
    return Fixed(value.obj)


def runtime_operand(tree: Any) -> Any:
    """A call's operand tree with each function as None: the callee is
    compiled for the function (its structure) and ignores what is passed."""
    if isinstance(tree, tuple):
        return tuple(runtime_operand(item) for item in tree)
    if isinstance(tree, list):
        return [runtime_operand(item) for item in tree]
    if isinstance(tree, dict):
        return {key: runtime_operand(item) for key, item in tree.items()}
    return None if is_callable(tree) else tree


def describe(value: Static) -> str:
    """How a message names a function held as a value."""
    obj = value.obj
    if isinstance(obj, Inline):
        return obj.name
    if isinstance(obj, Bound):
        return f"partial({describe(obj.fn)}, ...)"
    return getattr(obj, "__qualname__", None) or getattr(obj, "__name__", repr(obj))


def same_function(left: Any, right: Any) -> bool:
    """Whether two bindings of a name denote the same function."""
    return (
        isinstance(left, Static)
        and isinstance(right, Static)
        and (left is right or left.obj is right.obj)
    )


def refuse_chosen_at_run_time(
    state: State, name: str, left: Any, right: Any, node: ast.AST
) -> Exception:
    """The error for ``name`` bound to a function on one path of an ``if``
    and to something else on the other."""
    which = [describe(v) if is_callable(v) else "a value" for v in (left, right)]
    what = "a conditional expression" if name.startswith("<") else f"`{name}`"
    return state.parsed.unsupported(
        f"{what} giving {which[0]} on one path and {which[1]} on the "
        "other (a function chosen by a runtime condition)",
        node,
        "call each function in its own branch (`y = f(x) if c else g(x)`), "
        "or choose the function outside the differentiated code",
    )


def refuse_changed_in_loop(state: State, name: str, node: ast.AST) -> Exception:
    """The error for a function that a loop's body rebinds."""
    return state.parsed.unsupported(
        f"`{name}`, a function, rebound inside a loop (the function called "
        "would change from step to step)",
        node,
        "bind the function before the loop, or unroll over a tuple of "
        "functions (`for f in (np.sin, np.cos):` with a constant tuple)",
    )


def partial_of(state: State, args: tuple, kwargs: dict, node: ast.AST) -> Static:
    """``functools.partial(fn, *args, **kwargs)`` made in the code."""
    if not args or not is_callable(args[0]):
        raise state.parsed.unsupported(
            "functools.partial of something other than a function",
            node,
            "pass the function first: partial(loss, w)",
        )
    return Static(Bound(args[0], tuple(args[1:]), dict(kwargs)))


def unbound(callee: Static) -> tuple[Static, tuple, dict] | None:
    """For a partial (made in the code, or a ``functools.partial`` object),
    the function it calls and the arguments it puts first; None for
    anything else."""
    obj = callee.obj
    if isinstance(obj, Bound):
        return obj.fn, obj.args, obj.kwargs
    if isinstance(obj, functools.partial):
        return Static(obj.func), tuple(obj.args), dict(obj.keywords)
    return None


_MAPS = itertools.count()


def map_comprehension(state: State, args: tuple, node: ast.Call) -> ast.ListComp:
    """``map(f, xs, ys)`` as ``[f(x, y) for x, y in zip(xs, ys)]``, over
    hidden names bound in ``state.env`` (the caller lowers it, then drops
    the names starting with ``<map``)."""
    if len(args) < 2 or not is_callable(args[0]):
        raise state.parsed.unsupported(
            "map of something other than a function and sequences",
            node,
            "map(f, xs) with f a function (a def, a lambda, np.sin, a partial)",
        )
    count = next(_MAPS)
    fn = f"<map {count} fn>"
    state.env[fn] = args[0]
    sources, items = [], []
    for k, sequence in enumerate(args[1:]):
        source = f"<map {count} in{k}>"
        state.env[source] = sequence
        sources.append(ast.Name(source, ast.Load()))
        items.append(f"<map {count} item{k}>")
    if len(sources) == 1:
        iterable: ast.expr = sources[0]
        target: ast.expr = ast.Name(items[0], ast.Store())
    else:
        zipped = f"<map {count} zip>"
        state.env[zipped] = Static(builtins.zip)
        iterable = ast.Call(ast.Name(zipped, ast.Load()), sources, [])
        target = ast.Tuple([ast.Name(i, ast.Store()) for i in items], ast.Store())
    call = ast.Call(
        ast.Name(fn, ast.Load()), [ast.Name(i, ast.Load()) for i in items], []
    )
    comprehension = ast.ListComp(call, [ast.comprehension(target, iterable, [], 0)])
    for sub in ast.walk(comprehension):
        ast.copy_location(sub, node)
    return comprehension


def drop_hidden(state: State) -> None:
    """Remove the hidden names :func:`map_comprehension` bound."""
    for name in [name for name in state.env if name.startswith("<map")]:
        del state.env[name]


class Closed(Inline):
    """A nested ``def`` or ``lambda`` returned by the function (or nested
    function) that defined it: its free names of that function are read
    from ``names``, what that function's names were bound to when it
    returned (Python's closure cells, which nothing changes after it
    returns); when ``parsed`` is set (a user function inlined), the globals
    are that function's and no other local name is visible."""

    __slots__ = ("names", "parsed", "fn")

    def __init__(self, inline: Inline, names: dict, parsed: Any, fn: Any):
        super().__init__(inline.node, inline.name, inline.defaults)
        self.names = names
        self.parsed = parsed
        self.fn = fn


def holds_open(tree: Any) -> bool:
    """Whether a tree holds a nested function not yet :class:`Closed`."""
    return _any_leaf(
        tree, lambda leaf: isinstance(leaf, Static) and type(leaf.obj) is Inline
    )


def close_over(
    state: State,
    node: ast.AST,
    tree: Any,
    env: dict,
    own: set[str] | None,
    parsed: Any = None,
    fn: Any = None,
) -> Any:
    """``tree`` (what a function was passed, or returned) with each nested
    function it holds that is not yet closed made a :class:`Closed` over
    ``env``'s names (only those in ``own`` when given: the others belong to
    a function still running, read at the call as Python does). A list or
    dict holding one is refused: made anew, it would no longer be the list
    or dict the code may change in place."""
    if not holds_open(tree):
        return tree  # itself: a list or dict passed keeps its identity
    if isinstance(tree, (list, dict)):
        raise state.parsed.unsupported(
            "a list or dict holding a nested function or lambda, passed to "
            "or returned from a function",
            node,
            "pass or return the function itself, or a tuple of functions",
        )
    if isinstance(tree, tuple):  # an object's tree keeps its class
        return type(tree)(
            close_over(state, node, item, env, own, parsed, fn) for item in tree
        )
    names = {
        name: value
        for name, value in env.items()
        if not name.startswith("<") and (own is None or name in own)
    }
    return Static(Closed(tree.obj, names, parsed, fn))


def made_at_compile_time(
    state: State, callee: Static, args: tuple, kwargs: dict, node: ast.AST
) -> Static:
    """``grad(f, wrt=...)`` (any :func:`callables.compile_time` function)
    called in differentiated code, with ``f`` a function the code names:
    the function it makes, made now, a compile-time constant."""
    values = []
    for arg in (*args, *kwargs.values()):
        if made_here(arg) or _any_leaf(arg, lambda leaf: isinstance(leaf, Value)):
            raise state.parsed.unsupported(
                f"{describe(callee)} of a nested function, lambda, partial or "
                "runtime value inside differentiated code",
                node,
                "define the function at module level (or outside the "
                "transformed function) and pass it by name",
            )
        values.append(arg.obj if isinstance(arg, Static) else arg)
    made = callee.obj(*values[: len(args)], **dict(zip(kwargs, values[len(args) :])))
    return Static(made)


def carried_value(
    state: State, value: Any, name: str, node: ast.AST, missing=MISSING
) -> Any:
    """``value``, a loop-carried variable's before or after a step (``missing``
    for :data:`MISSING`): refused when it is or holds a function."""
    if holds_callable(value):
        raise refuse_changed_in_loop(state, name, node)
    return missing if value is MISSING else value


def local_function(state: State, ident: str, resolve: Any) -> Any:
    """The object a called name denotes when it is a function: a local
    name bound to one, else what ``resolve`` finds; None for a local value."""
    if ident not in state.env:
        return resolve(ident)
    bound = state.env[ident]
    return bound.obj if isinstance(bound, Static) else None


def yielded_value(state: State, name: str, node: ast.AST) -> Any:
    """What a loop's step leaves a carried variable bound to (:data:`MISSING`
    if unbound), refused when it is or holds a function."""
    return carried_value(state, state.env.get(name, MISSING), name, node)
