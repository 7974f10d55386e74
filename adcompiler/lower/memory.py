"""The memory model: which values may share storage, and what a write changes.

Arrays in Python may share memory, and a write through one name changes
what the others read. Generated code computes values (SSA), so the
lowering must know, for each write, every value whose memory it may be,
and give each of them its value after the write. The model:

Which values may share storage
    * **views by primitive record**: an op whose record declares
      ``memory=VIEW`` or ``ITSELF`` for its first argument (basic indexing,
      reshape, ravel, ``.T``/transpose, swapaxes, squeeze, ``np.asarray``,
      ``astype(copy=False)``, ``.view()``, ...) may return that argument's
      memory; whether it does is known at run time only (``x[0]`` of a
      vector is a number, a reshape may copy), and is tested there
      (:func:`runtime.is_view_of`). A chain of such ops from a *root*
      (:meth:`MemoryModel.view_chain`) is what the model follows exactly.
    * **aliases by assignment**: ``b = a`` binds both names to one value:
      the same root.
    * **container items**: a compile-time list, tuple or dict holds values;
      an item bound elsewhere (``d = {"a": y}``) is the same value. An item
      of a list built at run time (``list_item``) may be any value appended
      to it (:meth:`MemoryModel._list_items`).
    * **arguments and globals**: a parameter (or an item of a container
      parameter) is a root like any other; a global's array is a root the
      compiled code may not write (Python would change it for every later
      call).
    * **helper calls**: an inlined helper's ops are the caller's, so its
      views are chains; a called (compiled) helper's result may share the
      memory of the arguments its own model names (``State.call_views``,
      :func:`call_result_views`), which no chain shows.
    * **branches and loops**: a value merged from the two branches of an
      ``if`` or carried by a loop may be any of its origins
      (``State.origins``): it is a root, whose origins share its memory.
    * ``a op= v`` on what may be an array changes its memory in Python,
      where generated code makes a new array: the result is recorded as a
      version of the same memory (``State.versions``).

What each write changes
    ``v[i] = u``, ``v op= u`` (and ``d[k] op= u`` on a container item) go
    through :meth:`MemoryModel.write`:

    1. the parents of the written value, up its view chain to the root,
       get the written elements (:func:`runtime.write_through`: a copy of
       the parent with the view's positions replaced, where the view
       shares memory at run time; the copy keeps the caller's arrays
       unchanged);
    2. every local name (or container item, or value of a tuple being
       assigned) whose value views the same root is rebound to the same
       views of the new root, each link keeping its old value where it did
       not share memory (:func:`runtime.after_write`); ``a op= v`` on a
       number changes nothing else (tested at run time when other names
       hold it). When no other name views the root, nothing is emitted:
       ``H[t] = h`` stays one in-place write;
    3. a name that may share the memory in a way no chain shows (a merge,
       a called helper's result, a list built at run time holding it) is
       marked stale: reading it raises, naming the write (``State.stale``);
    4. a write whose memory may be a global's raises at once.

    Loops and branches: the body is lowered once, so a loop carries the
    names a write through another name may change
    (:func:`names_written_through`, :func:`view_roots`); a view (or another
    name) of a carried or merged array that neither the loop body nor the
    branches bind to another object is rebuilt from its array at each
    iteration's start and after the loop or the ``if`` (:func:`plan_relinks`,
    :func:`relink`: in Python they stay the same objects); a loop
    raises if a write changed a name it does not carry
    (:func:`unchanged_in_body`) or wrote in place into an array the body
    appends to a list, the same memory going on to the next iteration
    (:func:`appended_then_written`: every item would be that array; a
    loop whose passes are known when compiling is unrolled instead,
    :mod:`.unroll`, and each item followed as in straight-line code).
    Reverse mode undoes in-place writes in the backward sweep
    (:mod:`adcompiler.passes.restore`), and returns a copy of any returned
    array those undo.
"""

from __future__ import annotations

import ast
import operator
from typing import Any, Iterator

import numpy as np

from ..callables import Lowered
from ..ir import Op, Value, tree_values
from ..primitives.record import ITSELF, VIEW, lookup, shares_first_argument
from .. import runtime
from .errortext import file_line, statement_text
from .state import State


