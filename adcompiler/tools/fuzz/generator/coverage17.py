"""The functions added for issue #17 (NumPy/SciPy coverage), drawn from a
table: :data:`ENTRIES`, one :class:`Entry` per function (or group of
spellings), each a builder writing a call whose result has exactly the
wanted shape, with valid shapes, axes, offsets, modes and orders.

This family is not one of the default profile's (``FAMILIES``): it is the
``coverage`` profile's (``--profile coverage``, :data:`COVERAGE_FAMILIES`
in ``generator/__init__.py``), mixed with the elementwise functions,
reductions and assignments, and checked at orders 1 and 2
(:func:`adcompiler.tools.fuzz.coverage.check_coverage`).

Adding a function (an ``np.fft`` transform, a ``np.linalg`` or
``scipy.linalg`` function, ...): write a builder ``_name(c, shape, depth)``
returning an expression of exactly ``shape`` (``c.e(shape, depth)`` for an
operand of a shape, ``c.g`` for the random draws: ``pick``, ``chance``,
``rng``), and add a row ``Entry("name", ranks, _name)`` to
:data:`ENTRIES`: ``ranks`` are the ranks of the results it can write
(``0`` a scalar), ``view`` True when the result may be a view of its
operand (not offered where a fresh array is wanted), ``needs`` a module
the program must import (``"scipy.special"``: the entry is left out when
SciPy is not installed). Keep values in safe domains (a square root of
``1 + e**2``, ...), as the other families do.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Callable

from ..program import Shape
from . import coverage17_more as more
from .core import ExpressionOption, Family


@dataclass(frozen=True)
class Entry:
    """One row of the table: a function (or a group of spellings)."""

    name: str
    #: the ranks of the results the builder can write
    ranks: tuple[int, ...]
    #: ``(family, wanted shape, depth) -> expression`` of exactly that shape
    build: Callable[["Coverage17", Shape, int], str]
    weight: float = 1.0
    #: the result may be a view of an operand
    view: bool = False
    #: a module the program must import ("" for NumPy only)
    needs: str = ""


class Coverage17(Family):
    """Calls of the functions of :data:`ENTRIES` (issue #17)."""

    def expressions(self, shape: Shape, fresh: bool) -> list[ExpressionOption]:
        options: list[ExpressionOption] = []
        for entry in available_entries():
            if len(shape) in entry.ranks and not (fresh and entry.view):
                options.append((entry.weight, _bound(self, entry)))
        return options

    def definitions(self) -> list[str]:
        needs = sorted({entry.needs for entry in available_entries() if entry.needs})
        return (
            [f"import {module}" for module in needs] + ["", ""] + list(STATIC_HELPERS)
        )

    # -- shared pieces ---------------------------------------------------

    def e(self, shape: Shape, depth: int) -> str:
        """An expression of ``shape``; one with a dimension of size 1 is a
        leaf (a slice of a variable), maybe under a smooth function: the
        other families' operands of such a shape may broadcast it wider."""
        shape = tuple(shape)
        if 1 in shape:
            leaf = self.g.leaf(shape)
            return self.g.pick([leaf, f"np.sin({leaf})", f"np.tanh({leaf})"])
        return self.g.expr(shape, depth)

    def dims(self) -> list[int]:
        """The sizes an operand's dimension may have (those of the inputs)."""
        return sorted({self.g.m, self.g.n})

    def axis(self, rank: int) -> int:
        """An axis of an array of ``rank`` (maybe negative)."""
        a = int(self.g.rng.integers(rank))
        return a - rank if self.g.chance(0.3) else a

    def split_size(self, total: int) -> tuple[int, int]:
        """``(a, b)``, both at least 1, with ``a + b == total`` (total >= 2)."""
        a = int(self.g.rng.integers(1, total))
        return a, total - a

    def wider(self, size: int) -> int | None:
        """A dimension (of the inputs) larger than ``size``, if there is one."""
        larger = [d for d in self.dims() if d > size]
        return self.g.pick(larger) if larger else None


def _bound(c: Coverage17, entry: Entry) -> Callable[[Shape, int], str]:
    return lambda shape, depth: entry.build(c, shape, depth)


# -- the builders ------------------------------------------------------------


def _roll(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    e = c.e(shape, depth)
    shift = int(g.rng.integers(-3, 4))
    if len(shape) == 1 or g.chance(0.3):
        return f"np.roll({e}, {shift})"
    if g.chance(0.3):
        return f"np.roll({e}, ({shift}, {int(g.rng.integers(-2, 3))}), axis=(0, 1))"
    return f"np.roll({e}, {shift}, axis={c.axis(2)})"


def _flip(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    e = c.e(shape, depth)
    if len(shape) == 1:
        return g.pick([f"np.flip({e})", f"np.flip({e}, axis=0)", f"np.flipud({e})"])
    return g.pick(
        [
            f"np.flip({e})",
            f"np.flip({e}, axis={c.axis(2)})",
            f"np.flip({e}, axis=(0, 1))",
            f"np.fliplr({e})",
            f"np.flipud({e})",
        ]
    )


def _rot90(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    p, q = shape
    k = int(g.pick([1, 3, -1]))
    if p != q and g.chance(0.5):
        return f"np.rot90({c.e(shape, depth)}, 2)"
    if g.chance(0.3):
        return f"np.rot90({c.e((q, p), depth)}, {k}, axes=(1, 0))"
    return f"np.rot90({c.e((q, p), depth)}, {k})"


def _triangle(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    fn = g.pick(["np.tril", "np.triu"])
    k = int(g.rng.integers(-1, 2))
    e = c.e(shape, depth)
    return f"{fn}({e})" if g.chance(0.3) else f"{fn}({e}, {k})"


def _diag(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    if len(shape) == 2:
        p, q = shape
        if p == q:
            k = int(g.rng.integers(0, min(2, p - 1) + 1)) * int(g.pick([1, -1]))
            if p - abs(k) >= 1 and g.chance(0.5):
                return f"np.diag({c.e((p - abs(k),), depth)}, {k})"
            return f"np.diag({c.e((p,), depth)})"
        if q <= p:
            return f"np.diag({c.e((p,), depth)})[:, :{q}]"
        return f"np.diag({c.e((q,), depth)})[:{p}, :]"
    (p,) = shape
    if len(shape) == 1 and g.chance(0.5):
        # np.diagonal / np.diag of a matrix with an offset: length p
        wider = c.wider(p)
        if wider is not None:
            offset = wider - p
            operand = c.e((p, wider), depth)
            return g.pick(
                [
                    f"np.diagonal({operand}, {offset})",
                    f"np.diag({operand}, {offset})",
                    f"np.diagonal({c.e((wider, p), depth)}, offset={-offset})",
                ]
            )
    return g.pick(
        [f"np.diag({c.e((p, p), depth)})", f"np.diagonal({c.e((p, p), depth)})"]
    )


def _trace(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    p, q = g.pick(c.dims()), g.pick(c.dims())
    offset = int(g.rng.integers(-(p - 1), q))
    return f"np.trace({c.e((p, q), depth)}, offset={offset})"


def _append(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    if len(shape) == 1:
        (p,) = shape
        if p < 2:
            return _roll(c, shape, depth)
        a, b = c.split_size(p)
        return f"np.append({c.e((a,), depth)}, {c.e((b,), depth)})"
    p, q = shape
    axis = int(g.pick([0, 1])) if min(p, q) >= 2 else (0 if p >= 2 else 1)
    if shape[axis] < 2:
        return _roll(c, shape, depth)
    a, b = c.split_size(shape[axis])
    first = (a, q) if axis == 0 else (p, a)
    second = (b, q) if axis == 0 else (p, b)
    return f"np.append({c.e(first, depth)}, {c.e(second, depth)}, axis={axis})"


def _split(c: Coverage17, shape: Shape, depth: int) -> str:
    """A piece of a split of a wider operand, by indices or by sections."""
    g = c.g
    rank = len(shape)
    axis = int(g.rng.integers(rank))
    size = shape[axis]
    wider = c.wider(size) or size
    source = list(shape)
    source[axis] = wider
    operand = c.e(tuple(source), depth)
    start = int(g.rng.integers(0, wider - size + 1))
    cuts = f"[{start}, {start + size}]"
    if wider == 2 * size and g.chance(0.5):
        piece = g.pick([0, 1])
        return g.pick(
            [
                f"np.split({operand}, 2, axis={axis})[{piece}]",
                f"np.array_split({operand}, 2, axis={axis})[{piece}]",
            ]
        )
    if wider in (2 * size - 1, 2 * size) and g.chance(0.4):
        return f"np.array_split({operand}, 2, axis={axis})[0]"
    if rank == 2 and axis == 1 and g.chance(0.5):
        return f"np.hsplit({operand}, {cuts})[1]"
    if rank == 2 and axis == 0 and g.chance(0.5):
        return f"np.vsplit({operand}, {cuts})[1]"
    if rank == 1 and g.chance(0.3):
        return f"np.hsplit({operand}, {cuts})[1]"
    return f"np.split({operand}, {cuts}, axis={axis})[1]"


def _stack(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    if len(shape) == 1:
        (p,) = shape
        if p >= 2 and g.chance(0.6):
            a, b = c.split_size(p)
            return f"np.hstack([{c.e((a,), depth)}, {c.e((b,), depth)}])"
        parts = ", ".join(c.e((p,), depth) for _ in range(2))
        axis = g.pick([0, 1, -1])
        return f"np.stack([{parts}], axis={axis}).sum(axis={axis})"
    p, q = shape
    kind = g.pick(["stack0", "stack1", "vstack", "hstack", "column", "dstack"])
    if kind == "stack0" and p <= 4:
        return f"np.stack([{', '.join(c.e((q,), depth) for _ in range(p))}])"
    if kind == "stack1" and q <= 4:
        items = ", ".join(c.e((p,), depth) for _ in range(q))
        return f"np.stack([{items}], axis={g.pick([1, -1])})"
    if kind == "vstack" and p >= 2:
        a, b = c.split_size(p)
        return f"np.vstack([{c.e((a, q), depth)}, {c.e((b, q), depth)}])"
    if kind == "hstack" and q >= 2:
        a, b = c.split_size(q)
        return f"np.hstack([{c.e((p, a), depth)}, {c.e((p, b), depth)}])"
    if kind == "column" and q <= 4:
        items = ", ".join(c.e((p,), depth) for _ in range(q))
        return f"np.column_stack([{items}])"
    pair = f"{c.e(shape, depth)}, {c.e(shape, depth)}"
    return g.pick([f"np.dstack([{pair}])[:, :, 1]", f"np.dstack([{pair}]).sum(axis=2)"])


_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def _pad(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    mode = g.pick(_PAD_MODES)
    widths = []
    inner = []
    for size in shape:
        before = int(g.rng.integers(0, 2)) if size >= 2 else 0
        after = int(g.rng.integers(0, 2)) if size - before >= 2 else 0
        core = size - before - after
        if mode == "reflect" and core < 2:
            before, after, core = 0, 0, size
        widths.append((before, after))
        inner.append(core)
    operand = c.e(tuple(inner), depth)
    width = widths[0] if len(widths) == 1 else tuple(widths)
    if len(set(widths)) == 1 and g.chance(0.4):
        width = widths[0] if widths[0][0] != widths[0][1] else widths[0][0]
    extra = (
        f", constant_values={g.const()}" if mode == "constant" and g.chance(0.5) else ""
    )
    return f'np.pad({operand}, {width}, mode="{mode}"{extra})'


def _select(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    a, b = c.e(shape, depth), c.e(shape, depth)
    conds = f"[{c.e(shape, depth)} > 0.3, {c.e(shape, depth)} < -0.2]"
    default = g.pick([", default=0.5", "", f", default={c.e(shape, depth)}"])
    return f"np.select({conds}, [{a}, {b}]{default})"


def _meshgrid(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    p, q = shape
    piece = g.pick([0, 1])
    if g.chance(0.5):
        return f"np.meshgrid({c.e((q,), depth)}, {c.e((p,), depth)})[{piece}]"
    return (
        f'np.meshgrid({c.e((p,), depth)}, {c.e((q,), depth)}, indexing="ij")[{piece}]'
    )


def _factor(c: Coverage17, size: int) -> tuple[int, int]:
    pairs = [(a, size // a) for a in range(1, size + 1) if size % a == 0]
    return c.g.pick(pairs)


def _kron(c: Coverage17, shape: Shape, depth: int) -> str:
    if len(shape) == 1:
        a, b = _factor(c, shape[0])
        return f"np.kron({c.e((a,), depth)}, {c.e((b,), depth)})"
    (a1, b1), (a2, b2) = _factor(c, shape[0]), _factor(c, shape[1])
    return f"np.kron({c.e((a1, a2), depth)}, {c.e((b1, b2), depth)})"


def _cross(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    if len(shape) == 1 and shape[0] == 3:
        return f"np.cross({c.e(shape, depth)}, {c.e(shape, depth)})"
    if len(shape) == 2 and shape[1] == 3:
        return f"np.cross({c.e(shape, depth)}, {c.e((3,), depth)})"
    if len(shape) == 2 and shape[0] == 3:
        return f"np.cross({c.e(shape, depth)}, {c.e(shape, depth)}, axis=0)"
    if len(shape) == 1 and g.chance(0.5):  # a component of a cross product
        return f"(np.cross({c.e((3,), depth)}, {c.e((3,), depth)})[1] * {c.e(shape, depth)})"
    return _roll(c, shape, depth)


def _diff(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    axis = int(g.rng.integers(len(shape)))
    size = shape[axis]
    spelled = "" if axis == len(shape) - 1 and g.chance(0.5) else f", axis={axis}"
    if g.chance(0.6):
        n = int(g.pick([1, 1, 2]))
        source = list(shape)
        source[axis] = size + n
        return f"np.diff({c.e(tuple(source), depth)}{spelled}" + (
            f", n={n})" if n > 1 else ")"
        )
    if len(shape) == 1:
        return f"np.diff({c.e(shape, depth)}, prepend={g.const()})"
    return f"np.diff({c.e(shape, depth)}{spelled}, append={g.const()})"


def _gradient(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    axes = [a for a, size in enumerate(shape) if size >= 2]
    if not axes:
        return _roll(c, shape, depth)
    axis = g.pick(axes)
    edge = ", edge_order=2" if shape[axis] >= 3 and g.chance(0.4) else ""
    spacing = g.pick(["", ", 0.5", ", 2.0"])
    e = c.e(shape, depth)
    if len(shape) == 1:
        return f"np.gradient({e}{spacing}{edge})"
    return f"np.gradient({e}{spacing}, axis={axis}{edge})"


def _trapezoid(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    k = g.pick(c.dims())
    spacing = g.pick(["", ", dx=0.5", f", x=np.linspace(0.0, 1.0, {k})"])
    if len(shape) == 0:
        return f"np.trapezoid({c.e((k,), depth)}{spacing})"
    (p,) = shape
    if g.chance(0.5):
        return f"np.trapezoid({c.e((p, k), depth)}{spacing})"
    return f"np.trapezoid({c.e((k, p), depth)}{spacing}, axis=0)"


def _sort(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    e = c.e(shape, depth)
    if len(shape) == 1:
        return g.pick([f"np.sort({e})", f"np.sort({e}, axis=0)"])
    return f"np.sort({e}, axis={c.axis(2)})"


def _partition(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    axis = int(g.rng.integers(len(shape)))
    kth = int(g.rng.integers(shape[axis]))
    e = c.e(shape, depth)
    if axis == len(shape) - 1 and g.chance(0.5):
        return f"np.partition({e}, {kth})"
    return f"np.partition({e}, {kth}, axis={axis})"


def _take_along(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    axis = int(g.rng.integers(len(shape)))
    order = c.e(shape, depth)
    return (
        f"np.take_along_axis({c.e(shape, depth)}, np.argsort({order}, axis={axis}), "
        f"axis={axis})"
    )


def _nan_to_num(c: Coverage17, shape: Shape, depth: int) -> str:
    e = c.e(shape, depth)
    return c.g.pick([f"np.nan_to_num({e})", f"np.nan_to_num({e}, nan=0.0)"])


def _sinc(c: Coverage17, shape: Shape, depth: int) -> str:
    return f"np.sinc({c.e(shape, depth)})"


def _cumprod(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    e = f"(0.6 + 0.3 * np.tanh({c.e(shape, depth)}))"
    if len(shape) == 1 and g.chance(0.5):
        return g.pick([f"np.cumprod({e})", f"{e}.cumprod()"])
    return f"np.cumprod({e}, axis={c.axis(len(shape))})"


def _interp(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    k = int(g.rng.integers(2, 6))
    ends = g.pick(["", ", left=-0.5", ", right=0.25", ", left=0.1, right=-0.1"])
    return (
        f"np.interp({c.e(shape, depth)}, np.linspace(-1.5, 1.5, {k}), "
        f"{c.e((k,), depth)}{ends})"
    )


def _convolve(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    (p,) = shape
    fn = g.pick(["np.convolve", "np.correlate"])
    mode = g.pick(["full", "same", "valid"])
    if mode == "full":
        a = int(g.rng.integers(1, p + 1))
        return f'{fn}({c.e((a,), depth)}, {c.e((p - a + 1,), depth)}, mode="full")'
    if mode == "same":
        k = int(g.rng.integers(1, p + 1))
        return f'{fn}({c.e((p,), depth)}, {c.e((k,), depth)}, mode="same")'
    wider = c.wider(p)
    if wider is None:
        return f'{fn}({c.e((p,), depth)}, {c.e((1,), depth)}, mode="valid")'
    valid = ', mode="valid"' if fn == "np.convolve" or g.chance(0.5) else ""
    return f"{fn}({c.e((wider,), depth)}, {c.e((wider - p + 1,), depth)}{valid})"


def _polyval(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    k = int(g.rng.integers(1, 5))
    x = f"np.tanh({c.e(shape, depth)})"
    if g.chance(0.3):
        return f"np.polyval(np.array([0.5, -0.25, 1.0]), {x})"
    return f"np.polyval({c.e((k,), depth)}, {x})"


def _logaddexp(c: Coverage17, shape: Shape, depth: int) -> str:
    fn = c.g.pick(["np.logaddexp", "np.logaddexp2"])
    return f"{fn}({c.e(shape, depth)}, {c.e(shape, depth)})"


def _einsum_sublist(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    k = g.pick(c.dims())
    if len(shape) == 2:
        p, q = shape
        return (
            f"np.einsum({c.e((p, k), depth)}, [0, 1], {c.e((k, q), depth)}, [1, 2], "
            "[0, 2])"
        )
    if len(shape) == 1:
        (p,) = shape
        if g.chance(0.5):
            return (
                f"np.einsum({c.e((p, k), depth)}, [0, 1], {c.e((k,), depth)}, [1], [0])"
            )
        return f"np.einsum({c.e((k, p), depth)}, [1, 0], [0])"
    return g.pick(
        [
            f"np.einsum({c.e((k,), depth)}, [0], {c.e((k,), depth)}, [0], [])",
            f"np.einsum({c.e((k, k), depth)}, [0, 0])",
        ]
    )


#: the orders of vector norms, and of matrix norms (axis=None or a pair)
VECTOR_ORDS = ("None", "1", "2", "3", "np.inf", "-np.inf", "0.5")
MATRIX_ORDS = ('"fro"', '"nuc"', "1", "-1", "2", "-2", "np.inf", "-np.inf", "None")


def _norm(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    if len(shape) == 1:
        (p,) = shape
        k = g.pick(c.dims())
        ord_ = g.pick(VECTOR_ORDS)
        if g.chance(0.5):
            return f"np.linalg.norm({c.e((p, k), depth)}, ord={ord_}, axis=1)"
        if g.chance(0.5):
            return f"np.linalg.norm({c.e((k, p), depth)}, ord={ord_}, axis=0)"
        operand = c.e((p, k), depth)
        return f"np.linalg.norm({operand}, ord={ord_}, axis=-1, keepdims=True)[:, 0]"
    if g.chance(0.5):
        k = g.pick(c.dims())
        return f"np.linalg.norm({c.e((k,), depth)}, ord={g.pick(VECTOR_ORDS)}, axis=0)"
    p, q = g.pick(c.dims()), g.pick(c.dims())
    ord_ = g.pick(MATRIX_ORDS)
    operand = c.e((p, q), depth)
    if ord_ in ("-2", '"nuc"'):
        # the smallest singular value has no derivative where it is 0 (a
        # rank-deficient operand, such as an outer product): kept away from 0
        operand = f"({operand} + 3.0 * np.eye({p}, {q}))"
    axes = g.pick(["", ", axis=(0, 1)", ", axis=(1, 0)"])
    if not axes and ord_ not in ('"fro"', '"nuc"'):
        # without axis, ord=2 (1, inf, ...) of an operand whose rank the
        # compiler does not know is refused (the vector and the matrix norm
        # differ): an axis pair says it is a matrix norm
        axes = ", axis=(0, 1)"
    return f"np.linalg.norm({operand}, ord={ord_}{axes})"


#: elementwise functions of scipy.special, as templates, in safe domains
SPECIAL_UNARY = (
    "scipy.special.expit({e})",
    "scipy.special.erf({e})",
    "scipy.special.erfc({e})",
    "scipy.special.ndtr({e})",
    "scipy.special.log_ndtr({e})",
    "scipy.special.log_expit({e})",
    "scipy.special.gammaln(1.5 + np.square({e}))",
    "scipy.special.digamma(1.5 + np.square({e}))",
    "scipy.special.entr(0.5 + 0.4 * np.tanh({e}))",
    "scipy.special.erfinv(0.8 * np.tanh({e}))",
)
SPECIAL_BINARY = (
    "scipy.special.xlogy({a}, 1.0 + np.square({b}))",
    "scipy.special.betaln(1.0 + np.square({a}), 1.5 + np.square({b}))",
)


def _special(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    if g.chance(0.7):
        return g.pick(SPECIAL_UNARY).format(e=c.e(shape, depth))
    return g.pick(SPECIAL_BINARY).format(a=c.e(shape, depth), b=c.e(shape, depth))


def _softmax(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    if len(shape) == 0:
        k = g.pick(c.dims())
        return f"scipy.special.logsumexp({c.e((k,), depth)})"
    if len(shape) == 1 and g.chance(0.5):
        (p,) = shape
        k = g.pick(c.dims())
        keep = g.chance(0.3)
        text = f"scipy.special.logsumexp({c.e((p, k), depth)}, axis=1"
        return text + (", keepdims=True)[:, 0]" if keep else ")")
    fn = g.pick(["scipy.special.softmax", "scipy.special.log_softmax"])
    axis = "" if len(shape) == 1 and g.chance(0.5) else f", axis={c.axis(len(shape))}"
    return f"{fn}({c.e(shape, depth)}{axis})"


#: Helpers taking static parameters (``shift``, ``axis``, ``keepdims``) as
#: parameters: ``moved`` is compiled apart (a loop), for each constant it
#: is passed; ``reduced`` is inlined.
STATIC_HELPERS = (
    "def moved(v, shift, axis=0):",
    "    out = v",
    "    for _ in range(2):",
    "        out = 0.5 * np.roll(out, shift, axis=axis) + 0.25 * out",
    "    return out",
    "",
    "",
    "def reduced(v, axis, keep=False):",
    "    return np.sum(np.sin(v), axis=axis, keepdims=keep)",
)


def _static_helper(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    if len(shape) >= 1 and g.chance(0.6):
        shift = int(g.rng.integers(-2, 3))
        axis = c.axis(len(shape))
        e = c.e(shape, depth)
        if axis == 0 and g.chance(0.5):
            return f"moved({e}, {shift})"
        return f"moved({e}, {shift}, axis={axis})"
    k = g.pick(c.dims())
    if len(shape) == 0:
        return f"reduced({c.e((k,), depth)}, 0)"
    if len(shape) == 1:
        (p,) = shape
        if g.chance(0.5):
            return f"reduced({c.e((p, k), depth)}, 1, True)[:, 0]"
        return f"reduced({c.e((k, p), depth)}, axis=0)"
    axis = int(g.pick([0, 1]))
    return f"(reduced({c.e(shape, depth)}, {axis}, True) * {c.e(shape, depth)})"


#: The table: one row per function (or group of spellings) of issue #17.
ENTRIES: tuple[Entry, ...] = (
    Entry("roll", (1, 2), _roll),
    Entry("flip", (1, 2), _flip, view=True),
    Entry("rot90", (2,), _rot90, view=True),
    Entry("tril/triu", (2,), _triangle),
    Entry("diag/diagonal", (1, 2), _diag, view=True),
    Entry("trace", (0,), _trace, 0.5),
    Entry("append", (1, 2), _append),
    Entry("split", (1, 2), _split, view=True),
    Entry("stacks", (1, 2), _stack),
    Entry("pad", (1, 2), _pad),
    Entry("select", (1, 2), _select, 0.5),
    Entry("meshgrid", (2,), _meshgrid),
    Entry("kron", (1, 2), _kron),
    Entry("cross", (1, 2), _cross, 0.5),
    Entry("diff", (1, 2), _diff),
    Entry("gradient", (1, 2), _gradient),
    Entry("trapezoid", (0, 1), _trapezoid),
    Entry("sort", (1, 2), _sort),
    Entry("partition", (1, 2), _partition, 0.5),
    Entry("take_along_axis", (1, 2), _take_along, 0.5),
    Entry("nan_to_num", (0, 1, 2), _nan_to_num, 0.3),
    Entry("sinc", (0, 1, 2), _sinc, 0.5),
    Entry("cumprod", (1, 2), _cumprod),
    Entry("interp", (0, 1, 2), _interp, 0.5),
    Entry("convolve/correlate", (1,), _convolve),
    Entry("polyval", (0, 1, 2), _polyval, 0.5),
    Entry("logaddexp", (0, 1, 2), _logaddexp, 0.5),
    Entry("einsum sublists", (0, 1, 2), _einsum_sublist, 0.7),
    Entry("linalg.norm", (0, 1), _norm, 1.5),
    Entry("scipy.special", (0, 1, 2), _special, 1.0, needs="scipy.special"),
    Entry("logsumexp/softmax", (0, 1, 2), _softmax, 0.7, needs="scipy.special"),
    Entry("static parameters", (0, 1, 2), _static_helper, 0.7),
    # the functions merged on 2026-12-03 (generator/coverage17_more.py)
    Entry("fft", (1, 2), more._fft, 1.5),
    Entry("complex", (0, 1, 2), more._complex),
    Entry("linalg.svd", (0, 1, 2), more._svd),
    Entry("linalg.eigh", (0, 1, 2), more._eigh),
    Entry("linalg.eig", (0, 1), more._eig, 0.5),
    Entry("linalg.qr", (1, 2), more._qr, 0.7),
    Entry("linalg.cholesky", (2,), more._cholesky, 0.5),
    Entry("linalg.det/slogdet", (0, 1), more._determinant, 0.7),
    Entry("linalg.pinv", (2,), more._pinv, 0.5),
    Entry("linalg.matrix_power", (2,), more._matrix_power, 0.5),
    Entry("linalg.lstsq", (1, 2), more._lstsq, 0.5),
    Entry("linalg.solve/inv", (1, 2), more._solve),
    Entry(
        "scipy.linalg.solve_triangular",
        (1, 2),
        more._solve_triangular,
        0.5,
        needs="scipy.linalg",
    ),
    Entry("scipy.linalg.cho", (1, 2), more._cho, 0.5, needs="scipy.linalg"),
    Entry(
        "scipy.linalg.expm/sqrtm",
        (2,),
        more._matrix_function,
        0.5,
        needs="scipy.linalg",
    ),
    Entry(
        "scipy.linalg.solve_sylvester", (2,), more._sylvester, 0.4, needs="scipy.linalg"
    ),
    Entry("scipy.linalg.block_diag", (2,), more._block_diag, 0.4, needs="scipy.linalg"),
    Entry("scipy.signal", (1, 2), more._signal, 1.0, needs="scipy.signal"),
)


def available_entries() -> tuple[Entry, ...]:
    """The rows of :data:`ENTRIES` whose module is installed."""
    return tuple(
        entry
        for entry in ENTRIES
        if not entry.needs or _installed(entry.needs.partition(".")[0])
    )


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None
