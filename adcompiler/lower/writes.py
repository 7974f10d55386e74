"""Writes into arrays: ``y[i] = v`` and ``x op= v``.

A write makes a new version of the array (in place when it is provably the
function's own, see :mod:`.memory`, on a copy otherwise), and the memory
model gives every other name for the same memory its value after the write
(:meth:`.memory.MemoryModel.write`). Augmented assignment on lists and
tuples is the statements' (:meth:`.statements.Statements.sequence_augassign`).
"""

from __future__ import annotations

import ast
import operator
from typing import Any

import numpy as np

from ..ir import Value
from .. import runtime
from .errortext import describe, file_line, op_symbol, statement_text
from .expressions import _BINOPS, Expressions
from .memory import MemoryModel
from .names import Names
from .ops import Ops
from .state import MISSING, State


class Writes:
    """Lowers writes into arrays (see the module's docstring).

    Guarantees: a write never changes memory a caller sees; every local
    name for the memory written sees the change, or is marked stale.
    """

    def __init__(
        self,
        state: State,
        expressions: Expressions,
        names: Names,
        memory: MemoryModel,
        ops: Ops,
        statements: Any,
    ):
        self.state = state
        self.expressions = expressions
        self.names = names
        self.memory = memory
        self.ops = ops
        #: the statements part, for assignments into containers
        self.statements = statements

    def set_item(
        self,
        name: str,
        array: Any,
        index: Any,
        value: Any,
        node: ast.AST,
        bind: bool = True,
    ) -> None:
        """``name[index] = value`` on an array: changed in place when it is
        provably a fresh local array, otherwise on a copy (the caller's
        arrays are never written)."""
        if not isinstance(array, Value):
            raise self.state.parsed.unsupported(
                f"assignment into {type(array).__name__} `{name}`",
                node,
                "assign into an array made in the function (np.zeros, .copy())",
            )
        if array.container is not False:
            raise self.state.parsed.unsupported(
                f"assignment into the list `{name}` at a runtime index",
                node,
                "build a new list, or use an array",
            )
        if isinstance(value, (list, tuple)):
            # y[1:] = [a, b]: NumPy makes an array of the items
            value = self.ops.call_prim(np.array, (value,), {}, None, False)
        target_value = array
        if not self.memory.is_fresh(array):
            self.memory.refuse_changing_arguments(name, array, node)
            array = self.ops.call_prim(np.copy, (array,), {}, name, True)
        if isinstance(value, Value) and value.container is not True:
            written, _ = self.memory.memory_sources(array)
            read, unknown_read = self.memory.memory_sources(value)
            overlap = unknown_read or bool(written & read)
        else:
            overlap = False
        if overlap:
            # the right side may be a view of the array: NumPy may read what
            # it has already written (known at run time)
            loc = self.state.parsed.loc(node)
            self.ops.call_prim(
                runtime.not_reading_what_it_writes,
                (array, index, value, f"{file_line(loc)}: `{statement_text(loc)}`"),
                {},
                None,
                False,
            )
        changed = self.ops.call_prim(
            runtime.set_item, (array, index, value), {}, None, False
        )
        written = self.memory.write(
            name,
            target_value,
            changed,
            node,
            f"`{name}[...] = ...`",
            maybe_number=False,
        )
        if bind:  # (else `name` is an item or a view: the write rebound it)
            self.state.env[name] = written

    def augassign(self, node: ast.AugAssign) -> None:
        """``x op= v``: a new value of ``x`` (in place in Python: other names
        sharing its memory become stale); ``x[i] op= v`` is ``x[i] = x[i] op v``."""
        target = node.target
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise self.state.parsed.unsupported(describe(node.op), node, "")
        if isinstance(target, ast.Subscript):
            # y[i] += v  is  y[i] = y[i] + v
            load = ast.Subscript(target.value, target.slice, ast.Load())
            ast.copy_location(load, target)
            current = self.expressions.operand(load)
            right = self.expressions.operand(node.value)
            changed = self.ops.call_prim(op, (current, right), {})
            container = (
                self.state.env.get(target.value.id)
                if isinstance(target.value, ast.Name)
                else self.expressions.operand(target.value)
            )
            if (
                isinstance(container, (dict, list))
                and isinstance(current, Value)
                and current.container is not True
            ):
                # `d[k] op= v` changes the array d[k] in place (every name
                # viewing it sees the change), then stores it back
                changed = self.memory.write(
                    ast.unparse(target.value),
                    current,
                    changed,
                    node,
                    f"`{ast.unparse(target.value)}[...] {op_symbol(node)}=`",
                    maybe_number=True,
                )
                # (in an inlined function, the callers' names too)
            self.statements.assign_item(target, changed)
            return
        if not isinstance(target, ast.Name):
            self.statements.assign(target, None)  # raises the right error
        current = self.names.name(target.id, target)
        op_text = op_symbol(node)
        right: Any = MISSING
        if op in (operator.add, operator.mul) and (
            isinstance(current, (list, tuple))
            or (isinstance(current, Value) and current.container is not False)
        ):
            # Python evaluates the right side first: an array or a number
            # there makes NumPy arithmetic of it (`t += x` gives an array)
            right = self.expressions.operand(node.value)
            if op is operator.mul or not (
                isinstance(right, Value) and right.container is False
            ):
                self.statements.sequence_augassign(node, target.id, current, op, right)
                return
        if (
            isinstance(current, Value)
            and self.state.callee
            and self.memory.may_be_argument(current)
        ):
            # += on a number rebinds it, on an array changes the caller's
            # array: only known at run time
            loc = self.state.parsed.loc(node)
            self.ops.call_prim(
                runtime.not_changed_in_place,
                (current, target.id, f"{file_line(loc)}: `{statement_text(loc)}`"),
                {},
                None,
                False,
            )
        in_place = isinstance(current, Value) and current.container is not True
        if not in_place:
            self.memory.check_no_alias(
                target.id,
                current,
                node,
                f"`{target.id} {op_text}=`",
                f"write `{target.id} = {target.id} {op_text} ...` to make a new array",
            )
        if right is MISSING:
            right = self.expressions.expr(node.value)
        changed = self.ops.call_prim(op, (current, right), {}, target.id, True)
        if in_place:
            # in place for an array: every name viewing it sees the change
            changed = self.memory.write(
                target.id,
                current,
                changed,
                node,
                f"`{target.id} {op_text}=`",
                maybe_number=True,
            )
        self.state.env[target.id] = changed
