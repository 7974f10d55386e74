"""Differential fuzzing of adcompiler's gradients.

:func:`generate` writes a random numeric Python module, deterministic in its
seed, whose function ``f(x, y)`` mixes the syntax adcompiler accepts:
arithmetic and broadcasting, NumPy calls with rules (elementwise functions,
reductions with axes and ``keepdims``, ``@``, ``einsum``, stacking, ...),
indexing and slicing (integers, slices, ``None``, integer lists, masks),
``if``/``elif``/``else`` on data, ``for`` loops over ranges and rows with
carried state, ``while`` loops with bounded counters, ``break``, calls of a
generated helper (with a default argument), subscript assignment into
``np.zeros`` arrays, augmented assignment, and lists built with ``append``
and stacked. Values stay in safe domains by construction (``log`` and
``sqrt`` of ``1 + e**2``, ``exp`` of bounded values, divisions by ``1 +
e**2``), so every program runs without warnings at any input.

:func:`check` writes a program to a real file (adcompiler reads source),
imports it and compares ``adcompiler.value_and_grad`` with central finite
differences at a random point, and with autograd or JAX when they are
installed and can run the program. A point where the finite differences
depend on the step (a kink, a branch boundary) is replaced by another one.

Outcomes: ``ok``; ``mismatch`` (a wrong value or gradient, or an argument
written); ``crash`` (adcompiler raised something that is not an
:class:`~adcompiler.ADError`); ``unsupported`` (an ``ADError``: the program
uses something adcompiler refuses); ``skipped`` (no smooth point found);
``invalid`` (the program itself fails: a bug of the generator).

Run a campaign with::

    python -m adcompiler.tools.fuzz --count 3000 --seed 1 --save-failures fuzz-failures

which prints ``programs: N, mismatches: M, crashes: C, unsupported: U``.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import linecache
import math
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
import types
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ..api import value_and_grad
from ..errors import ADError
from ..testing import numerical_grad

Shape = tuple[int, ...]

#: Reductions, all with ``axis`` and ``keepdims``.
REDUCTIONS = ("sum", "mean", "prod", "max", "min", "var", "std")

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

#: Scalar-only functions of the ``math`` module and builtins.
MATH = (
    "math.sin({e})",
    "math.cos({e})",
    "math.tanh({e})",
    "math.exp(math.tanh({e}))",
    "math.log(1.0 + {e} ** 2)",
    "math.sqrt({e} * {e} + 1.0)",
    "math.atan({e})",
    "abs({e})",
    "float({e})",
    "math.hypot({e}, 0.5)",
    "math.log1p(math.exp(math.sin({e})))",
    "pow({e}, 2)",
)

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


@dataclass
class Program:
    """A generated module: its source, and the shapes of ``f``'s arguments
    (``y`` is a Python float when its shape is ``()``)."""

    source: str
    x_shape: Shape
    y_shape: Shape
    seed: int = 0

    def header(self) -> str:
        return (
            f"# fuzz: x={self.x_shape} y={self.y_shape} seed={self.seed}\n"
            if self.x_shape
            else ""
        )


@dataclass
class Outcome:
    """The result of checking one program."""

    #: ok, mismatch, crash, unsupported, skipped, invalid; or died: the
    #: process checking the program died (a crash of the interpreter itself,
    #: such as a segmentation fault in NumPy or in an oracle)
    kind: str
    detail: str = ""
    oracles: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.kind in ("mismatch", "crash", "died")


# ---------------------------------------------------------------------------
# the generator


@dataclass
class _Var:
    shape: Shape
    owned: bool  # a fresh array of the program's own, safe to write in place


@dataclass
class _Helper:
    name: str
    params: tuple[Shape, Shape]
    result: Shape
    has_default: bool


class _Generator:
    """Random statements and expressions over variables of known shapes."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        m = int(rng.integers(2, 5))
        n = int(rng.integers(2, 5))
        if n == m and rng.random() < 0.8:
            n = m + 1
        self.m, self.n = m, n
        self.shapes: list[Shape] = sorted(
            {(), (m,), (n,), (m, n), (n, m), (m, m), (n, n)}
        )
        self.vars: dict[str, _Var] = {}
        self.inputs: tuple[str, ...] = ()
        self.ints: dict[str, int] = {}  # loop counters: name -> exclusive bound
        self.refs: set[str] = set()
        self.counter = itertools.count(1)
        self.helper: _Helper | None = None
        self.loop_depth = 0

    # -- random helpers ----------------------------------------------------

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, items: Sequence[Any]) -> Any:
        return items[int(self.rng.integers(len(items)))]

    def weighted(self, options: list[tuple[float, Any]]) -> Any:
        weights = np.array([w for w, _ in options], dtype=float)
        index = int(self.rng.choice(len(options), p=weights / weights.sum()))
        return options[index][1]

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter)}"

    def const(self) -> str:
        return f"{self.pick([0.3, 0.5, 0.7, 1.2, -0.4, 2.0, 0.25, -1.1])}"

    def other_dim(self) -> int:
        return int(self.pick([self.m, self.n]))

    # -- leaves ------------------------------------------------------------

    def _slice(self, size: int, want: int) -> str:
        if want == size:
            return self.pick([":", ":", "::-1", f"0:{size}"]) if size > 1 else ":"
        if want == (size + 1) // 2 and self.chance(0.3):
            return "::2"
        start = int(self.rng.integers(0, size - want + 1))
        if start == size - want and self.chance(0.5):
            return f"-{want}:"
        if start == 0 and self.chance(0.5):
            return f":{want}"
        return f"{start}:{start + want}"

    def _index(self, size: int) -> str:
        i = int(self.rng.integers(0, size))
        if self.chance(0.25):
            return str(i - size)
        return str(i)

    def _int_index(self, size: int) -> str | None:
        """A loop counter usable as an index into a dimension of ``size``."""
        names = [k for k, bound in self.ints.items() if bound <= size]
        if names and self.chance(0.7):
            return self.pick(names)
        return None

    def leaf(self, shape: Shape) -> str:
        options: list[tuple[float, str]] = []
        for name, var in self.vars.items():
            s = var.shape
            weight = 1.0 if name not in self.inputs else 1.5
            if s == shape:
                options.append((3.0 * weight, name))
            if (
                len(s) == len(shape)
                and s != shape
                and all(a >= b for a, b in zip(s, shape))
            ):
                index = ", ".join(self._slice(a, b) for a, b in zip(s, shape))
                options.append((weight, f"{name}[{index}]"))
            if len(s) == 2 and len(shape) == 2 and s[::-1] == shape:
                options.append((weight, f"{name}.T"))
            if len(s) == 2 and len(shape) == 1:
                if s[1] >= shape[0]:
                    i = self._int_index(s[0]) or self._index(s[0])
                    cols = self._slice(s[1], shape[0])
                    options.append(
                        (
                            weight,
                            f"{name}[{i}]" if cols == ":" else f"{name}[{i}, {cols}]",
                        )
                    )
                if s[0] >= shape[0]:
                    j = self._int_index(s[1]) or self._index(s[1])
                    options.append(
                        (weight, f"{name}[{self._slice(s[0], shape[0])}, {j}]")
                    )
            if len(s) >= 1 and shape == ():
                index = ", ".join(self._int_index(a) or self._index(a) for a in s)
                options.append((weight, f"{name}[{index}]"))
        if shape == ():
            options.append((0.5, self.const()))
            for counter in self.ints:
                options.append((0.5, f"({counter} * 0.25)"))
        if not options or (len(shape) == 2 and self.chance(0.1)):
            if len(shape) == 2 and self.chance(0.8):
                p, q = shape
                return f"({self.leaf((p,))}[:, None] * {self.leaf((q,))})"
            return self.constant_array(shape)
        leaf = self.weighted(options)
        self.refs.update(re.findall(r"[A-Za-z_]\w*", leaf))
        return leaf

    def constant_array(self, shape: Shape) -> str:
        if len(shape) == 1:
            return self.pick(
                [
                    f"np.linspace(-1.0, 1.0, {shape[0]})",
                    f"(np.arange({shape[0]}) * 0.5)",
                    f"np.full({shape[0]}, {self.const()})",
                ]
            )
        return self.pick(
            [
                f"np.full({shape}, {self.const()})",
                f"np.ones({shape})",
                f"(np.eye({shape[0]}, {shape[1]}) * 0.5)",
            ]
        )

    # -- expressions -------------------------------------------------------

    def expr(self, shape: Shape, depth: int, fresh: bool = False) -> str:
        """An expression of exactly ``shape``. With ``fresh``, a new array
        (never a view of a variable), so the result may be written in place."""
        if not fresh and (depth <= 0 or self.chance(0.2)):
            return self.leaf(shape)
        depth = max(depth, 1)
        options: list[tuple[float, Callable[[Shape, int], str]]] = [
            (3.0, self.unary),
            (4.0, self.binary),
            (2.0, self.reduction),
            (1.0, self.matmul),
        ]
        if len(shape) == 2:
            options += [(1.0, self.outer), (0.6, self.fancy_index), (0.5, self.where)]
            options += [(0.6, self.concatenate), (0.4, self.stacked)]
            options += [(0.3, self.cumsum)]
        if len(shape) == 1:
            options += [(0.6, self.concatenate), (0.5, self.fancy_index)]
            options += [(0.3, self.cumsum), (0.5, self.where)]
        if shape == ():
            options += [(1.0, self.math_call), (0.6, self.builtin_minmax)]
            options += [(0.3, self.masked_sum), (0.4, self.list_sum)]
        if not fresh:
            options += [(0.8, self.reshaped), (0.5, self.indexed), (0.4, self.ifexp)]
            if self.helper is not None and self.helper.result == shape:
                options.append((0.8, self.call_helper))
        kind = self.weighted(options)
        return kind(shape, depth - 1)

    def squashed(self, shape: Shape, depth: int) -> str:
        """A fresh expression of bounded magnitude."""
        inner = self.expr(shape, depth)
        return self.pick(
            [
                f"np.tanh({inner})",
                f"np.sin({inner})",
                f"np.cos({inner})",
                f"np.arctan({inner})",
                f"(0.5 * np.tanh({inner}))",
            ]
        )

    def unary(self, shape: Shape, depth: int) -> str:
        template = self.pick(UNARY)
        if shape == () and template.startswith("{e}."):
            template = "np.clip({e}, -1.0, 1.0)"  # a scalar may be a Python float
        return template.format(e=self.expr(shape, depth))

    def partner(self, shape: Shape) -> Shape:
        """A shape that broadcasts against ``shape`` to ``shape`` (with 1s
        written as such)."""
        if len(shape) == 2:
            p, q = shape
            return self.pick([shape, shape, (q,), (), (1, q), (p, 1)])
        if len(shape) == 1:
            return self.pick([shape, shape, ()])
        return ()

    def operand(self, shape: Shape, depth: int) -> str:
        if len(shape) == 2 and shape[0] == 1:
            return self.keep_row(shape[1], depth)
        if len(shape) == 2 and shape[1] == 1:
            return self.keep_col(shape[0], depth)
        return self.expr(shape, depth)

    def binary(self, shape: Shape, depth: int) -> str:
        a = self.expr(shape, depth)
        b = self.operand(self.partner(shape), depth)
        if shape == () and self.chance(0.2):
            b = self.const()
        if self.chance(0.5):
            a, b = b, a
        if shape == () or self.chance(0.3):
            op = self.pick(BINARY[:5])
        else:
            op = self.pick(BINARY)
        text = op.format(a=a, b=b)
        if "{a} > {b}" in op and not re.search(r"[a-z]", text.split(">")[0]):
            return f"({a} * {b})"
        return text

    def keep_row(self, q: int, depth: int) -> str:
        """An expression of shape ``(1, q)``."""
        k = self.other_dim()
        red = self.pick(REDUCTIONS)
        return self.pick(
            [
                lambda: f"{self.expr((q,), depth)}[None, :]",
                lambda: f"{self.expr((q,), depth)}[np.newaxis]",
                lambda: f"np.expand_dims({self.expr((q,), depth)}, 0)",
                lambda: f"{self.expr((q,), depth)}.reshape(1, {q})",
                lambda: f"np.reshape({self.expr((q,), depth)}, (1, -1))",
                lambda: f"np.atleast_2d({self.expr((q,), depth)})",
                lambda: f"np.{red}({self.red_operand(red, (k, q), depth)}, axis=0, keepdims=True)",
                lambda: f"{self.red_operand(red, (k, q), depth)}.{red}(axis=0, keepdims=True)",
                lambda: f"{self.expr((k, q), depth)}[{self._row_slice(k)}]",
            ]
        )()

    def _row_slice(self, k: int) -> str:
        i = int(self.rng.integers(0, k))
        return self.pick([f"{i}:{i + 1}", ":1", "-1:"])

    def keep_col(self, p: int, depth: int) -> str:
        """An expression of shape ``(p, 1)``."""
        k = self.other_dim()
        red = self.pick(REDUCTIONS)
        return self.pick(
            [
                lambda: f"{self.expr((p,), depth)}[:, None]",
                lambda: f"np.expand_dims({self.expr((p,), depth)}, 1)",
                lambda: f"{self.expr((p,), depth)}.reshape({p}, 1)",
                lambda: f"np.reshape({self.expr((p,), depth)}, (-1, 1))",
                lambda: f"np.{red}({self.red_operand(red, (p, k), depth)}, axis=1, keepdims=True)",
                lambda: f"np.{red}({self.red_operand(red, (p, k), depth)}, axis=-1, keepdims=True)",
                lambda: f"{self.expr((p, k), depth)}[:, {self._row_slice(k)}]",
            ]
        )()

    def input_leaf(self, shape: Shape) -> str | None:
        """A slice of an input of ``shape``: varies with the point."""
        saved = self.vars
        self.vars = {k: v for k, v in saved.items() if k in self.inputs}
        try:
            if not any(
                (
                    len(v.shape) == len(shape)
                    and all(a >= b for a, b in zip(v.shape, shape))
                )
                or (len(v.shape) == 2 and v.shape[::-1] == shape)
                or (len(v.shape) == 2 and len(shape) == 1 and max(v.shape) >= shape[0])
                for v in self.vars.values()
            ):
                return None
            for _ in range(10):
                leaf = self.leaf(shape)
                if any(name in leaf for name in self.inputs):
                    return leaf
            return None
        finally:
            self.vars = saved

    def red_operand(self, red: str, shape: Shape, depth: int) -> str:
        """The operand of a reduction. ``std`` has an infinite derivative
        where the variance is 0, so its operand gets an input added."""
        inner = self.expr(shape, depth)
        if red == "std":
            jitter = self.input_leaf(shape)
            if jitter is None:
                jitter = self.constant_array(shape) if shape else "0.0"
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
        red = self.pick(REDUCTIONS)
        if red == "std" and not self.inputs:
            red = "var"
        keep = ""
        if shape == ():
            source = self.pick([s for s in self.shapes if s])
            axes = list(range(len(source)))
            axis = self.pick(
                [None, None, tuple(axes), tuple(a - len(source) for a in axes[::-1])]
            )
            if len(source) == 1 and self.chance(0.5):
                axis = self.pick([0, -1])
            if axis is not None and self.chance(0.3):
                # keepdims, then indexed back to a scalar
                operand = self.red_operand(red, source, depth)
                index = ", ".join("0" for _ in source)
                return f"np.{red}({operand}, axis={axis}, keepdims=True)[{index}]"
        elif len(shape) == 1:
            k = self.other_dim()
            if self.chance(0.15):
                r = int(self.pick([2, 3]))
                parts = ", ".join(self.expr((k, shape[0]), depth - 1) for _ in range(r))
                operand = f"np.stack([{parts}])"
                if red == "std":
                    red = "var"
                axis = self.pick([(0, 1), (1, 0), (-3, -2)])
                return f"np.{red}({operand}, axis={axis})"
            position = int(self.rng.integers(0, 2))
            source = (k, shape[0]) if position == 0 else (shape[0], k)
            axis = self.pick([position, position - 2, (position,)])
        else:
            r = int(self.pick([2, 3]))
            position = int(self.rng.integers(0, 3))
            parts = ", ".join(self.expr(shape, depth - 1) for _ in range(r))
            operand = f"np.stack([{parts}], axis={position})"
            if red == "std":
                red = "var"
            axis = self.pick([position, position - 3])
            keep = ", keepdims=True" if self.chance(0.3) else ""
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
            return self.pick([f"np.{red}({operand})", f"{operand}.{red}()"])
        if self.chance(0.4):
            return f"{operand}.{red}(axis={axis}{keep})"
        return f"np.{red}({operand}, axis={axis}{keep})"

    def matmul(self, shape: Shape, depth: int) -> str:
        k = self.other_dim()
        if len(shape) == 2:
            p, q = shape
            a, b = self.expr((p, k), depth), self.expr((k, q), depth)
            return self.pick(
                [
                    f"({a} @ {b})",
                    f"({a} @ {b})",
                    f"np.dot({a}, {b})",
                    f"np.matmul({a}, {b})",
                    f"{a}.dot({b})",
                    f'np.einsum("ij,jk->ik", {a}, {b})',
                    f"np.tensordot({a}, {b}, axes=1)",
                ]
            )
        if len(shape) == 1:
            (p,) = shape
            if self.chance(0.5):
                a, b = self.expr((p, k), depth), self.expr((k,), depth)
                return self.pick(
                    [
                        f"({a} @ {b})",
                        f"np.dot({a}, {b})",
                        f'np.einsum("ij,j->i", {a}, {b})',
                    ]
                )
            a, b = self.expr((k,), depth), self.expr((k, p), depth)
            return self.pick([f"({a} @ {b})", f"np.matmul({a}, {b})"])
        if self.chance(0.25):
            return self.pick(
                [
                    lambda: f"np.trace({self.expr((k, k), depth)})",
                    lambda: f'np.einsum("ij,ij->", {self.expr((self.m, self.n), depth)}, {self.expr((self.m, self.n), depth)})',
                    lambda: f'np.einsum("ii->", {self.expr((k, k), depth)})',
                ]
            )()
        a, b = self.expr((k,), depth), self.expr((k,), depth)
        return self.pick(
            [
                f"({a} @ {b})",
                f"np.dot({a}, {b})",
                f"np.inner({a}, {b})",
                f'np.einsum("i,i->", {a}, {b})',
            ]
        )

    def outer(self, shape: Shape, depth: int) -> str:
        p, q = shape
        a, b = self.expr((p,), depth), self.expr((q,), depth)
        return self.pick(
            [
                f"np.outer({a}, {b})",
                f"({a}[:, None] * {b}[None, :])",
                f"({a}[:, None] + {b})",
                f'np.einsum("i,j->ij", {a}, {b})',
                f"np.tile({b}, ({p}, 1))",
                f"np.broadcast_to({b}, ({p}, {q}))",
                f"np.repeat({a}[:, None], {q}, axis=1)",
            ]
        )

    def fancy_index(self, shape: Shape, depth: int) -> str:
        r = self.other_dim()
        source = (r,) + shape[1:]
        rows = [int(i) for i in self.rng.integers(0, r, size=shape[0])]
        return f"{self.expr(source, depth)}[{rows}]"

    def where(self, shape: Shape, depth: int) -> str:
        c = self.expr(shape, depth)
        a = self.expr(shape, depth)
        b = self.operand(self.partner(shape), depth)
        return f"np.where({c} > {self.const()}, {a}, {b})"

    def concatenate(self, shape: Shape, depth: int) -> str:
        if shape[0] < 2:
            return self.unary(shape, depth)
        cut = int(self.rng.integers(1, shape[0]))
        a = self.expr((cut,) + shape[1:], depth)
        b = self.expr((shape[0] - cut,) + shape[1:], depth)
        if len(shape) == 1:
            return self.pick([f"np.concatenate([{a}, {b}])", f"np.hstack([{a}, {b}])"])
        return self.pick(
            [
                f"np.concatenate([{a}, {b}], axis=0)",
                f"np.vstack([{a}, {b}])",
                f"np.concatenate(({a}, {b}))",
            ]
        )

    def stacked(self, shape: Shape, depth: int) -> str:
        p, q = shape
        if p > 3:
            return self.outer(shape, depth)
        parts = ", ".join(self.expr((q,), depth) for _ in range(p))
        return self.pick(
            [f"np.stack([{parts}])", f"np.array([{parts}])", f"np.vstack([{parts}])"]
        )

    def cumsum(self, shape: Shape, depth: int) -> str:
        e = self.expr(shape, depth)
        if len(shape) == 1:
            return self.pick(
                [f"np.cumsum({e})", f"{e}.cumsum()", f"np.flip(np.cumsum({e}))"]
            )
        return self.pick(
            [f"np.cumsum({e}, axis={self.pick([0, 1, -1])})", f"np.flip({e}, axis=0)"]
        )

    def math_call(self, shape: Shape, depth: int) -> str:
        return self.pick(MATH).format(e=self.expr((), depth))

    def builtin_minmax(self, shape: Shape, depth: int) -> str:
        a, b = self.expr((), depth), self.expr((), depth)
        return f"{self.pick(['max', 'min'])}({a}, {b})"

    def masked_sum(self, shape: Shape, depth: int) -> str:
        s = self.pick([s for s in self.shapes if s])
        e = self.expr(s, depth)
        return f"np.sum({e}[{self.expr(s, depth)} > {self.const()}] ** 2)"

    def list_sum(self, shape: Shape, depth: int) -> str:
        k = int(self.pick([2, 3]))
        return f"sum([{', '.join(self.expr((), depth) for _ in range(k))}])"

    def reshaped(self, shape: Shape, depth: int) -> str:
        if len(shape) == 2:
            p, q = shape
            return self.pick(
                [
                    lambda: f"{self.expr((q, p), depth)}.T",
                    lambda: f"np.transpose({self.expr((q, p), depth)})",
                    lambda: f"np.swapaxes({self.expr((q, p), depth)}, 0, 1)",
                    lambda: f"np.moveaxis({self.expr((q, p), depth)}, 0, -1)",
                    lambda: f"np.reshape({self.expr((q, p), depth)}, ({p}, {q}))",
                    lambda: f"{self.expr((q, p), depth)}.reshape({p}, -1)",
                    lambda: f"np.flip({self.expr(shape, depth)}, axis=1)",
                    lambda: f"{self.expr(shape, depth)}[::-1]",
                    lambda: f"np.squeeze({self.expr(shape, depth)}[None], axis=0)",
                ]
            )()
        if len(shape) == 1:
            (p,) = shape
            k = self.other_dim()
            return self.pick(
                [
                    lambda: f"np.flip({self.expr(shape, depth)})",
                    lambda: f"{self.expr(shape, depth)}[::-1]",
                    lambda: f"np.ravel({self.expr(shape, depth)})",
                    lambda: f"np.squeeze({self.keep_col(p, depth)})",
                    lambda: f"{self.keep_row(p, depth)}[0]",
                    lambda: f"np.atleast_1d({self.expr(shape, depth)})",
                    lambda: f"np.asarray({self.expr(shape, depth)})",
                    lambda: f"{self.expr((k, p), depth)}[{self._index(k)}]",
                ]
            )()
        return self.pick(
            [
                lambda: f"np.sum(np.ravel({self.expr((self.m, self.n), depth)}) ** 2)",
                lambda: f"np.mean({self.expr((self.n, self.m), depth)}.flatten())",
                lambda: f"np.squeeze({self.keep_col(1, depth)})",
            ]
        )()

    def indexed(self, shape: Shape, depth: int) -> str:
        if len(shape) == 2:
            return self.reshaped(shape, depth)
        if len(shape) == 1:
            k = self.other_dim()
            e = self.expr((k, shape[0]), depth)
            return f"{e}[{self._int_index(k) or self._index(k)}]"
        s = self.pick([s for s in self.shapes if s])
        index = ", ".join(self._index(a) for a in s)
        return f"{self.expr(s, depth)}[{index}]"

    def ifexp(self, shape: Shape, depth: int) -> str:
        return f"({self.expr(shape, depth)} if {self.cond()} else {self.expr(shape, depth)})"

    def call_helper(self, shape: Shape, depth: int) -> str:
        assert self.helper is not None
        sa, sb = self.helper.params
        a, b = self.expr(sa, depth), self.expr(sb, depth)
        if self.helper.has_default and self.chance(0.5):
            c = self.expr((), depth) if self.chance(0.5) else self.const()
            return self.pick(
                [
                    f"{self.helper.name}({a}, {b}, {c})",
                    f"{self.helper.name}({a}, {b}, c={c})",
                ]
            )
        return self.pick(
            [f"{self.helper.name}({a}, {b})", f"{self.helper.name}({a}, b={b})"]
        )

    def cond(self) -> str:
        s = self.pick([s for s in self.shapes if s])
        text = self.pick(
            [
                lambda: f"np.sum({self.expr(s, 1)}) > {self.const()}",
                lambda: f"{self.expr((), 1)} > {self.const()}",
                lambda: f"{self.expr((), 1)} < {self.expr((), 1)}",
                lambda: f"np.mean({self.expr(s, 1)}) >= 0.0",
                lambda: f"{self.expr((), 0)} > 0.0 and {self.expr((), 0)} < 0.5",
                lambda: f"not {self.expr((), 0)} > 0.2",
                lambda: f"{self.expr((), 0)} > 0.5 or {self.expr((), 0)} < -0.5",
            ]
        )()
        return text

    # -- statements --------------------------------------------------------

    def names(self, owned: bool = False, inputs: bool = False) -> list[str]:
        return [
            k
            for k, v in self.vars.items()
            if (inputs or k not in self.inputs)
            and (v.owned or not owned or v.shape == ())
        ]

    def bind(self, name: str, shape: Shape, rhs: str, fresh: bool) -> str:
        """``name = rhs``; a view of a variable makes that variable unsafe to
        write in place (adcompiler refuses in-place updates of aliases read
        later)."""
        if not fresh:
            for ref in self.refs:
                if ref in self.vars:
                    self.vars[ref].owned = False
        self.vars[name] = _Var(shape, fresh and shape != ())
        return f"{name} = {rhs}"

    def rhs(self, shape: Shape, depth: int = 3) -> tuple[str, bool]:
        self.refs = set()
        fresh = self.chance(0.8)
        if fresh and self.chance(0.4):
            return self.squashed(shape, depth - 1), True
        return self.expr(shape, depth, fresh=fresh), fresh

    def assign_new(self, depth: int) -> list[str]:
        shape = self.pick(self.shapes)
        name = self.fresh("v")
        text, fresh = self.rhs(shape)
        return [self.bind(name, shape, text, fresh)]

    def reassign(self, depth: int) -> list[str]:
        names = self.names()
        if not names:
            return self.assign_new(depth)
        name = self.pick(names)
        shape = self.vars[name].shape
        self.refs = set()
        inner = self.expr(shape, 2)
        carried = self.pick(
            [
                f"np.tanh(0.8 * {name} + {inner})",
                f"0.5 * {name} + 0.5 * np.sin({inner})",
                f"{name} * np.cos({inner})",
                f"np.sin({name}) + 0.3 * np.tanh({inner})",
                f"np.tanh({inner})",
            ]
        )
        return [self.bind(name, shape, carried, True)]

    def augassign(self, depth: int) -> list[str]:
        names = self.names(owned=True)
        if not names:
            return self.reassign(depth)
        name = self.pick(names)
        shape = self.vars[name].shape
        self.refs = set()
        e = self.operand(self.partner(shape), 2)
        op, text = self.pick(
            [
                ("+=", f"0.5 * np.tanh({e})"),
                ("-=", f"np.sin({e})"),
                ("*=", f"(1.0 + 0.5 * np.tanh({e}))"),
                ("/=", f"(1.5 + np.cos({e}))"),
                ("+=", e if shape else f"np.tanh({e})"),
            ]
        )
        self._unown_refs()
        return [f"{name} {op} {text}"]

    def _unown_refs(self) -> None:
        pass  # reading a variable inside an update does not alias it

    def subscript_assign(self, depth: int) -> list[str]:
        names = [k for k in self.names(owned=True) if self.vars[k].shape]
        if not names or self.chance(0.4):
            return self.zeros_fill(depth)
        return self._write_into(self.pick(names))

    def _write_into(self, name: str) -> list[str]:
        shape = self.vars[name].shape
        self.refs = set()
        op = self.pick(["=", "=", "+=", "*=", "-="])

        def value(s: Shape) -> str:
            e = self.expr(s, 2)
            if op == "*=":
                return f"(1.0 + 0.5 * np.tanh({e}))"
            return e

        if len(shape) == 1:
            (p,) = shape
            target, s = self.pick(
                [
                    (f"{self._int_index(p) or self._index(p)}", ()),
                    (f"{self._slice(p, max(1, p - 1))}", (max(1, p - 1),)),
                    (":", (p,)),
                    (str(sorted({int(i) for i in self.rng.integers(0, p, 2)})), None),
                ]
            )
            if s is None:
                s = (len(eval(target)),)
            return [f"{name}[{target}] {op} {value(s)}"]
        p, q = shape
        choices = [
            (f"{self._int_index(p) or self._index(p)}", (q,)),
            (f":, {self._int_index(q) or self._index(q)}", (p,)),
            (f"{self._index(p)}, {self._index(q)}", ()),
            (f"{self._slice(p, max(1, p - 1))}", (max(1, p - 1), q)),
            (f":, {self._slice(q, max(1, q - 1))}", (p, max(1, q - 1))),
        ]
        target, s = self.pick(choices)
        return [f"{name}[{target}] {op} {value(s)}"]

    def zeros_fill(self, depth: int) -> list[str]:
        shape = self.pick([s for s in self.shapes if s])
        name = self.fresh("z")
        like = [k for k in self.vars if self.vars[k].shape == shape]
        make = self.pick(
            [f"np.zeros({shape if len(shape) > 1 else shape[0]})", f"np.zeros({shape})"]
            + ([f"np.zeros_like({self.pick(like)})"] if like else [])
            + [f"np.ones({shape})", f"np.full({shape}, 0.5)"]
        )
        self.vars[name] = _Var(shape, True)
        lines = [f"{name} = {make}"]
        if len(shape) == 2 and self.chance(0.5) and self.loop_depth < 2:
            p, q = shape
            counter = self.fresh("i")
            self.ints[counter] = p
            self.loop_depth += 1
            self.refs = set()
            row = self.expr((q,), 2)
            if self.chance(0.5):
                body = [f"{name}[{counter}] = {row}"]
            else:
                body = [f"{name}[{counter}, :] += np.tanh({row})"]
            self.loop_depth -= 1
            del self.ints[counter]
            lines += [f"for {counter} in range({p}):"] + ["    " + b for b in body]
            return lines
        for _ in range(int(self.rng.integers(1, 3))):
            lines += self._write_into(name)
        return lines

    def if_stmt(self, depth: int) -> list[str]:
        lines = [f"if {self.cond()}:"]
        new = None
        if self.chance(0.3):
            new = (self.fresh("w"), self.pick(self.shapes))
        lines += self._indent(self.body(depth + 1, new))
        if self.chance(0.2):
            lines.append(f"elif {self.cond()}:")
            lines += self._indent(self.body(depth + 1, new))
        if new is not None or self.chance(0.6):
            lines.append("else:")
            lines += self._indent(self.body(depth + 1, new))
        if new is not None:
            self.vars[new[0]] = _Var(new[1], False)
        return lines

    def body(self, depth: int, new: tuple[str, Shape] | None = None) -> list[str]:
        """Statements of a nested block; what they define is local to it."""
        saved = {k: _Var(v.shape, v.owned) for k, v in self.vars.items()}
        lines: list[str] = []
        if new is not None:
            self.refs = set()
            lines.append(f"{new[0]} = {self.expr(new[1], 2)}")
        for _ in range(int(self.rng.integers(1, 3))):
            lines += self.statement(depth, nested=True)
        # names defined in the block are dropped; ownership lost anywhere is lost
        self.vars = {
            k: _Var(v.shape, v.owned and self.vars.get(k, v).owned)
            for k, v in saved.items()
        }
        return lines

    @staticmethod
    def _indent(lines: list[str]) -> list[str]:
        return ["    " + line for line in lines]

    def loop_header(self) -> tuple[str, str | None, int | None, str | None, Shape]:
        """``for`` header; the counter and its bound, or a row variable."""
        counter = self.fresh("i")
        k = int(self.pick([2, 3, self.m, self.n]))
        two_d = [name for name, v in self.vars.items() if len(v.shape) == 2]
        if two_d and self.chance(0.3):
            source = self.pick(two_d)
            row = self.fresh("r")
            shape = self.vars[source].shape
            self.refs = {source}
            if self.chance(0.5):
                return f"for {row} in {source}:", None, None, row, shape[1:]
            return (
                f"for {counter}, {row} in enumerate({source}):",
                counter,
                shape[0],
                row,
                shape[1:],
            )
        header = self.pick(
            [
                f"for {counter} in range({k}):",
                f"for {counter} in range({k}):",
                f"for {counter} in reversed(range({k})):",
                f"for {counter} in range({k} - 1, -1, -1):",
                f"for {counter} in range(0, {k}, 2):",
            ]
        )
        return header, counter, k, None, ()

    def for_stmt(self, depth: int) -> list[str]:
        header, counter, bound, row, row_shape = self.loop_header()
        if row is not None:
            source = header.split(" in ")[-1].rstrip(":").replace("enumerate(", "")
            source = source.rstrip(")")
            self.vars[source].owned = False
            self.vars[row] = _Var(row_shape, False)
        if counter is not None and bound is not None:
            self.ints[counter] = bound
        self.loop_depth += 1
        lines = [header] + self._indent(self.loop_body(depth))
        self.loop_depth -= 1
        if counter is not None:
            self.ints.pop(counter, None)
        if row is not None:
            self.vars.pop(row, None)
        return lines

    def loop_body(
        self, depth: int, jumps: Sequence[str] = ("break", "continue")
    ) -> list[str]:
        saved = {k: _Var(v.shape, v.owned) for k, v in self.vars.items()}
        # the jump's condition reads only what is defined before the loop
        jump = [f"if {self.cond()}:", f"    {self.pick(list(jumps))}"]
        statements = [self.reassign(depth)]
        for _ in range(int(self.rng.integers(0, 2))):
            statements.append(self.statement(depth + 1, nested=True))
        if self.chance(0.15):
            position = int(self.rng.integers(0, len(statements) + 1))
            statements.insert(position, jump)
        lines = [line for statement in statements for line in statement]
        self.vars = {
            k: _Var(v.shape, v.owned and self.vars.get(k, v).owned)
            for k, v in saved.items()
        }
        return lines

    def while_stmt(self, depth: int) -> list[str]:
        counter = self.fresh("k")
        bound = int(self.pick([2, 3, self.m]))
        lines = [f"{counter} = 0"]
        condition = f"{counter} < {bound}"
        if self.chance(0.4):
            condition += f" and ({self.cond()})"
        lines.append(f"while {condition}:")
        self.ints[counter] = bound
        self.loop_depth += 1
        body = self.loop_body(depth, jumps=("break",))
        self.loop_depth -= 1
        del self.ints[counter]
        return lines + self._indent(body + [f"{counter} += 1"])

    def list_stmt(self, depth: int) -> list[str]:
        item = self.pick([(), (self.m,), (self.n,)])
        k = int(self.pick([self.m, self.n]))
        acc = self.fresh("acc")
        counter = self.fresh("i")
        name = self.fresh("v")
        self.ints[counter] = k
        self.refs = set()
        e = self.expr(item, 2)
        del self.ints[counter]
        if item == ():
            build, shape = self.pick(
                [
                    (f"np.array({acc})", (k,)),
                    (f"sum({acc})", ()),
                    (f"np.stack({acc})", (k,)),
                ]
            )
        else:
            build, shape = self.pick(
                [
                    (f"np.stack({acc})", (k,) + item),
                    (f"np.stack({acc}, axis=1)", item + (k,)),
                    (f"sum({acc})", item),
                    (f"np.vstack({acc})", (k,) + item),
                ]
            )
        if self.chance(0.3):
            lines = [f"{acc} = [{e} for {counter} in range({k})]"]
        else:
            lines = [
                f"{acc} = []",
                f"for {counter} in range({k}):",
                f"    {acc}.append({e})",
            ]
        self.vars[name] = _Var(shape, shape != () and "sum" not in build)
        return lines + [f"{name} = {build}"]

    def call_stmt(self, depth: int) -> list[str]:
        if self.helper is None:
            return self.assign_new(depth)
        name = self.fresh("h")
        self.refs = set()
        text = self.call_helper(self.helper.result, 2)
        return [self.bind(name, self.helper.result, text, False)]

    def early_return(self, depth: int) -> list[str]:
        return [f"if {self.cond()}:", f"    return {self.final()}"]

    def statement(self, depth: int, nested: bool = False) -> list[str]:
        options: list[tuple[float, Callable[[int], list[str]]]] = [
            (2.0, self.reassign),
            (1.2, self.augassign),
            (1.0, self.subscript_assign),
        ]
        if not nested:
            options += [
                (3.0, self.assign_new),
                (1.0, self.list_stmt),
                (1.0, self.call_stmt),
            ]
            options += [(0.25, self.early_return)]
        if depth < 2:
            options += [
                (1.2, self.if_stmt),
                (1.2, self.for_stmt),
                (0.7, self.while_stmt),
            ]
        return self.weighted(options)(depth)

    def final(self) -> str:
        names = [k for k in self.vars if k not in self.inputs] or list(self.inputs)
        chosen = [k for k in names if self.chance(0.7)] or [names[-1]]
        if self.chance(0.3):
            chosen.append(self.pick(list(self.inputs)))
        terms = []
        for name in chosen:
            shape = self.vars[name].shape
            if shape == ():
                terms.append(self.pick([name, f"np.sin({name})", f"{name} ** 2"]))
            else:
                terms.append(
                    self.pick(
                        [
                            f"np.sum({name})",
                            f"np.sum(np.sin({name}))",
                            f"np.mean({name} ** 2)",
                            f"np.sum({name} * {name})",
                            f"{name}.sum()",
                        ]
                    )
                )
        weights = [self.pick(["", "0.5 * ", "2.0 * ", "-1.0 * "]) for _ in terms]
        return " + ".join(w + t for w, t in zip(weights, terms))

    # -- programs ----------------------------------------------------------

    def helper_def(self) -> list[str]:
        sa = self.pick([(), (self.n,), (self.m, self.n), (self.m,)])
        sb = self.pick([(), (self.n,), (self.m, self.n)])
        result = self.pick([(), (self.n,), (self.m, self.n), (self.m,)])
        has_default = self.chance(0.4)
        params = "a, b, c=0.5" if has_default else "a, b"
        self.vars = {"a": _Var(sa, False), "b": _Var(sb, False)}
        self.inputs = ("a", "b")
        if has_default:
            self.vars["c"] = _Var((), False)
        lines = []
        for _ in range(int(self.rng.integers(0, 3))):
            lines += self.pick(
                [self.assign_new, self.reassign, self.if_stmt, self.for_stmt]
            )(1)
        self.refs = set()
        ret = self.expr(result, 3)
        if has_default and "c" not in " ".join(lines) + ret:
            ret = f"c * {ret}"
        lines.append(f"return {ret}")
        self.helper = _Helper("helper", (sa, sb), result, has_default)
        return [f"def helper({params}):"] + self._indent(lines)

    def program(self) -> tuple[str, Shape, Shape]:
        helper = self.helper_def() if self.chance(0.6) else []
        x_shape = (self.m, self.n)
        y_shape: Shape = (self.n,) if self.chance(0.85) else ()
        self.vars = {"x": _Var(x_shape, False), "y": _Var(y_shape, False)}
        self.inputs = ("x", "y")
        self.ints = {}
        lines: list[str] = []
        for _ in range(int(self.rng.integers(3, 9))):
            lines += self.statement(0)
        lines.append(f"return {self.final()}")
        parts = ["import math", "", "import numpy as np", "", ""]
        if helper:
            parts += helper + ["", ""]
        parts += ["def f(x, y):"] + self._indent(lines)
        return "\n".join(parts) + "\n", x_shape, y_shape


