"""Elementwise constructs: functions smooth on all reals applied to an
expression (:data:`UNARY`), and binary operators and functions of two
operands that broadcast (:data:`BINARY`)."""

from __future__ import annotations

import re

from ..program import Shape
from .broadcast import Broadcasting
from .core import ExpressionOption, Family

#: Elementwise functions defined and smooth on all reals, as templates.
UNARY = (
    "np.sin({e})",
    "np.cos({e})",
    "np.tanh({e})",
    "np.arctan({e})",
    "np.arcsinh({e})",
    "np.exp(np.tanh({e}))",
    "np.exp(-np.square({e}))",
    "np.log(1.0 + np.square({e}))",
    "np.log1p({e} ** 2)",
    "np.sqrt(np.square({e}) + 1.0)",
    "np.square({e})",
    "({e} ** 2)",
    "({e} ** 3)",
    "(-{e})",
    "(0.5 * {e})",
    "({e} / 3.0)",
    "({e} - 0.25)",
    "np.expm1(np.sin({e}))",
    "np.sinh(np.tanh({e}))",
    "np.cosh(np.sin({e}))",
    "(1.0 / (1.0 + np.square({e})))",
    "np.reciprocal(2.0 + np.cos({e}))",
    "np.exp2(np.cos({e}))",
    "np.log2(2.0 + np.sin({e}))",
    "np.log10(1.5 + np.tanh({e}))",
    "np.arccos(0.9 * np.tanh({e}))",
    "np.arcsin(0.9 * np.sin({e}))",
    "np.arctanh(0.9 * np.tanh({e}))",
    "np.tan(0.5 * np.tanh({e}))",
    "np.cbrt(np.square({e}) + 1.0)",
    "np.power(np.square({e}) + 1.0, 0.7)",
    "np.abs({e})",
    "np.clip({e}, -0.8, 0.8)",
    "{e}.clip(-1.0, 1.0)",
    "np.negative({e})",
    "np.deg2rad({e})",
    "np.radians({e})",
    "np.positive({e})",
)

#: Binary operators and functions, as templates; the first five are
#: arithmetic (used for scalars).
BINARY = (
    "({a} + {b})",
    "({a} - {b})",
    "({a} * {b})",
    "({a} / (1.0 + np.square({b})))",
    "({a} * np.sin({b}))",
    "np.add({a}, {b})",
    "np.subtract({a}, {b})",
    "np.multiply({a}, {b})",
    "np.divide({a}, 2.0 + np.cos({b}))",
    "np.maximum({a}, {b})",
    "np.minimum({a}, {b})",
    "np.fmax({a}, {b})",
    "np.fmin({a}, {b})",
    "np.logaddexp({a}, {b})",
    "np.logaddexp2({a}, {b})",
    "np.hypot({a}, 0.5 + np.square({b}))",
    "np.arctan2({a}, 1.5 + np.cos({b}))",
    "np.power(1.5 + np.sin({a}), np.tanh({b}))",
    "((1.5 + np.sin({a})) ** np.cos({b}))",
    "np.where({a} > {b}, {a}, 0.5 * {b})",
)


class Elementwise(Family):
    """``np.sin(e)``, ``e ** 2``, ``a + b``, ``np.logaddexp(a, b)``, ..."""

    def expressions(self, shape: Shape, fresh: bool) -> list[ExpressionOption]:
        return [(3.0, self.unary), (4.0, self.binary)]

    def squashed(self, shape: Shape, depth: int) -> str:
        """A fresh expression of bounded magnitude."""
        g = self.g
        inner = g.expr(shape, depth)
        return g.pick(
            [
                f"np.tanh({inner})",
                f"np.sin({inner})",
                f"np.cos({inner})",
                f"np.arctan({inner})",
                f"(0.5 * np.tanh({inner}))",
            ]
        )

    def unary(self, shape: Shape, depth: int) -> str:
        """One of :data:`UNARY` applied to an expression of ``shape``."""
        g = self.g
        template = g.pick(UNARY)
        if shape == () and template.startswith("{e}."):
            template = "np.clip({e}, -1.0, 1.0)"  # a scalar may be a Python float
        return template.format(e=g.expr(shape, depth))

    def binary(self, shape: Shape, depth: int) -> str:
        """One of :data:`BINARY` of an expression of ``shape`` and one that
        broadcasts against it (in either order)."""
        g = self.g
        broadcasting = g.family(Broadcasting)
        a = g.expr(shape, depth)
        b = broadcasting.operand(broadcasting.partner(shape), depth)
        if shape == () and g.chance(0.2):
            b = g.const()
        if g.chance(0.5):
            a, b = b, a
        if shape == () or g.chance(0.3):
            op = g.pick(BINARY[:5])
        else:
            op = g.pick(BINARY)
        text = op.format(a=a, b=b)
        if "{a} > {b}" in op and not re.search(r"[a-z]", text.split(">")[0]):
            return f"({a} * {b})"
        return text