class MemoryModel:
    """Questions about shared memory, and the bookkeeping of writes.

    Guarantees: :meth:`is_fresh` is true only of arrays the function made
    and nobody else sees; :meth:`memory_sources` over-approximates (it may
    name a value that does not share memory, never miss one that does,
    and says when memory not known here may be involved).
    """

    def __init__(self, state: State):
        self.state = state

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
            if current in self.state.origins:
                yield current, True
                pending.extend(
                    v for v in self.state.origins[current] if isinstance(v, Value)
                )
                continue
            yield current, False
            # a call's result may be (a view of) some of its arguments
            pending.extend(self.state.call_views.get(current, ()))
            # `a op= v` changed a's memory, in Python
            if current in self.state.versions:
                pending.append(self.state.versions[current])
            op = current.op
            if op is not None and _may_share(op) and op.args:
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
            if _may_share(op):
                if not (op.args and isinstance(op.args[0], Value)):
                    return False
        return True

    def may_be_argument(self, value: Value) -> bool:
        """Whether ``value`` may be (a view of) one of the function's arguments."""
        return any(v.kind == "param" for v, _ in self._memory_walk(value))

    def memory_sources(
        self, value: Value, into_lists: bool = False
    ) -> tuple[set[Value], bool]:
        """The values whose memory ``value`` may be (see :meth:`_memory_walk`;
        ``into_lists``: with the lists it is an item of), and whether it may
        also be memory not known here (a call's result, an item of a list
        built at run time)."""
        sources: set[Value] = set()
        unknown = False
        for current, merged in self._memory_walk(value, into_lists=into_lists):
            sources.add(current)
            op = current.op
            if merged:
                continue
            if op is None:
                unknown |= current.kind == "op"
            elif op.prim.fn is runtime.list_item:
                unknown = True
        return sources, unknown

    def check_no_alias(
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
        it is an error (raised by :meth:`Names.name`), never a silent difference.
        """
        if not isinstance(value, Value):
            return
        # every memory the changed value may be: through views, in-place
        # changes, both branches of an if (w = x if c else v), loop-carried
        # variables
        changed, _ = self.memory_sources(value)
        for other, bound in self.state.env.items():
            if other != name and any(
                not changed.isdisjoint(self.memory_sources(leaf)[0])
                # growing or shrinking a list leaves its items as they were
                and not (items_unchanged and leaf.container is not True)
                for leaf in tree_values(bound)
            ):
                self.state.stale[other] = (
                    name,
                    change,
                    self.state.parsed.loc(node),
                    fix,
                )

    def changed_static(
        self, name: str, container: Any, node: ast.AST, what: str | None = None
    ) -> None:
        """Other names bound to the same local list or dict now see stale
        contents (``what`` changed them: ``the change of `name``` by default)."""
        for other, bound in self.state.env.items():
            if other != name and bound is container:
                self.state.stale[other] = (
                    name,
                    what or f"the change of `{name}`",
                    self.state.parsed.loc(node),
                    f"copy it first: `{name} = {type(container).__name__}({other})`",
                )

    # -- writes ----------------------------------------------------------

    def view_chain(self, value: Value) -> tuple[Value, list[Op]]:
        """``(root, links)``: ``value`` is ``links`` (view ops, from the root
        down, each of the one before) applied to ``root``, an array that is
        no view the graph knows of (a parameter, a global, a container's
        item, a merge of branches or iterations, a new array, a version
        made by a write). A link may turn out at run time not to share
        memory (``x[i]`` of a vector, a reshape that copies): the writes
        below test that."""
        links: list[Op] = []
        current = value
        while (
            isinstance(current, Value)
            and current not in self.state.origins
            and _is_link(current.op)
        ):
            links.append(current.op)
            current = current.op.args[0]
        return current, links[::-1]

    def write(
        self,
        name: str,
        old: Value,
        new: Any,
        node: ast.AST,
        change: str,
        maybe_number: bool,
    ) -> Any:
        """Make every local name see the write ``change`` (at ``node``)
        that replaced the contents of ``old`` (``name``, or an item of it)
        by ``new``; return what the written name (or item) itself holds now.

        The exact semantics: the view chain of ``old`` (:meth:`view_chain`)
        is walked up, each parent getting the written elements
        (:func:`runtime.write_through`, where the link shares memory at run
        time); then every local name whose value views the same root is
        rebound to its views of the new root (each link kept as it was
        where it did not share memory, :func:`runtime.after_write`). When
        no other name views the root, nothing is emitted. A name that may
        share memory with ``old`` in a way no chain shows (a branch merge,
        a call's result, a list built at run time holding it) is marked
        stale: reading it raises, naming the write. ``maybe_number``: the
        write is ``old op= v``, which changes ``old`` in place only if it is
        an array (a number is rebound, and its other names keep it); the
        caller binds its target to ``new`` then.

        Raises when the memory written may be a global's: Python would
        change the module's array for every later call, which compiled code
        does not do.
        """
        state = self.state
        root, links = self.view_chain(old)
        written, _ = self.memory_sources(old, into_lists=True)
        state.writes.append((written, change, state.parsed.loc(node), maybe_number))
        if maybe_number and isinstance(new, Value):
            state.versions[new] = old
        for source in written:
            if source.kind == "free":
                raise state.parsed.unsupported(
                    f"{change}, which writes into the global `{source.name}`"
                    + (" through a view of it" if source is not old else ""),
                    node,
                    "copy it first (`v = v.copy()`) and write into the copy; "
                    "compiled code never changes a global",
                )

        def viewing_root(leaf: Any) -> bool:
            return (
                isinstance(leaf, Value)
                and leaf.container is not True
                and self.view_chain(leaf)[0] is root
            )

        # names sharing the memory in a way no chain shows become stale
        items_written, _ = self.memory_sources(old)
        for source in written:
            # an item of a list built at run time may be any of its items
            if isinstance(source.op, Op) and source.op.prim.fn is runtime.list_item:
                for item in self._list_items(source.op.args[0]):
                    items_written |= self.memory_sources(item)[0]
        viewers: set[Value] = set()
        bound_to_old = 0
        # the callers' names too, in an inlined function (as in Python)
        for env in [*state.enclosing_envs, state.env]:
            for other, bound in env.items():
                for leaf in tree_values(bound):
                    if viewing_root(leaf):
                        viewers.add(leaf)
                        bound_to_old += leaf is old
                    elif not self._may_hold(leaf, items_written, written):
                        continue
                    elif env is not state.env:
                        raise state.parsed.unsupported(
                            f"`{statement_text(state.parsed.loc(node))}` in a "
                            "function inlined where it is called, while its "
                            f"caller's `{other}` may share memory with `{name}`",
                            node,
                            "pass the array itself, or a copy (`.copy()`)",
                        )
                    else:
                        state.stale[other] = (
                            name,
                            change,
                            state.parsed.loc(node),
                            "copy the array before writing into it "
                            "(`v = v.copy()`), or write into the array by its "
                            "own name",
                        )
        if viewers <= {old} and (not maybe_number or links or bound_to_old <= 1):
            # only the written name (and names for the same value) see it
            if viewers:
                self._rebind(lambda leaf: new if leaf is old else leaf)
            return new
        emit = self._emit
        # bottom-up: each member of the chain as the write left it
        versions: dict[Value, Any] = {old: new}
        shared: dict[Value, Any] = {}
        current = new
        for link in reversed(links):
            parent = link.args[0]
            positions = emit(runtime.element_positions, (parent,))
            if link.prim.fn is not runtime.after_write:
                # (after_write shows its parent as it is, when it shares it)
                positions = emit(link.prim.fn, (positions, *link.args[1:]), link.kwargs)
            shared[link.out] = emit(runtime.is_view_of, (link.out, parent))
            current = emit(
                runtime.write_through, (parent, shared[link.out], positions, current)
            )
            versions[parent] = current
        if maybe_number and not links:
            # `a += v` on a number rebinds `a` only: its other names keep it
            is_array = emit(runtime.is_view_of, (root, root))
            versions[root] = emit(runtime.after_write, (new, root, is_array))
        # top-down: every value viewing the root, rebuilt from its new version
        rebuilt: dict[Value, Any] = {root: versions[root]}

        def again(value: Value) -> Any:
            if value in rebuilt:
                return rebuilt[value]
            link = value.op
            parent = again(link.args[0])
            seen = emit(link.prim.fn, (parent, *link.args[1:]), link.kwargs)
            if value not in shared:
                shared[value] = emit(runtime.is_view_of, (value, link.args[0]))
            kept = versions.get(value, value)
            rebuilt[value] = emit(runtime.after_write, (seen, kept, shared[value]))
            return rebuilt[value]

        self._rebind(lambda leaf: again(leaf) if leaf in viewers else leaf)
        return again(old) if links else new

    def _rebind(self, fn: Any) -> None:
        """Replace each value leaf of the environment, and of the callers'
        environments in an inlined function, by ``fn(leaf)``."""
        state = self.state
        trees: dict[int, Any] = {}
        for env in [*state.enclosing_envs, state.env]:
            for other, bound in list(env.items()):
                new_bound = _map_leaves(bound, fn, trees)
                if new_bound is not bound:
                    env[other] = new_bound
                    if id(bound) in state.argument_lists:
                        state.argument_lists.add(id(new_bound))

    def _may_hold(self, leaf: Value, items_written: set, written: set) -> bool:
        """Whether ``leaf`` may be (or, a list built at run time, hold) the
        memory of the values ``items_written`` (``written``: with the lists
        those are items of)."""
        sources, _ = self.memory_sources(leaf)
        if not sources.isdisjoint(items_written):
            return True
        if leaf.container is False:
            return False
        if not sources.isdisjoint(written):
            return True
        return any(
            not self.memory_sources(item)[0].isdisjoint(items_written)
            for item in self._list_items(leaf)
        )

    def _list_items(self, value: Value) -> Iterator[Value]:
        """The values put into the list ``value`` by ``append`` or a list
        display, through its versions, branches and iterations."""
        seen: set[Value] = set()
        pending = [value]
        while pending:
            current = pending.pop()
            if current in seen or not isinstance(current, Value):
                continue
            seen.add(current)
            if current in self.state.origins:
                pending.extend(self.state.origins[current])
                continue
            op = current.op
            if op is None:
                continue
            if op.prim.fn is runtime.list_append:
                pending.append(op.args[0])
                if isinstance(op.args[1], Value):
                    yield op.args[1]
            elif op.prim.fn in (runtime.make_list, runtime.make_tuple):
                yield from (v for v in op.args if isinstance(v, Value))
            elif shares_first_argument(op.prim.fn) and op.args:
                pending.append(op.args[0])

    def _emit(self, fn: Any, args: tuple, kwargs: dict | None = None) -> Value:
        return self.state.emitter.op(lookup(fn), args, kwargs or {})

    def refuse_changing_arguments(self, name: str, value: Value, node: ast.AST) -> None:
        """A called function may not change its caller's arrays or lists.

        The function being differentiated changes a copy of its own
        arguments instead (its caller never sees a change); a function it
        calls would have to change the caller's object, which adcompiler
        does not follow, so that is refused.
        """
        if self.state.callee and self.may_be_argument(value):
            raise self.state.parsed.unsupported(
                f"changing `{name}`, an argument, in a function called from "
                "differentiated code (the caller would see the change)",
                node,
                f"copy it first (`{name} = {name}.copy()`) and return the result",
            )


def call_result_views(
    callee: Lowered | None, inner: Any, arguments: list[list]
) -> list:
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


def _may_share(op: Op) -> bool:
    """Whether the result of ``op`` may share its first argument's memory:
    as its record declares, except indexing by a list or an array constant
    (advanced indexing, which copies)."""
    if not shares_first_argument(op.prim.fn):
        return False
    if op.prim.fn is operator.getitem and len(op.args) == 2:
        index = op.args[1]
        parts = index if isinstance(index, tuple) else (index,)
        return not any(_advanced(part) for part in parts)
    return True


def _advanced(part: Any) -> bool:
    """Whether an index part is known, when compiling, to be an integer or
    boolean array (a list, or an array constant)."""
    if isinstance(part, list):
        return True
    if isinstance(part, Value) and part.kind == "free":
        return isinstance(part.obj, np.ndarray) and part.obj.ndim > 0
    return False


def _is_link(op: Any) -> bool:
    """Whether ``op`` makes a view of its first argument, an array, that a
    write can be carried through (see :meth:`MemoryModel.view_chain`): its
    record declares the result may share the argument's memory, and it is
    no write itself, nor an item of a list."""
    if not isinstance(op, Op) or not op.args or not isinstance(op.args[0], Value):
        return False
    prim = op.prim
    return (
        _may_share(op)
        and prim.memory in (VIEW, ITSELF)
        and prim.memory_argument == 0
        and not prim.effect
        and prim.render[0] not in ("setitem", "inplace_method")
        and prim.fn is not runtime.list_item
        and op.args[0].container is False
        and op.out.container is False
    )


def _map_leaves(tree: Any, fn: Any, done: dict[int, Any]) -> Any:
    """``tree`` with each value leaf replaced by ``fn(leaf)``; the same
    object where nothing changed, and one new container for each container
    (``done``: by id), so names bound to one list stay bound to one list."""
    if isinstance(tree, (list, tuple, dict)):
        if id(tree) in done:
            return done[id(tree)]
        if isinstance(tree, dict):
            items = {k: _map_leaves(v, fn, done) for k, v in tree.items()}
            changed = any(items[k] is not tree[k] for k in tree)
            result: Any = items if changed else tree
        else:
            mapped = [_map_leaves(v, fn, done) for v in tree]
            changed = any(a is not b for a, b in zip(mapped, tree))
            result = type(tree)(mapped) if changed else tree
        done[id(tree)] = result
        return result
    if isinstance(tree, Value):
        return fn(tree)
    return tree


def names_written_through(
    body: list[ast.stmt], target: ast.expr | None, iterable: ast.expr | None
) -> set[str]:
    """The names whose arrays a loop's ``body`` may change through another
    name (``for row in Y: row *= 2.0``, ``v = H[t]; v[0] = 1.0``): those
    read by the expressions bound, in the body or as the loop's target, to
    a name the body writes into (``n[...] = ...``, ``n op= ...``), except
    arithmetic, which makes new arrays. A loop carries them, so that a
    write reaching one is seen by the next iteration and after the loop
    (an over-approximation: carrying an unchanged name changes nothing)."""
    bound: dict[str, list[ast.expr]] = {}
    written: set[str] = set()
    if target is not None and iterable is not None:
        for name in ast.walk(target):
            if isinstance(name, ast.Name):
                bound.setdefault(name.id, []).append(iterable)
    for node in body:
        for sub in ast.walk(node):
            targets: list[ast.expr] = []
            if isinstance(sub, ast.Assign):
                targets = sub.targets
                for t in targets:
                    if isinstance(t, ast.Name):
                        bound.setdefault(t.id, []).append(sub.value)
            elif isinstance(sub, ast.AugAssign):
                targets = [sub.target]
                if isinstance(sub.target, ast.Name):
                    written.add(sub.target.id)
            elif isinstance(sub, ast.For):
                for name in ast.walk(sub.target):
                    if isinstance(name, ast.Name):
                        bound.setdefault(name.id, []).append(sub.iter)
            for t in targets:
                if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                    written.add(t.value.id)
    found: set[str] = set()
    pending = list(written)
    while pending:
        name = pending.pop()
        for value in bound.get(name, []):
            if isinstance(value, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.Constant)):
                continue
            for read in ast.walk(value):
                if isinstance(read, ast.Name) and read.id not in found:
                    found.add(read.id)
                    pending.append(read.id)
    return found


def unchanged_in_body(
    state: State, start: dict[str, Any], carried: list[str], loop: ast.AST
) -> None:
    """Raise if a write in a loop's body changed a name the loop does not
    carry (its change would be lost at the next iteration and after the
    loop): ``start`` is the environment the body started from."""
    for name, bound in start.items():
        if name in carried or name.startswith("<"):
            continue
        if state.env.get(name, bound) is not bound:
            raise state.parsed.unsupported(
                f"changing `{name}` in this loop through another name (a view "
                "or an alias of it written into)",
                loop,
                f"write into `{name}` by its own name, or copy the view first",
            )


def appended_then_written(
    state: State, writes: int, appends: int, carried: list, yields: list
) -> None:
    """Raise if a loop's body appends an array to a list and writes into
    it, or an alias of it, in place, and that memory goes on to the next
    iteration: every item appended would be the same array, holding the
    last value written (``buf[:] = x * i; out.append(buf)``). ``writes``
    and ``appends``: how many of each were lowered before the body."""
    memory = MemoryModel(state)
    persisting = {
        value
        for value, new in zip(carried, yields)
        if isinstance(new, Value)
        and isinstance(value, Value)
        and value in memory.memory_sources(new)[0]
    }
    for value, sequence, item, node, parsed in state.appends[appends:]:
        item_memory = memory.memory_sources(value)[0]
        for written, change, loc, maybe_number in state.writes[writes:]:
            if not persisting & written & item_memory:
                continue
            shown = f"`{item}`" if item else "an array"
            what = (
                f"appending {shown} to `{sequence}` in a loop that changes it "
                f"in place ({change} at line {loc.line}; every item of "
                f"`{sequence}` would be the same array, holding the last value "
                "written)"
            )
            if not maybe_number:
                raise parsed.unsupported(
                    what,
                    node,
                    (
                        f"append a copy: `{sequence}.append({item}.copy())`"
                        if item
                        else "append a copy (`.copy()`)"
                    ),
                )
            # `+=` changes an array in place, a number not: known at run time
            where = f"{file_line(parsed.loc(node))}: {what}"
            state.emitter.op(lookup(runtime.not_an_array), (value, where), {})


# -- views across loops ------------------------------------------------------


def _written_names(body: list[ast.stmt]) -> set[str]:
    """Names a block writes into (``n[...] = ...``, ``n[...] op= ...``,
    ``n op= ...``)."""
    written: set[str] = set()
    for node in body:
        for sub in ast.walk(node):
            targets: list[ast.expr] = []
            if isinstance(sub, ast.Assign):
                targets = sub.targets
            elif isinstance(sub, ast.AugAssign):
                targets = [sub.target]
                if isinstance(sub.target, ast.Name):
                    written.add(sub.target.id)
            for t in targets:
                for part in ast.walk(t):
                    if isinstance(part, ast.Subscript) and isinstance(
                        part.value, ast.Name
                    ):
                        written.add(part.value.id)
    return written


def _rebound_names(body: list[ast.stmt]) -> set[str]:
    """Names a block binds to another object (assignment to the name, a loop
    target, ...), as opposed to writing into what they hold."""
    plain: set[str] = set()
    for node in body:
        for sub in ast.walk(node):
            if isinstance(sub, (ast.Assign, ast.AnnAssign, ast.For, ast.With)):
                targets = (
                    sub.targets
                    if isinstance(sub, ast.Assign)
                    else (
                        [sub.target]
                        if not isinstance(sub, ast.With)
                        else [i.optional_vars for i in sub.items if i.optional_vars]
                    )
                )
                for t in targets:
                    for part in ast.walk(t):
                        if isinstance(part, ast.Name) and isinstance(
                            part.ctx, ast.Store
                        ):
                            plain.add(part.id)
            elif isinstance(sub, (ast.NamedExpr, ast.comprehension)):
                for part in ast.walk(sub.target):
                    if isinstance(part, ast.Name):
                        plain.add(part.id)
            elif isinstance(sub, (ast.FunctionDef, ast.ClassDef)):
                plain.add(sub.name)
            elif isinstance(sub, ast.Delete):
                for part in ast.walk(sub):
                    if isinstance(part, ast.Name):
                        plain.add(part.id)
    return plain


def changed_through_others(state: State, loop: Any, body: list[ast.stmt]) -> set[str]:
    """The local names the ``loop``'s ``body`` may change through other
    names (:func:`names_written_through`, :func:`view_roots`), for the loop
    to carry."""
    target = loop.target if isinstance(loop, ast.For) else None
    iterable = loop.iter if isinstance(loop, ast.For) else None
    return {
        name
        for name in names_written_through(body, target, iterable)
        if any(True for _ in tree_values(state.env.get(name)))
    } | view_roots(state, body)


def view_roots(state: State, body: list[ast.stmt]) -> set[str]:
    """The names bound to the array a view the loop's ``body`` writes into
    is a view of (``v = x[0:1]`` before ``for ...: v *= 2.0``), that is
    (``z = y``) or that are other views of it: the loop carries them, so
    that :func:`plan_relinks` can keep the views views."""
    model = MemoryModel(state)
    found: set[str] = set()
    for name in _written_names(body):
        leaf = state.env.get(name)
        if not (isinstance(leaf, Value) and leaf.container is False):
            continue
        root, _ = model.view_chain(leaf)
        found |= {
            n
            for n, bound in state.env.items()
            if n != name
            and isinstance(bound, Value)
            and bound.container is False
            and model.view_chain(bound)[0] is root
        }
    return found


def plan_relinks(
    state: State, outer: dict[str, Any], carried: list[str], body: list[ast.stmt]
) -> list[tuple]:
    """Of the names ``carried`` (by a loop, or merged after an ``if``), those
    that are views of (or other names for) another one's array when the
    ``body`` starts, and stay the same objects through it (it only writes
    into them, never binds them to another object, and writes into one of
    them): ``(view, base, links, shared)``, ``shared`` the run-time test,
    emitted here (before the loop or the ``if``), that the view was in the
    base's memory. Each iteration starts, and the loop or the ``if`` ends,
    with the view rebuilt from its base (:func:`relink`), so that a write
    through either reaches the other, as in Python. (Carried or merged
    separately, their values would be unrelated.)"""
    model = MemoryModel(state)
    rebound = _rebound_names(body)
    groups: dict[Value, list[tuple[str, list]]] = {}
    for name in sorted(carried):
        leaf = outer.get(name)
        if name in rebound or not (isinstance(leaf, Value) and leaf.container is False):
            continue
        root, links = model.view_chain(leaf)
        groups.setdefault(root, []).append((name, links))
    written = _written_names(body)
    plans = []
    for root, members in groups.items():
        # each is rebuilt from one name for the root itself
        bases = [name for name, links in members if not links]
        if not bases or len(members) < 2 or not written & {n for n, _ in members}:
            continue
        for view, links in members:
            if view == bases[0]:
                continue
            shared = model._emit(runtime.is_view_of, (outer[view], root))
            plans.append((view, bases[0], links, shared))
    return plans


def relink(state: State, plans: list[tuple]) -> None:
    """Bind each view of :func:`plan_relinks` to its links applied to its
    base's current value, where it shares the base's memory (else it keeps
    its own value)."""
    model = MemoryModel(state)
    for view, base, links, shared in plans:
        current, own = state.env.get(base), state.env.get(view)
        if not (isinstance(current, Value) and isinstance(own, Value)):
            continue
        for link in links:
            current = model._emit(link.prim.fn, (current, *link.args[1:]), link.kwargs)
        state.env[view] = model._emit(runtime.after_write, (current, own, shared))


# -- writes in inlined functions, seen by their callers -----------------------


def reach_callers(
    state: State,
    memory: MemoryModel,
    name: str,
    old: Value,
    new: Value,
    node: ast.AST,
    items_unchanged: bool = False,
) -> None:
    """An in-place write made ``new`` of the array or runtime list ``old``
    (``name``) in an inlined function: in its callers, every name bound to
    ``old`` (at any depth) is now bound to ``new``, as in Python; a caller's
    name that may share its memory otherwise (a view) is refused
    (``items_unchanged``: a list grown, whose items stay as they were)."""
    if not state.enclosing_envs:
        return
    changed, _ = memory.memory_sources(old)
    rebuilt: dict[int, Any] = {id(old): new}
    for env in state.enclosing_envs:
        for other, bound in list(env.items()):
            for leaf in tree_values(bound):
                if (
                    leaf is not old
                    and not (items_unchanged and leaf.container is not True)
                    and not changed.isdisjoint(memory.memory_sources(leaf)[0])
                ):
                    raise state.parsed.unsupported(
                        f"`{statement_text(state.parsed.loc(node))}` in a function "
                        f"inlined where it is called, while its caller's "
                        f"`{other}` may share memory with `{name}`",
                        node,
                        "pass the array itself, or a copy (`.copy()`)",
                    )
            env[other] = replaced_trees(bound, rebuilt)


def replaced_trees(tree: Any, rebuilt: dict[int, Any]) -> Any:
    """``tree`` with the containers in ``rebuilt`` (by id) replaced, and the
    containers holding them rebuilt, each once (recorded in ``rebuilt``);
    ``tree`` itself when it holds none of them."""
    if id(tree) in rebuilt:
        return rebuilt[id(tree)]
    if isinstance(tree, (tuple, list)):
        items = [replaced_trees(item, rebuilt) for item in tree]
        if all(new is item for new, item in zip(items, tree)):
            return tree
        new: Any = type(tree)(items)
    elif isinstance(tree, dict):
        values = {key: replaced_trees(item, rebuilt) for key, item in tree.items()}
        if all(values[key] is item for key, item in tree.items()):
            return tree
        new = values
    else:
        return tree
    rebuilt[id(tree)] = new
    return new