def generate(seed: int, index: int = 0) -> Program:
    """Program ``index`` of the campaign with ``seed`` (deterministic)."""
    rng = np.random.default_rng([seed, index])
    source, x_shape, y_shape = _Generator(rng).program()
    return Program(source, x_shape, y_shape, seed=_point_seed(seed, index))


def _point_seed(seed: int, index: int) -> int:
    return int(np.random.default_rng([seed, index, 7]).integers(2**31))


# ---------------------------------------------------------------------------
# the differential tester

_counter = itertools.count()


class _Loaded:
    """A program written to a real file in a temporary directory and imported."""

    def __init__(self, source: str, directory: str | None = None) -> None:
        self.directory = directory or tempfile.mkdtemp(prefix="adfuzz_")
        self.own_directory = directory is None
        self.name = f"adfuzz_{os.getpid()}_{next(_counter)}"
        self.path = os.path.join(self.directory, self.name + ".py")
        with open(self.path, "w") as handle:
            handle.write(source)
        spec = importlib.util.spec_from_file_location(self.name, self.path)
        assert spec is not None and spec.loader is not None
        self.module = importlib.util.module_from_spec(spec)
        sys.modules[self.name] = self.module
        try:
            spec.loader.exec_module(self.module)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        sys.modules.pop(self.name, None)
        linecache.cache.pop(self.path, None)
        if self.own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)
        else:
            try:
                os.remove(self.path)
            except OSError:
                pass


