"""Reductions (:data:`REDUCTIONS`) over all axes or some, as functions and
methods, with ``keepdims``, and over stacks of expressions."""

from __future__ import annotations

import math

from ..program import Shape
from .core import ExpressionOption, Family

#: Reductions, all with ``axis`` and ``keepdims``.
REDUCTIONS = ("sum", "mean", "prod", "max", "min", "var", "std")


class Reductions(Family):
    """``np.sum(e, axis=0)``, ``e.max()``, ``np.var(np.stack([...]), axis=1)``, ..."""

    def expressions(self, shape: Shape, fresh: bool) -> list[ExpressionOption]:
        return [(2.0, self.reduction)]

    def red_operand(self, red: str, shape: Shape, depth: int) -> str:
        """The operand of a reduction. ``std`` has an infinite derivative
        where the variance is 0, so its operand gets an input added."""
        g = self.g
        inner = g.expr(shape, depth)
        if red == "std":
            jitter = g.input_leaf(shape)
            if jitter is None:
                jitter = g.constant_array(shape) if shape else "0.0"
            # an input can still cancel or repeat along the axis (x[:, ::-1]
            # + x with two columns, a broadcast row): a ramp no expression
            # writes keeps every row and column from being constant
            ramp = (
                f" + np.linspace(0.0, 0.37, {math.prod(shape)}).reshape({shape})"
                if shape
                else ""
            )
            return f"({inner} + {jitter}{ramp})"
        return inner

    def reduction(self, shape: Shape, depth: int) -> str:
        """A reduction whose result has ``shape``."""
        g = self.g
        red = g.pick(REDUCTIONS)
        if red == "std" and not g.inputs:
            red = "var"
        keep = ""
        if shape == ():
            source = g.pick([s for s in g.shapes if s])
            axes = list(range(len(source)))
            axis = g.pick(
                [None, None, tuple(axes), tuple(a - len(source) for a in axes[::-1])]
            )
            if len(source) == 1 and g.chance(0.5):
                axis = g.pick([0, -1])
            if axis is not None and g.chance(0.3):
                # keepdims, then indexed back to a scalar
                operand = self.red_operand(red, source, depth)
                index = ", ".join("0" for _ in source)
                return f"np.{red}({operand}, axis={axis}, keepdims=True)[{index}]"
        elif len(shape) == 1:
            k = g.other_dim()
            if g.chance(0.15):
                r = int(g.pick([2, 3]))
                parts = ", ".join(g.expr((k, shape[0]), depth - 1) for _ in range(r))
                operand = f"np.stack([{parts}])"
                if red == "std":
                    red = "var"
                axis = g.pick([(0, 1), (1, 0), (-3, -2)])
                return f"np.{red}({operand}, axis={axis})"
            position = int(g.rng.integers(0, 2))
            source = (k, shape[0]) if position == 0 else (shape[0], k)
            axis = g.pick([position, position - 2, (position,)])
        else:
            r = int(g.pick([2, 3]))
            position = int(g.rng.integers(0, 3))
            parts = ", ".join(g.expr(shape, depth - 1) for _ in range(r))
            operand = f"np.stack([{parts}], axis={position})"
            if red == "std":
                red = "var"
            axis = g.pick([position, position - 3])
            keep = ", keepdims=True" if g.chance(0.3) else ""
            text = f"np.{red}({operand}, axis={axis}{keep})"
            if keep:
                index = ["slice"] * 3
                index[position] = "0"
                return (
                    text
                    + "["
                    + ", ".join(":" if i == "slice" else i for i in index)
                    + "]"
                )
            return text
        operand = self.red_operand(red, source, depth)
        if axis is None:
            return g.pick([f"np.{red}({operand})", f"{operand}.{red}()"])
        if g.chance(0.4):
            return f"{operand}.{red}(axis={axis}{keep})"
        return f"np.{red}({operand}, axis={axis}{keep})"