def _inputs(program: Program, rng: np.random.Generator) -> tuple[Any, Any]:
    x = rng.uniform(-1.5, 1.5, size=program.x_shape)
    if program.y_shape == ():
        y: Any = float(rng.uniform(-1.5, 1.5))
    else:
        y = rng.uniform(-1.5, 1.5, size=program.y_shape)
    return x, y


def _read_only(a: Any) -> Any:
    if isinstance(a, np.ndarray):
        a = a.copy()
        a.flags.writeable = False
    return a


def _copy(a: Any) -> Any:
    return a.copy() if isinstance(a, np.ndarray) else a


def _as64(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    a, b = _as64(a), _as64(b)
    if a.shape != b.shape:
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))


def _worst(names: Sequence[str], got: Sequence[Any], want: Sequence[Any]) -> str:
    """The element with the largest difference, both values."""
    worst = (-1.0, "")
    for name, a, b in zip(names, got, want):
        a64, b64 = _as64(a), _as64(b)
        if a64.shape != b64.shape:
            return f"d{name} has shape {a64.shape}, expected {b64.shape}"
        diff = np.where(np.isnan(a64 - b64), np.inf, np.abs(a64 - b64))
        if diff.size == 0:
            continue
        i = np.unravel_index(int(np.argmax(diff)), diff.shape)
        if float(diff[i]) > worst[0]:
            where = f"[{', '.join(map(str, i))}]" if diff.ndim else ""
            worst = (
                float(diff[i]),
                f"d{name}{where}: adcompiler {float(a64[i])!r}, expected {float(b64[i])!r}",
            )
    return worst[1]


def _scale(value: float, grads: Sequence[Any]) -> float:
    biggest = max(
        (float(np.max(np.abs(_as64(g)), initial=0.0)) for g in grads), default=0.0
    )
    return max(1.0, abs(value), biggest)


def _numerical(f: Callable, x: Any, y: Any, eps: float) -> tuple[Any, Any]:
    with np.errstate(all="ignore"):
        return numerical_grad(f, x, y, wrt=(0, 1), eps=eps)


Oracle = Callable[[str, Any, Any], tuple[Any, Any]]


def available_oracles(names: Sequence[str] = ("autograd", "jax")) -> list[str]:
    """Those of ``names`` that are installed."""
    found = []
    for name in names:
        try:
            __import__(name)
        except Exception:
            continue
        found.append(name)
    return found


def _oracle(name: str) -> Oracle:
    return {"autograd": _autograd_grad, "jax": _jax_grad}[name]


def _run_with(np_module: Any, source: str) -> Callable:
    namespace: dict[str, Any] = {}
    code = compile(source, "<fuzz oracle>", "exec")
    exec(code, namespace)
    namespace["np"] = np_module
    return namespace["f"]


def _autograd_grad(source: str, x: Any, y: Any) -> tuple[Any, Any]:
    import autograd
    import autograd.numpy as anp

    f = _run_with(anp, source)
    gx, gy = autograd.grad(f, (0, 1))(x, y)
    return gx, gy


def _jax_grad(source: str, x: Any, y: Any) -> tuple[Any, Any]:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    f = _run_with(jnp, source)
    gx, gy = jax.grad(f, (0, 1))(jnp.asarray(x), jnp.asarray(y))
    return np.asarray(gx), (
        float(gy) if np.ndim(gy) == 0 and np.ndim(y) == 0 else np.asarray(gy)
    )


class _Timeout(BaseException):
    pass


class _deadline:
    """Raise :class:`_Timeout` after ``seconds`` (main thread only; elsewhere
    nothing)."""

    def __init__(self, seconds: float | None) -> None:
        import threading

        self.seconds = seconds
        self.active = (
            seconds is not None
            and hasattr(__import__("signal"), "setitimer")
            and threading.current_thread() is threading.main_thread()
        )

    def __enter__(self) -> None:
        if self.active:
            import signal

            def expire(signum: int, frame: Any) -> None:
                raise _Timeout()

            self.previous = signal.signal(signal.SIGALRM, expire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc: Any) -> None:
        if self.active:
            import signal

            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


def check(
    program: Program,
    *,
    points: int = 3,
    oracles: Sequence[str] = (),
    directory: str | None = None,
    time_limit: float | None = None,
) -> Outcome:
    """Compare adcompiler's value and gradient of ``program`` with the
    oracles at up to ``points`` random points (the first smooth one):
    central finite differences always, and each of ``oracles`` ("autograd",
    "jax") where it can run the program and agrees with the differences.
    ``time_limit`` (seconds, main thread only) makes a program that runs
    longer ``invalid``: the minimizer can write endless loops."""
    try:
        with _deadline(time_limit):
            return _check(program, points, oracles, directory)
    except _Timeout:
        return Outcome("invalid", f"took more than {time_limit} s")


def _check(
    program: Program, points: int, oracles: Sequence[str], directory: str | None
) -> Outcome:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            loaded = _Loaded(program.source, directory)
    except Exception as exc:
        return Outcome("invalid", f"import: {type(exc).__name__}: {exc}")
    try:
        f = loaded.module.f
        rng = np.random.default_rng(program.seed)
        skipped = "no point tried"
        for _ in range(points):
            x, y = _inputs(program, rng)
            try:
                with np.errstate(all="raise", under="ignore"):
                    expected = f(_read_only(x), _read_only(y))
                expected = float(expected)
            except Exception as exc:
                return Outcome(
                    "invalid", f"the program fails: {type(exc).__name__}: {exc}"
                )
            if not math.isfinite(expected) or abs(expected) > 1e8:
                skipped = f"value {expected}"
                continue
            xr, yr = _read_only(x), _read_only(y)
            try:
                with np.errstate(all="ignore"):
                    value, (gx, gy) = value_and_grad(f, wrt=(0, 1))(xr, yr)
            except ADError as exc:
                return Outcome("unsupported", f"{type(exc).__name__}: {exc}")
            except Exception as exc:
                return Outcome(
                    "crash",
                    f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-4)}",
                )
            if not (np.array_equal(xr, x) and np.array_equal(yr, y)):
                return Outcome("mismatch", "adcompiler wrote into an argument")
            if not _close(np.float64(value), np.float64(expected), 1e-9, 1e-12):
                return Outcome(
                    "mismatch",
                    f"value: adcompiler {float(value)!r}, f gives {expected!r}",
                )
            if np.shape(gx) != np.shape(x) or np.shape(gy) != np.shape(y):
                return Outcome(
                    "mismatch",
                    f"gradient shapes {np.shape(gx)}, {np.shape(gy)}; expected "
                    f"{np.shape(x)}, {np.shape(y)}",
                )
            if isinstance(y, float) and not isinstance(gy, float):
                return Outcome("mismatch", f"dy is {type(gy).__name__}, not float")
            nx, ny = _numerical(f, x, y, 1e-6)
            scale = _scale(expected, (nx, ny))
            rtol, atol = 1e-5, 1e-6 * scale
            used = ["finite differences"]
            good = _close(gx, nx, rtol, atol) and _close(gy, ny, rtol, atol)
            if not good and _singular(f, xr, yr, (gx, gy)):
                skipped = (
                    "a non-differentiable point: the derivative divides by zero "
                    "(np.std of equal values, sqrt at 0, ...)"
                )
                continue
            if not good:
                # a wrong gradient, or a point near a kink or a branch boundary:
                # there the finite differences depend on the step
                mx, my = _numerical(f, x, y, 1e-5)
                tx, ty = _numerical(f, x, y, 1e-7)
                steady = all(
                    _close(a, b, 1e-4, 1e-5 * scale) for a, b in ((mx, nx), (my, ny))
                ) and all(
                    _close(a, b, 1e-3, 1e-4 * scale) for a, b in ((tx, nx), (ty, ny))
                )
                if not steady:
                    skipped = "finite differences depend on the step (a kink?)"
                    continue
                return Outcome(
                    "mismatch",
                    "gradient vs finite differences: "
                    + _worst(("x", "y"), (gx, gy), (nx, ny))
                    + f"\nat x = {x.tolist()!r}, y = {y if isinstance(y, float) else y.tolist()!r}",
                    tuple(used),
                )
            for name in oracles:
                oracle = _oracle(name)
                try:
                    with np.errstate(all="ignore"), warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        ox, oy = oracle(program.source, x, y)
                except Exception:
                    continue  # the oracle cannot run this program
                # a tighter comparison, trusted only where the oracle
                # agrees with the finite differences
                if not (_close(ox, nx, rtol, atol) and _close(oy, ny, rtol, atol)):
                    continue
                used.append(name)
                if not (
                    _close(gx, ox, 1e-8, 1e-10 * scale)
                    and _close(gy, oy, 1e-8, 1e-10 * scale)
                ):
                    return Outcome(
                        "mismatch",
                        f"gradient vs {name}: "
                        + _worst(("x", "y"), (gx, gy), (ox, oy)),
                        tuple(used),
                    )
            return Outcome("ok", "", tuple(used))
        return Outcome("skipped", skipped)
    finally:
        loaded.close()


def _singular(f: Callable, x: Any, y: Any, grads: Sequence[Any]) -> bool:
    """Whether a non-finite gradient comes from a point where the function
    has no derivative: computing it again divides by zero or takes an
    invalid operation (``f`` itself runs clean there, so the derivative of
    one of its functions is infinite or undefined: ``np.std`` of equal
    values, ``sqrt`` at 0). A NaN or inf the gradient makes any other way
    stays a mismatch."""
    if all(np.all(np.isfinite(_as64(g))) for g in grads):
        return False
    try:
        with np.errstate(
            divide="raise", invalid="raise", over="ignore", under="ignore"
        ):
            value_and_grad(f, wrt=(0, 1))(x, y)
    except FloatingPointError:
        return True
    except Exception:
        return False
    return False


def same_failure(a: Outcome, b: Outcome) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind == "crash":
        return a.detail.split(":")[0] == b.detail.split(":")[0]
    if a.kind == "mismatch":
        # the same comparison failing, and NaN where NaN was
        return a.detail.split(":")[0] == b.detail.split(":")[0] and (
            "adcompiler nan" in a.detail
        ) == ("adcompiler nan" in b.detail)
    return True


# ---------------------------------------------------------------------------
# minimization


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    """Each line with the lines indented under it: removable units."""
    spans = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        j = i + 1
        while j < len(lines) and (
            not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent
        ):
            j += 1
        spans.append((i, j))
    return spans


def minimize(
    program: Program,
    keep: Callable[[Program], bool],
    budget: int = 400,
) -> Program:
    """Remove lines and blocks of ``program`` and replace expressions by
    their parts while ``keep`` holds (the same failure): greedy delta
    debugging, to a fixed point."""
    current = program
    for _ in range(4):
        smaller = _simplify_expressions(
            _remove_lines(current, keep, budget), keep, budget
        )
        if smaller.source == current.source:
            break
        current = smaller
    return current


def _remove_lines(
    program: Program, keep: Callable[[Program], bool], budget: int
) -> Program:
    current = program
    tries = 0
    changed = True
    while changed and tries < budget:
        changed = False
        lines = current.source.split("\n")
        # larger blocks first
        for start, end in sorted(_blocks(lines), key=lambda s: s[0] - s[1]):
            if tries >= budget:
                break
            text = lines[start].strip()
            if text.startswith(("def ", "import ")) or re.match(r"k\d+ \+= 1$", text):
                continue  # a while loop's counter stays: no infinite loops
            candidate = lines[:start] + lines[end:]
            # an emptied block gets a pass
            if start > 0 and lines[start - 1].rstrip().endswith(":"):
                indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
                following = lines[end] if end < len(lines) else ""
                following_indent = len(following) - len(following.lstrip())
                if not following.strip() or following_indent < len(indent):
                    candidate = lines[:start] + [indent + "pass"] + lines[end:]
            source = "\n".join(candidate)
            if source == current.source:
                continue
            try:
                compile(source, "<candidate>", "exec")
            except SyntaxError:
                continue
            tries += 1
            attempt = Program(source, current.x_shape, current.y_shape, current.seed)
            if keep(attempt):
                current = attempt
                changed = True
                break
    return _drop_unused_helper(current, keep)


def _replacements(node: Any) -> list[Any]:
    """Simpler expressions that could stand for ``node``."""
    import ast

    out: list[Any] = []
    if isinstance(node, ast.BinOp):
        out += [node.left, node.right]
    elif isinstance(node, ast.UnaryOp):
        out.append(node.operand)
    elif isinstance(node, ast.Call):
        out += [a for a in node.args if not isinstance(a, (ast.Constant, ast.Starred))]
        if isinstance(node.func, ast.Attribute) and not (
            isinstance(node.func.value, ast.Name)
            and node.func.value.id in ("np", "math")
        ):
            out.append(node.func.value)  # e.clip(...) -> e
        if node.keywords:
            out.append(ast.Call(node.func, node.args, []))
    elif isinstance(node, ast.Subscript):
        out.append(node.value)
    elif isinstance(node, ast.IfExp):
        out += [node.body, node.orelse]
    elif isinstance(node, (ast.List, ast.Tuple)) and len(node.elts) > 1:
        out += [
            type(node)(node.elts[:1], node.ctx),
            type(node)(node.elts[1:], node.ctx),
        ]
    elif isinstance(node, ast.BoolOp):
        out += list(node.values)
    return out


def _simplify_expressions(
    program: Program, keep: Callable[[Program], bool], budget: int
) -> Program:
    """Replace expressions by their parts (``a + b`` by ``a``, ``np.sin(e)``
    by ``e``, ...) while ``keep`` holds."""
    import ast

    current = program
    tries = 0
    changed = True
    while changed and tries < budget:
        changed = False
        nodes = _simplifiable(ast.parse(current.source))
        for position in range(len(nodes)):
            for choice in range(len(_replacements(nodes[position]))):
                if tries >= budget:
                    return current
                tree = ast.parse(current.source)
                node = _simplifiable(tree)[position]
                replacement = _replacements(node)[choice]
                parent = _parent_of(tree, node)
                if parent is None:
                    continue
                _replace_child(parent, node, replacement)
                try:
                    source = ast.unparse(tree) + "\n"
                except Exception:
                    continue
                header = "".join(
                    line + "\n"
                    for line in current.source.split("\n")
                    if line.startswith("# fuzz:")
                )
                source = _format(header + source)
                if source == current.source:
                    continue
                tries += 1
                attempt = Program(
                    source, current.x_shape, current.y_shape, current.seed
                )
                if keep(attempt):
                    current = attempt
                    changed = True
                    break
            if changed:
                break
    return current


def _simplifiable(tree: Any) -> list[Any]:
    """The expressions the minimizer may simplify: not a while loop's test
    (which could then loop forever)."""
    import ast

    frozen = {
        id(n)
        for loop in ast.walk(tree)
        if isinstance(loop, ast.While)
        for n in ast.walk(loop.test)
    }
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.expr) and id(node) not in frozen and _replacements(node)
    ]


def _parent_of(tree: Any, child: Any) -> Any:
    import ast

    for node in ast.walk(tree):
        for _, value in ast.iter_fields(node):
            if value is child or (
                isinstance(value, list) and any(v is child for v in value)
            ):
                return node
    return None


def _replace_child(parent: Any, old: Any, new: Any) -> None:
    import ast

    for name, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, name, new)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new


def _format(source: str) -> str:
    """black, if it formats the source; else the source."""
    try:
        import black

        return black.format_str(source, mode=black.Mode())
    except Exception:
        return source


def _drop_unused_helper(program: Program, keep: Callable[[Program], bool]) -> Program:
    source = program.source
    if "def helper(" in source and source.count("helper(") == 1:
        lines = source.split("\n")
        start = next(
            i for i, line in enumerate(lines) if line.startswith("def helper(")
        )
        end = start + 1
        while end < len(lines) and (
            lines[end].startswith(" ") or not lines[end].strip()
        ):
            end += 1
        attempt = Program(
            "\n".join(lines[:start] + lines[end:]),
            program.x_shape,
            program.y_shape,
            program.seed,
        )
        if keep(attempt):
            return attempt
    return program


def minimize_failure(program: Program, outcome: Outcome, budget: int = 400) -> Program:
    """``program`` reduced while it fails the same way as ``outcome``."""

    def keep(candidate: Program) -> bool:
        return same_failure(check(candidate, time_limit=10.0), outcome)

    return minimize(program, keep, budget)


# ---------------------------------------------------------------------------
# campaigns and the corpus


def corpus_header(program: Program, outcome: Outcome, expected: str) -> str:
    detail = "\n".join(
        "#   " + line for line in outcome.detail.strip().splitlines()[:12]
    )
    return (
        program.header()
        + f"# found: {outcome.kind}\n{detail}\n"
        + f"# expected: {expected}\n"
    )


_HEADER = re.compile(r"# fuzz: x=(\([^)]*\)) y=(\([^)]*\)) seed=(\d+)")


def load_corpus_file(path: str) -> Program:
    """A corpus program: its source, and shapes and point seed from the
    ``# fuzz:`` header line."""
    with open(path) as handle:
        source = handle.read()
    match = _HEADER.search(source)
    if match is None:
        raise ValueError(f"{path}: no '# fuzz: x=(..) y=(..) seed=N' line")
    x_shape = tuple(eval(match.group(1)))
    y_shape = tuple(eval(match.group(2)))
    return Program(source, x_shape, y_shape, int(match.group(3)))


@dataclass
class Summary:
    programs: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[int, Program, Outcome]] = field(default_factory=list)
    unsupported: list[tuple[int, str]] = field(default_factory=list)
    oracle_counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, index: int, program: Program, outcome: Outcome) -> None:
        self.programs += 1
        self.counts[outcome.kind] = self.counts.get(outcome.kind, 0) + 1
        for name in outcome.oracles:
            self.oracle_counts[name] = self.oracle_counts.get(name, 0) + 1
        if outcome.failed or outcome.kind == "invalid":
            self.failures.append((index, program, outcome))
        if outcome.kind == "unsupported":
            self.unsupported.append((index, outcome.detail.splitlines()[0]))

    def merge(self, other: "Summary") -> None:
        """Add the programs of ``other`` (another slice of the campaign)."""
        self.programs += other.programs
        for key, value in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + value
        for key, value in other.oracle_counts.items():
            self.oracle_counts[key] = self.oracle_counts.get(key, 0) + value
        self.failures += other.failures
        self.unsupported += other.unsupported

    def line(self) -> str:
        c = self.counts
        died = f", died: {c['died']}" if c.get("died") else ""
        return (
            f"programs: {self.programs}, mismatches: {c.get('mismatch', 0)}, "
            f"crashes: {c.get('crash', 0)}, unsupported: {c.get('unsupported', 0)}"
            + died
        )

    def details(self) -> str:
        c = self.counts
        oracles = ", ".join(f"{k}: {v}" for k, v in sorted(self.oracle_counts.items()))
        return (
            f"ok: {c.get('ok', 0)}, skipped (no smooth point): {c.get('skipped', 0)}, "
            f"invalid (generator bugs): {c.get('invalid', 0)}; checked against {oracles}; "
            f"{self.seconds:.1f} s"
        )


def run(
    count: int,
    seed: int,
    *,
    start: int = 0,
    oracles: Sequence[str] = (),
    progress: Callable[[int, Outcome], None] | None = None,
) -> Summary:
    """Programs ``start .. start + count - 1`` of campaign ``seed``."""
    summary = Summary()
    began = time.perf_counter()
    directory = tempfile.mkdtemp(prefix="adfuzz_")
    try:
        for index in range(start, start + count):
            program = generate(seed, index)
            outcome = check(program, oracles=oracles, directory=directory)
            summary.add(index, program, outcome)
            if progress is not None:
                progress(index, outcome)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    summary.seconds = time.perf_counter() - began
    return summary


def _worker(arguments: tuple[int, int, int, tuple[str, ...]]) -> Summary:
    seed, start, count, oracles = arguments
    return run(count, seed, start=start, oracles=oracles)


def run_parallel(
    count: int, seed: int, *, start: int = 0, oracles: Sequence[str] = (), jobs: int = 2
) -> Summary:
    """:func:`run` in ``jobs`` worker processes, in slices.

    A program that kills the process checking it (the interpreter itself
    crashes: a segmentation fault in NumPy or in an oracle) breaks the pool
    and loses the slices in flight (at most ``jobs``: no more are queued).
    Those are run again one at a time, each alone in its own process, and a
    slice that still kills its process is halved, until the program is
    alone: it is counted as ``died`` and the campaign goes on.
    """
    size = max(1, math.ceil(count / (jobs * 4)))
    queue = [
        (s, min(size, start + count - s)) for s in range(start, start + count, size)
    ]
    summary = Summary()
    suspects = _run_slices(queue, jobs, seed, oracles, summary)
    while suspects:
        s, n = suspects.pop(0)
        if not _run_slices([(s, n)], 1, seed, oracles, summary):
            continue
        if n > 1:
            half = n // 2
            suspects[:0] = [(s, half), (s + half, n - half)]
        else:
            summary.add(
                s,
                generate(seed, s),
                Outcome(
                    "died",
                    "the process checking it died (the interpreter crashed, e.g. "
                    "a segmentation fault in NumPy or in an oracle; run it alone "
                    "with python -X faulthandler to see where)",
                ),
            )
    return summary


def _run_slices(
    queue: list[tuple[int, int]],
    jobs: int,
    seed: int,
    oracles: Sequence[str],
    summary: Summary,
) -> list[tuple[int, int]]:
    """Run the slices ``(start, count)`` of ``queue`` with ``jobs`` processes,
    at most ``jobs`` at a time, adding their results to ``summary``; return
    the slices lost when a process died (the rest of the queue goes on in a
    new pool)."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("spawn")
    pending = list(queue)
    lost: list[tuple[int, int]] = []
    while pending:
        with ProcessPoolExecutor(jobs, mp_context=context) as pool:
            running: dict[Any, tuple[int, int]] = {}
            broken = False
            while (pending or running) and not broken:
                while pending and len(running) < jobs:
                    s, n = pending.pop(0)
                    future = pool.submit(_worker, (seed, s, n, tuple(oracles)))
                    running[future] = (s, n)
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    piece = running.pop(future)
                    try:
                        summary.merge(future.result())
                    except BrokenProcessPool:
                        lost.append(piece)
                        broken = True
            if broken:  # the others in flight are lost with it
                for future, piece in running.items():
                    try:
                        summary.merge(future.result())
                    except BrokenProcessPool:
                        lost.append(piece)
    return lost


def _save(
    directory: str,
    seed: int,
    index: int,
    program: Program,
    outcome: Outcome,
    minimize_it: bool,
) -> str:
    os.makedirs(directory, exist_ok=True)
    if minimize_it and outcome.failed:
        program = minimize_failure(program, outcome)
        outcome = check(program)
    path = os.path.join(directory, f"fuzz_{seed}_{index}_{outcome.kind}.py")
    with open(path, "w") as handle:
        handle.write(
            corpus_header(program, outcome, "TODO: the correct behaviour")
            + program.source
        )
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m adcompiler.tools.fuzz",
        description="Differential fuzzing of adcompiler's gradients against finite "
        "differences (and autograd or JAX when installed).",
    )
    parser.add_argument("--count", type=int, default=300, help="programs to run")
    parser.add_argument("--seed", type=int, default=0, help="campaign seed")
    parser.add_argument("--start", type=int, default=0, help="first program index")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument(
        "--save-failures", metavar="DIR", help="write failing programs here"
    )
    parser.add_argument(
        "--minimize", action="store_true", help="minimize saved failures"
    )
    parser.add_argument(
        "--oracles",
        default="autograd",
        help="comma-separated: autograd, jax (each used if installed), or none "
        "(default: autograd; jax is thorough but slow: it traces every program)",
    )
    parser.add_argument(
        "--show", type=int, metavar="INDEX", help="print one program and exit"
    )
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="print each failure"
    )
    args = parser.parse_args(argv)

    if args.show is not None:
        program = generate(args.seed, args.show)
        print(program.header() + program.source, end="")
        return 0

    began = time.perf_counter()
    wanted = [] if args.oracles == "none" else args.oracles.split(",")
    oracles = tuple(available_oracles(wanted))
    if args.jobs > 1:
        summary = run_parallel(
            args.count, args.seed, start=args.start, oracles=oracles, jobs=args.jobs
        )
    else:
        summary = run(args.count, args.seed, start=args.start, oracles=oracles)
    summary.seconds = time.perf_counter() - began

    for index, program, outcome in summary.failures:
        first = outcome.detail.strip().splitlines()[0] if outcome.detail else ""
        print(f"program {index}: {outcome.kind}: {first}")
        if args.verbose:
            print(program.source)
            print(outcome.detail)
        if args.save_failures:
            path = _save(
                args.save_failures, args.seed, index, program, outcome, args.minimize
            )
            print(f"  saved {path}")
    for index, message in summary.unsupported:
        print(f"program {index}: unsupported: {message}")
    print(summary.line())
    print(summary.details())
    failed = sum(summary.counts.get(kind, 0) for kind in ("mismatch", "crash", "died"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
