"""The few helpers generated code calls.

Each is a plain function of arrays, importable and readable on its own, and
each is a registered primitive with its own derivative rule
(:mod:`adcompiler.primitives.runtime_helpers`), so generated code can be
differentiated again.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .errors import ADError, NoRuleError, OutputError, WrtError

#: one global lookup, not two, in the checks loop steps run on every call
_ARRAY = np.ndarray

_REAL = np.dtype(np.float64)


def seed_adjoint(out: Any) -> Any:
    """1 in the type of ``out``: the adjoint the backward sweep starts from.

    Raises :class:`OutputError` unless ``out`` is a real scalar (a Python
    number, a NumPy scalar or a 0-d array) or, as autograd accepts, a real
    array of one element (``np.sum(x, keepdims=True)``): its seed is an
    array of ones of its shape, and the gradient is that of its element.
    """
    if isinstance(out, (float, int)) and not isinstance(out, bool):
        return 1.0
    dtype = getattr(out, "dtype", None)
    one_element = dtype is not None and type(out) is _ARRAY and out.size == 1
    if dtype is None or (np.ndim(out) != 0 and not one_element):
        shape = np.shape(out) if dtype is not None else None
        what = f"an array of shape {shape}" if shape else type(out).__name__
        raise OutputError(
            f"grad needs a function with a scalar output; it returned {what}",
            hint="reduce it (np.sum, np.mean), or use a Jacobian",
        )
    if not np.issubdtype(dtype, np.floating) and not np.issubdtype(dtype, np.integer):
        raise OutputError(
            f"grad needs a real scalar output; it returned dtype {dtype}",
            hint="return a float (for complex values, return abs(z) ** 2 or z.real)",
        )
    if np.ndim(out) != 0:  # one element: ones of its shape
        real = dtype if np.issubdtype(dtype, np.floating) else _REAL
        return np.ones(out.shape, dtype=real)
    if np.issubdtype(dtype, np.integer):
        return 1.0
    return np.ones((), dtype=dtype)[()]


def complex_derivative() -> NoRuleError:
    """The error for a tangent of a real output that came out complex: a
    rule gave a real value a complex tangent (a bug in that rule)."""
    return NoRuleError(
        "a tangent of a real output came out complex: a rule on the way gives "
        "a real value a complex tangent",
        hint="report it; meanwhile keep the real and imaginary parts as "
        "separate real arrays",
    )


def is_complex(x: Any) -> bool:
    """Whether ``x`` is a complex number or an array of complex numbers."""
    return isinstance(x, complex) or getattr(x, "dtype", _REAL).kind == "c"


def real_like(g: Any, like: Any) -> Any:
    """``g``, or its real part when ``like`` is real: the adjoint of a real
    value is its real part (see docs/subset.md, "Complex numbers")."""
    if is_complex(g) and not is_complex(like):
        return np.real(g)
    return g


def zero_of_kind(array: Any) -> Any:
    """``0j`` if ``array`` holds complex numbers, else ``0.0``: what
    :func:`real_like` needs of an array it reads for its kind only (so
    generated code keeps no copy of the array's values for it)."""
    return 0j if is_complex(array) else 0.0


def real_operand(x: Any, what: str) -> Any:
    """``x``, unless it is complex: then :class:`NoRuleError`, as the rule
    of ``what`` is written for real operands only."""
    if is_complex(x):
        raise NoRuleError(
            f"{what} of a complex operand has no derivative rule here (its rule "
            "is written for real operands)",
            hint="apply it to real arrays (np.real(z), np.imag(z), np.abs(z))",
        )
    return x


def log_base(x: Any, power: Any) -> Any:
    """The base ``x`` of ``power = x ** y`` where ``log(x)`` is the derivative's
    factor, 1 elsewhere: for a real power, where ``x > 0`` (0 ** y and
    negative bases do not vary in y, JAX's convention); for a complex one
    (a complex ``x``, or a negative Python float to a fractional power),
    wherever ``x != 0``, as a complex number (the principal logarithm)."""
    if is_complex(power) or is_complex(x):
        return np.where(x != 0, x, 1.0).astype(np.result_type(power, x, 1j))[()]
    return np.where(x > 0, x, 1.0)[()]


def log_defined(x: Any, power: Any) -> Any:
    """Where :func:`log_base` keeps ``x`` (its derivative in ``x``): 1.0 or 0.0."""
    if is_complex(power) or is_complex(x):
        return (np.asarray(x) != 0).astype(float)[()]
    return (np.asarray(x) > 0).astype(float)[()]


def fit_gradient(g: Any, x: Any) -> Any:
    """The adjoint ``g`` as a gradient of ``x``: x's type, shape and dtype.

    A Python float gets a Python float, a Python complex a Python complex,
    a NumPy scalar a scalar of its type, an array a writable array of its
    shape and dtype. The gradient of a real argument is the real part of
    its adjoint (the adjoint of a real value is its real part); that of a
    complex argument ``z = x + iy`` is ``dL/dx - i dL/dy`` (autograd's and
    JAX's convention). Integer and boolean arguments raise
    :class:`WrtError`.
    """
    if isinstance(x, float) and not isinstance(x, np.generic):
        if type(g) is float:
            return g
        if is_complex(g):
            return float(np.real(g))
        return float(g)
    if isinstance(x, np.ndarray) or isinstance(x, np.generic):
        kind = x.dtype.kind
        if kind != "f" and kind != "c":
            raise WrtError(
                f"cannot differentiate with respect to an argument of dtype "
                f"{x.dtype}: gradients are defined for floating inputs, real "
                "or complex",
                hint="pass floats, e.g. x.astype(np.float64)",
            )
        if kind == "f" and is_complex(g):
            g = np.real(g)
        if isinstance(x, np.generic):
            return x.dtype.type(g)
        out = np.asarray(g, dtype=x.dtype)
        if out.shape != x.shape:
            out = np.broadcast_to(out, x.shape)
        if not out.flags.writeable:
            out = out.copy()
        return out
    if isinstance(x, complex):
        return complex(g)
    if isinstance(x, numbers.Number):
        kind = "a bool" if isinstance(x, bool) else f"an {type(x).__name__}"
        raise WrtError(
            f"cannot differentiate with respect to {kind} ({x!r})",
            hint="pass a float, e.g. 3.0 instead of 3",
        )
    raise WrtError(
        f"cannot differentiate with respect to a {type(x).__name__}",
        hint="pass a float or a NumPy array of floats",
    )


def unbroadcast(g: Any, shape: tuple) -> Any:
    """Sum ``g`` over the axes NumPy broadcasting added to reach ``shape``."""
    g_shape = g.shape if type(g) is _ARRAY else np.shape(g)
    if g_shape == shape:
        return g
    extra = len(g_shape) - len(shape)
    if extra > 0:
        # broadcasting prepended these axes (the usual case: a bias's adjoint)
        leading = 0 if extra == 1 else tuple(range(extra))
        if type(g) is _ARRAY:
            g = g.sum(axis=leading)
            g_shape = g.shape
        else:
            g = np.sum(g, axis=leading)
            g_shape = np.shape(g)
        if g_shape == shape:
            return g
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g_shape[i] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    if np.shape(g) != shape:
        g = np.broadcast_to(g, shape)
    return g


def _is_advanced(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, list):
            return True
        if isinstance(part, np.ndarray) and part.dtype != bool:
            return True
    return False


def unindex(g: Any, shape: tuple, index: Any) -> Any:
    """Zeros of ``shape`` with ``g`` added at ``index``: the adjoint of ``x[index]``.

    Repeated integer indices accumulate (``np.add.at``).
    """
    out = np.zeros(shape, dtype=np.result_type(g))
    if _is_advanced(index):
        np.add.at(out, index, g)
    else:
        out[index] = g
    return out


def _reusable(acc: Any, other: Any, shape: tuple) -> bool:
    """True when ``acc`` can take a sum in place: a writable array of
    ``shape`` whose dtype the sum would keep (checked first by identity:
    these run once per operation of every loop step)."""
    return (
        type(acc) is _ARRAY
        and acc.shape == shape
        and acc.flags.writeable
        and (
            getattr(other, "dtype", None) is acc.dtype
            or np.result_type(acc, other) == acc.dtype
        )
    )


def _takes(acc: Any, contribution: Any) -> bool:
    """Whether ``acc`` can take ``acc ± contribution`` in place: the usual
    case (two arrays of one shape and dtype) checked first, as it runs for
    every sum of every loop step; else as :func:`_reusable` decides."""
    if type(contribution) is _ARRAY:
        if type(acc) is _ARRAY and contribution.dtype is acc.dtype:
            return contribution.shape == acc.shape and acc.flags.writeable
        return _reusable(acc, contribution, contribution.shape)
    return _reusable(acc, contribution, np.shape(contribution))


def add_into(acc: Any, contribution: Any) -> Any:
    """``acc + contribution``, written into ``acc`` when it is an array of
    the sum's shape and dtype (the compiler passes only adjoints nothing
    else reads, see :mod:`adcompiler.passes.inplace`)."""
    if _takes(acc, contribution):
        acc += contribution
        return acc
    return acc + contribution


def subtract_into(acc: Any, contribution: Any) -> Any:
    """``acc - contribution``, written into ``acc`` under the conditions of
    :func:`add_into` (a contribution that is a negation, ``-c``, subtracted
    instead of negated, then added)."""
    if _takes(acc, contribution):
        acc -= contribution
        return acc
    return acc - contribution


def assemble(shape: tuple, *pieces: tuple) -> Any:
    """The sum of ``unindex(g, shape, index)`` over the ``(index, g)`` pieces:
    the adjoint of an array read through several indices.

    Pieces at basic indices that differ from the whole array along one axis
    only (``z[:, :H]``, ``z[:, H:]``, ``x[0]``, ``x[1:]``) and do not
    overlap are written, not added: concatenated when they tile the axis
    in order, into zeros otherwise. Anything else (overlapping or advanced
    indices) is added one piece at a time, as separate ``add_at`` would."""
    if type(shape) is not tuple:
        shape = tuple(shape)
    plan = _disjoint_pieces(shape, pieces)
    if plan is None:
        (index, g), rest = pieces[0], pieces[1:]
        total = unindex(g, shape, index)
        for index, g in rest:
            total = add_at(total, g, shape, index)
        return total
    axis, order, tiles = plan
    if tiles:
        total = _concatenated([pieces[k][1] for _, _, k in order], axis, shape)
        if total is not None:
            return total
    total = np.zeros(shape, dtype=np.result_type(*[g for _, g in pieces]))
    for index, g in pieces:
        total[index] = g
    return total


def concatenate_tiles(shape: tuple, axis: int, cuts: tuple, *parts: Any) -> Any:
    """``assemble`` of pieces read at consecutive slices of one axis,
    ``[:c1]``, ``[c1:c2]``, ..., ``[ck:]`` (``cuts`` = c1, ..., ck), every
    other axis whole: the compiler saw that they tile the axis (an LSTM's
    gates), so only the cuts are checked here. When they are integers in
    order within the axis and each part has its slice's shape, the result
    is the parts concatenated; otherwise exactly what ``assemble`` gives."""
    if type(shape) is not tuple:
        shape = tuple(shape)
    last = 0
    for cut in cuts:
        if type(cut) is not int or not last <= cut <= shape[axis]:
            break
        last = cut
    else:
        total = _concatenated(parts, axis, shape)
        if total is not None:
            return total
    return assemble(shape, *tile_pieces(axis, cuts, parts))


def _concatenated(parts: Any, axis: int, shape: tuple) -> Any:
    """The parts of an axis, in order, joined; None unless that makes an
    array of ``shape``. Each part has its slice's shape, or one broadcast to
    it (smaller, or a number): then concatenating fails or comes out short,
    and the caller writes or adds the parts instead."""
    try:
        total = np.concatenate(parts, axis=axis)
    except ValueError:
        return None
    return total if total.shape == shape else None


def tile_pieces(axis: int, cuts: tuple, parts: tuple) -> list:
    """The ``(index, part)`` pieces of :func:`concatenate_tiles`'s arguments."""
    bounds = (None, *cuts, None)
    whole = (slice(None),) * axis
    return [
        (whole + (slice(bounds[k], bounds[k + 1]),), part)
        for k, part in enumerate(parts)
    ]


def _disjoint_pieces(shape: tuple, pieces: tuple) -> tuple | None:
    """``(axis, [(start, stop, k)] sorted by start, tiles)`` when the index
    of every ``(index, g)`` piece ``k`` selects all of ``shape`` but an
    interval (an integer, or a slice of step 1) of one common ``axis``, and
    the intervals do not overlap; ``tiles``: they are all slices covering
    the axis. Else None.

    Runs at every step of a loop whose backward assembles pieces: plain
    loops and early exits, no helpers."""
    axis = -1
    spans = []
    every_slice = True
    for k, (index, _) in enumerate(pieces):
        parts = index if type(index) is tuple else (index,)
        if len(parts) > len(shape):
            return None
        narrowed = -1
        for i, part in enumerate(parts):
            n = shape[i]
            if type(part) is slice:
                if part.start is None and part.stop is None and part.step is None:
                    continue
                start, stop, step = part.indices(n)
                if step != 1:
                    return None
                if start == 0 and stop == n:
                    continue
                if stop < start:
                    stop = start
            elif type(part) is int or (
                isinstance(part, np.integer) and not isinstance(part, np.bool_)
            ):
                start = int(part)
                if start < 0:
                    start += n
                if not 0 <= start < n:
                    return None
                stop = start + 1
                every_slice = False
            else:
                return None  # None, Ellipsis, bools, arrays: not an interval
            if narrowed >= 0:
                return None  # narrowed along two axes
            narrowed, span = i, (start, stop, k)
        if narrowed < 0 or (axis >= 0 and narrowed != axis):
            return None
        axis = narrowed
        spans.append(span)
    spans.sort()
    end = 0
    tiles = every_slice
    for start, stop, _ in spans:
        if start < end:
            return None  # overlapping: the pieces must be added
        if start != end:
            tiles = False
        end = stop
    return axis, spans, tiles and end == shape[axis]


def add_at(acc: Any, g: Any, shape: tuple, index: Any) -> Any:
    """``acc + unindex(g, shape, index)``, added at ``index`` in place when
    ``acc`` is an array of ``shape`` and a dtype the sum keeps."""
    if _reusable(acc, g, tuple(shape)):
        if _is_advanced(index):
            np.add.at(acc, index, g)
        else:
            acc[index] += g
        return acc
    return acc + unindex(g, shape, index)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LARGE_EINSUM = 20_000  # elements: above this, einsum may use BLAS


def bilinear_spec(kind: str, ndim_a: int, ndim_b: int, axes: Any = 2) -> str:
    """The einsum subscripts equal to ``np.<kind>(a, b)`` for these ranks.

    ``kind`` is one of "dot", "matmul", "inner", "tensordot" (with ``axes``).
    """
    letters = iter(_LETTERS)
    a = [next(letters) for _ in range(ndim_a)]
    b = [next(letters) for _ in range(ndim_b)]
    if kind == "tensordot":
        if isinstance(axes, int):
            axes_a = list(range(ndim_a - axes, ndim_a))
            axes_b = list(range(axes))
        else:
            axes_a, axes_b = (
                [axes_x] if isinstance(axes_x, int) else list(axes_x) for axes_x in axes
            )
        for i, j in zip(axes_a, axes_b):
            b[j] = a[i]
        contracted = {a[i] for i in axes_a}
        out = [x for x in a if x not in contracted] + [
            x for x in b if x not in contracted
        ]
    elif ndim_a == 0 or ndim_b == 0:
        out = a + b
    elif kind == "dot":
        b[max(ndim_b - 2, 0)] = a[-1]
        out = a[:-1] + [x for x in b if x != a[-1]]
    elif kind == "inner":
        b[-1] = a[-1]
        out = a[:-1] + b[:-1]
    elif kind == "matmul":
        if ndim_b == 1:
            b[0] = a[-1]
            out = a[:-1]
        elif ndim_a == 1:
            b[-2] = a[0]
            out = b[:-2] + b[-1:]
        else:
            b[-2] = a[-1]
            out = a[:-1] + b[-1:]
            return (
                "..."
                + "".join(a[-2:])
                + ",..."
                + "".join(b[-2:])
                + "->..."
                + "".join(out[-2:])
            )
    else:
        raise ValueError(f"unknown bilinear product {kind}")
    return "".join(a) + "," + "".join(b) + "->" + "".join(out)


def _expand_einsum(spec: str, ndims: list[int]) -> tuple[list[str], str]:
    """Explicit subscripts of ``spec`` (no ``...``, an output always given)."""
    spec = spec.replace(" ", "")
    if "->" in spec:
        inputs_text, output = spec.split("->")
    else:
        inputs_text, output = spec, None
    inputs = inputs_text.split(",")
    used = set(spec) - set(".,->")
    spare = [c for c in _LETTERS if c not in used]
    n_ellipsis = [
        ndim - (len(term) - 3) if "..." in term else 0
        for term, ndim in zip(inputs, ndims)
    ]
    width = max(n_ellipsis, default=0)
    dims = spare[:width]
    expanded = [
        term.replace("...", "".join(dims[width - n :]))
        for term, n in zip(inputs, n_ellipsis)
    ]
    if output is None:
        counts = {c: "".join(expanded).count(c) for c in "".join(expanded)}
        output = "..." + "".join(
            sorted(c for c, n in counts.items() if n == 1 and c not in dims)
        )
    output = output.replace("...", "".join(dims))
    return expanded, output


_PLAIN_MATMUL: dict[str, bool] = {"matmul": True}


def _is_plain_matmul(spec: str) -> bool:
    """True when ``spec`` is ``xy,yz->xz`` (up to letters and ``...``), or
    ``"matmul"`` (``a @ b``, whatever the ranks)."""
    found = _PLAIN_MATMUL.get(spec)
    if found is None:
        found = False
        text = spec.replace(" ", "").replace("...", "")
        if "->" in text:
            inputs, out = text.split("->")
            terms = inputs.split(",")
            if len(terms) == 2 and all(len(t) == 2 for t in terms) and len(out) == 2:
                (x, y), (y2, z) = terms
                found = y == y2 and len({x, y, z}) == 3 and out == x + z
        _PLAIN_MATMUL[spec] = found
    return found


def einsum_adjoint(spec: str, k: int, shape: tuple, g: Any, *operands: Any) -> Any:
    """The adjoint of operand ``k`` of ``np.einsum(spec, *operands)``
    (``spec`` may be ``"matmul"``: the product ``a @ b``).

    ``operands[k]`` is not read (pass None); ``shape`` is its shape. Indices
    only operand ``k`` has (summed away in the forward) are broadcast back,
    and axes NumPy broadcast are summed. An index operand ``k`` repeats (a
    diagonal, as in ``"ii->i"``) puts the adjoint on that diagonal.
    """
    if (
        len(shape) == 2
        and len(operands) == 2
        and (spec == "matmul" or _is_plain_matmul(spec))
    ):
        # a product of two matrices: the adjoints are matrix products (BLAS);
        # checked first, by type, as this runs for every product of a loop step
        other = operands[1 - k]
        if type(other) is _ARRAY and type(g) is _ARRAY:
            if other.ndim == 2 and g.ndim == 2:
                return g @ other.T if k == 0 else other.T @ g
        elif np.ndim(other) == 2 and np.ndim(g) == 2:
            other_t = np.transpose(other)
            return g @ other_t if k == 0 else other_t @ g
    ndims = [len(shape) if j == k else np.ndim(x) for j, x in enumerate(operands)]
    if spec == "matmul":
        spec = bilinear_spec("matmul", *ndims)
    inputs, output = _expand_einsum(spec, ndims)
    others = [term for j, term in enumerate(inputs) if j != k]
    values = [g] + [x for j, x in enumerate(operands) if j != k]
    # each repeat of an index in operand k gets a fresh letter, tied to the
    # first occurrence by an identity matrix
    spare = iter(c for c in _LETTERS if c not in set("".join(inputs) + output))
    target = ""
    for i, c in enumerate(inputs[k]):
        if c in target:
            fresh = next(spare)
            others.append(c + fresh)
            values.append(np.eye(shape[i], dtype=np.result_type(g)))
            c = fresh
        target += c
    seen = set(output).union(*others)
    kept = "".join(c for c in target if c in seen)
    terms = ",".join([output] + others)
    # BLAS (through einsum's contraction paths) pays off on large operands;
    # on small ones finding the path costs more than it saves
    large = sum(np.size(v) for v in values) > _LARGE_EINSUM
    result = np.einsum(
        f"{terms}->{kept}", *values, optimize="greedy" if large else False
    )
    if kept != target:
        missing = tuple(i for i, c in enumerate(target) if c not in seen)
        result = np.expand_dims(result, missing)
    sizes = tuple(shape)
    if np.shape(result) != sizes:
        result = unbroadcast(
            np.broadcast_to(result, np.broadcast_shapes(np.shape(result), sizes)), sizes
        )
    return result


def einsum_of(spec: str, *operands: Any) -> Any:
    """``np.einsum(spec, *operands)`` (``spec`` ``"matmul"``: ``a @ b``) for
    subscripts known only at run time (computed from ranks by
    :func:`bilinear_spec`): the adjoint in ``g`` of :func:`einsum_adjoint`."""
    if spec == "matmul":
        return operands[0] @ operands[1]
    return np.einsum(spec, *operands)


def piece_index(kind: str, shapes: list, axis: Any, i: int) -> tuple:
    """The index of piece ``i`` in the result of ``np.<kind>(pieces)``.

    ``kind`` is "concatenate", "stack", "hstack" or "vstack"; ``shapes`` are
    the pieces' shapes.
    """
    if kind == "stack":
        ndim = len(shapes[i]) + 1
        axis = axis % ndim
        return (slice(None),) * axis + (i,)
    if kind == "concatenate" and axis is None:  # the pieces flattened
        sizes = [int(np.prod(s)) for s in shapes]
        start = sum(sizes[:i])
        return (slice(start, start + sizes[i]),)
    if kind == "vstack":
        axis = 0
        sizes = [s[0] if len(s) >= 2 else 1 for s in shapes]
    else:
        if kind == "hstack":
            axis = 0 if len(shapes[i]) <= 1 else 1
        ndim = max(len(shapes[i]), 1)
        axis = axis % ndim
        sizes = [s[axis] if len(s) > axis else 1 for s in shapes]
    start = sum(sizes[:i])
    return (slice(None),) * axis + (slice(start, start + sizes[i]),)


def untile(g: Any, shape: tuple, reps: Any) -> Any:
    """The adjoint of ``np.tile(a, reps)`` for ``a`` of ``shape``: sums the tiles."""
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    ndim = max(len(shape), len(reps))
    full_shape = (1,) * (ndim - len(shape)) + tuple(shape)
    full_reps = (1,) * (ndim - len(reps)) + reps
    interleaved = [n for pair in zip(full_reps, full_shape) for n in pair]
    summed = np.sum(np.reshape(g, interleaved), axis=tuple(range(0, 2 * ndim, 2)))
    return np.reshape(summed, shape)


def unrepeat(g: Any, shape: tuple, repeats: Any, axis: Any = None) -> Any:
    """The adjoint of ``np.repeat(a, repeats, axis)`` for ``a`` of ``shape``."""
    if axis is None:
        n = int(np.prod(shape))
        flat_axis = 0
    else:
        flat_axis = axis % len(shape)
        n = shape[flat_axis]
    counts = np.broadcast_to(np.asarray(repeats), (n,))
    # the elements repeated at least once own consecutive runs of g, in
    # order; sum each run (elements repeated 0 times get 0)
    kept = np.flatnonzero(counts)
    starts = (np.cumsum(counts) - counts)[kept]
    g_shape = np.shape(g)
    out = np.zeros(
        g_shape[:flat_axis] + (n,) + g_shape[flat_axis + 1 :], dtype=np.result_type(g)
    )
    if kept.size:
        where = (slice(None),) * flat_axis + (kept,)
        out[where] = np.add.reduceat(g, starts, axis=flat_axis)
    return np.reshape(out, shape)


def prod_others(a: Any, axis: Any = None) -> Any:
    """For each element of ``a``, the product of the others along ``axis``.

    The derivative of ``np.prod``, exact where ``a`` has zeros (no division).
    """
    a = np.asarray(a)
    if axis is None:
        return np.reshape(prod_others(np.ravel(a), 0), a.shape)
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    axes = tuple(ax % a.ndim for ax in axes)
    moved = np.moveaxis(a, axes, tuple(range(a.ndim - len(axes), a.ndim)))
    flat = np.reshape(moved, moved.shape[: a.ndim - len(axes)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,), dtype=flat.dtype)
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.flip(
        np.cumprod(
            np.concatenate([ones, np.flip(flat, -1)[..., :-1]], axis=-1), axis=-1
        ),
        -1,
    )
    others = np.reshape(before * after, moved.shape)
    return np.moveaxis(others, tuple(range(a.ndim - len(axes), a.ndim)), axes)


def cofactor(a: Any) -> np.ndarray:
    """The cofactor matrix of each matrix of ``a`` (shape ``(..., n, n)``):
    the gradient of ``np.linalg.det``, ``det(a) * inv(a).T`` where ``a`` is
    invertible, and defined (and exact) at singular matrices too.

    Computed from the SVD ``a = u s vt``: ``det(u vt) u diag(p) vt``, where
    ``p[i]`` is the product of the singular values but ``s[i]``; no division,
    so a zero singular value is fine. For a complex ``a``, ``u`` and ``vt``
    are conjugated (the cofactor is then the derivative of the holomorphic
    ``det``, as the rules' convention wants)."""
    a = np.asarray(a, dtype=np.result_type(a, np.float32))
    n = a.shape[-1]
    if n == 1:
        return np.ones_like(a)
    if n == 2:
        out = np.empty_like(a)
        out[..., 0, 0] = a[..., 1, 1]
        out[..., 0, 1] = -a[..., 1, 0]
        out[..., 1, 0] = -a[..., 0, 1]
        out[..., 1, 1] = a[..., 0, 0]
        return out
    u, s, vt = np.linalg.svd(a)
    sign = np.linalg.det(u) * np.linalg.det(vt)
    others = prod_others(s, -1)
    if a.dtype.kind == "c":  # u and vt are unitary: inv(u).T is conj(u)
        u, vt = np.conj(u), np.conj(vt)
    return sign[..., None, None] * ((u * others[..., None, :]) @ vt)


def cofactor_derivative(a: Any, *es: Any) -> np.ndarray:
    """The derivative of :func:`cofactor` at ``a`` in the directions
    ``es`` (``k`` of them): entry ``(i, j)`` is ``det``'s derivative of
    order ``k + 1`` in the directions ``e_ij`` (the unit matrix) and
    ``es``. Symmetric in all of them, so it is its own adjoint in each, and
    its derivative in ``a`` along ``d`` is ``cofactor_derivative(a, *es,
    d)``: every order of ``det`` stays in this function. Exact at singular
    matrices (minors' cofactors, no inverse); zero for ``k >= n`` (the
    entries are polynomials of degree ``n - 1``)."""
    if not es:
        return cofactor(a)
    a = np.asarray(a, dtype=np.result_type(a, np.float32))
    shape = np.broadcast_shapes(a.shape, *(np.shape(e) for e in es))
    a = np.broadcast_to(a, shape)
    es = tuple(np.broadcast_to(e, shape) for e in es)
    n = a.shape[-1]
    out = np.zeros(shape, dtype=np.result_type(a, *es))
    if len(es) >= n:
        return out
    for i in range(n):
        for j in range(n):

            def minor(x: Any) -> Any:
                return np.delete(np.delete(x, i, axis=-2), j, axis=-1)

            parts = [minor(e) for e in es]
            inner = cofactor_derivative(minor(a), *parts[:-1])
            term = np.sum(inner * parts[-1], axis=(-2, -1))
            out[..., i, j] = term if (i + j) % 2 == 0 else -term
    return out


def cofactor_tangent(a: Any, e: Any) -> np.ndarray:
    """The derivative of :func:`cofactor` at ``a`` in the direction ``e``
    (the Hessian of ``det`` applied to ``e``; it is symmetric, so this is
    the adjoint of the cofactor too). Exact at singular matrices: entry
    ``(i, j)`` is ``(-1)**(i + j)`` times the derivative of the minor
    without row i and column j, the sum of that minor's cofactors times
    ``e``'s minor."""
    a = np.asarray(a, dtype=np.result_type(a, np.float32))
    e = np.broadcast_to(e, np.broadcast_shapes(np.shape(e), a.shape))
    a = np.broadcast_to(a, e.shape)
    n = a.shape[-1]
    out = np.zeros(a.shape, dtype=np.result_type(a, e))
    if n == 1:
        return out
    for i in range(n):
        for j in range(n):
            minor_a = np.delete(np.delete(a, i, axis=-2), j, axis=-1)
            minor_e = np.delete(np.delete(e, i, axis=-2), j, axis=-1)
            term = np.sum(cofactor(minor_a) * minor_e, axis=(-2, -1))
            out[..., i, j] = term if (i + j) % 2 == 0 else -term
    return out


def index_join(kind: str, *pieces: Any) -> np.ndarray:
    """``np.r_[pieces]`` (``kind`` "r_") or ``np.c_[pieces]`` ("c_"), the
    pieces arrays or numbers (the lowering turns slices into ``np.arange``)."""
    return (np.r_ if kind == "r_" else np.c_)[tuple(pieces)]


def _index_join_layout(kind: str, shapes: Any) -> tuple[int, list[tuple], list[int]]:
    """The join axis of ``np.r_``/``np.c_``, each piece's shape as joined
    (``r_``: at least 1-d; ``c_``: at least 2-d, a vector as a column), and
    where each piece starts along the axis."""
    shapes = [tuple(int(n) for n in shape) for shape in shapes]
    if kind == "r_":
        axis = 0
        joined = [shape if shape else (1,) for shape in shapes]
    else:
        axis = -1
        joined = [
            shape if len(shape) >= 2 else (shape + (1,) if shape else (1, 1))
            for shape in shapes
        ]
    starts = [0]
    for shape in joined:
        starts.append(starts[-1] + shape[axis])
    return axis, joined, starts


def index_join_piece(g: Any, kind: str, shapes: Any, k: int) -> np.ndarray:
    """Piece ``k`` of ``g``, the adjoint of ``index_join(kind, *pieces)``
    whose pieces had ``shapes``: its part of ``g``, in the piece's shape."""
    axis, joined, starts = _index_join_layout(kind, shapes)
    part = np.asarray(g)
    index = [slice(None)] * part.ndim
    index[axis] = slice(starts[k], starts[k + 1])
    return np.reshape(part[tuple(index)], shapes[k])


def index_join_unpiece(part: Any, kind: str, shapes: Any, k: int) -> np.ndarray:
    """The adjoint of :func:`index_join_piece`: ``part`` in piece ``k``'s
    place of the joined array, zeros elsewhere."""
    axis, joined, starts = _index_join_layout(kind, shapes)
    full = list(joined[k])
    full[axis] = starts[-1]
    out = np.zeros(full, dtype=np.result_type(part, 0.0))
    index = [slice(None)] * len(full)
    index[axis] = slice(starts[k], starts[k + 1])
    out[tuple(index)] = np.reshape(part, joined[k])
    return out


# ---------------------------------------------------------------------------
# Lists and tuples as runtime values. The adjoint of a list is a list of the
# adjoints of its items; 0.0 stands for "no adjoint" at any level.


def make_list(*items: Any) -> list:
    """``[a, b, ...]``."""
    return list(items)


def make_tuple(*items: Any) -> tuple:
    """``(a, b, ...)``."""
    return tuple(items)


def list_item(sequence: Any, index: Any, length: Any = None) -> Any:
    """``sequence[index]`` for a list or tuple; ``length`` is ``len(sequence)``
    when it was read, which the derivative needs (the list may grow later)."""
    return sequence[index]


def list_append(sequence: list, item: Any) -> list:
    """``sequence.append(item)``; returns the same list."""
    sequence.append(item)
    return sequence


def list_pop(sequence: list) -> list:
    """``sequence.pop()``, undoing an append; returns the same list."""
    sequence.pop()
    return sequence


def add_adjoints(a: Any, b: Any) -> Any:
    """The sum of two adjoints that may be lists (itemwise) or 0.0 (none)."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            # a list aliased by another (a tape entry holding a list that
            # has grown or shrunk since): a side made from the list at
            # another length is zeros (zero_adjoint, last_item_tangent),
            # which add nothing; when both are, the longer is kept, so an
            # item read from it later is a zero, not an IndexError
            a_zero, b_zero = _all_zero(a), _all_zero(b)
            if b_zero and (not a_zero or len(a) > len(b)):
                return list(a)
            if a_zero:
                return list(b)
            raise ADError(
                f"internal error: adjoints of one list with {len(a)} and "
                f"{len(b)} items"
            )
        return [add_adjoints(x, y) for x, y in zip(a, b)]
    if _is_zero(a):
        return b
    if _is_zero(b):
        return a
    return a + b


def _all_zero(x: Any) -> bool:
    """Whether an adjoint (a list of them, nested) is zero everywhere."""
    if isinstance(x, (list, tuple)):
        return all(_all_zero(item) for item in x)
    return not np.any(x)


def _is_zero(x: Any) -> bool:
    return isinstance(x, float) and x == 0.0 and not isinstance(x, np.generic)


def adjoint_item(g: Any, index: Any) -> Any:
    """Item ``index`` of the adjoint of a list (0.0 when there is none)."""
    if _is_zero(g):
        return 0.0
    return g[index]


def adjoint_without_last(g: Any) -> Any:
    """A list adjoint without its last item: the adjoint before an append.

    A NumPy function given a list sees it as an array stacked along axis 0,
    so the list's adjoint may be an array: its rows are the items'."""
    if isinstance(g, (list, tuple)):
        return list(g[:-1])
    if _is_zero(g):
        return 0.0
    if np.ndim(g) >= 1:
        return g[:-1]
    raise ADError(
        f"internal error: the adjoint of a list is a number ({g!r}), not a "
        "list or an array of its items"
    )


def unindex_list(g: Any, length: int, index: Any) -> list:
    """The adjoint of ``sequence[index]`` for a list or tuple of ``length`` items."""
    out: list = [0.0] * length
    out[index] = g
    return out


def shapes_of(arrays: Any) -> list:
    """The shape of each item."""
    return [np.shape(a) for a in arrays]


def split_pieces(g: Any, kind: str, shapes: list, axis: Any = 0) -> list:
    """The adjoint of ``np.<kind>(pieces)``: ``g`` cut back into its pieces."""
    return [
        np.reshape(g[piece_index(kind, shapes, axis, i)], shape)
        for i, shape in enumerate(shapes)
    ]


def join_pieces(pieces: Any, kind: str, shapes: list, axis: Any = 0) -> Any:
    """The adjoint of :func:`split_pieces`: the pieces put back together.

    ``pieces`` may be an array whose rows are the pieces (the adjoint of
    :func:`pieces_adjoint` for an array), or 0.0 (no adjoint)."""
    if isinstance(pieces, np.ndarray) and pieces.ndim >= 1:
        pieces = list(pieces)
    if not isinstance(pieces, (list, tuple)):
        pieces = [0.0] * len(shapes)
    full = [
        np.zeros(shape) if _is_zero(piece) else piece
        for piece, shape in zip(pieces, shapes)
    ]
    if kind == "vstack":
        return np.vstack(full)
    if kind == "hstack":
        return np.hstack(full)
    return getattr(np, kind)(full, axis=axis)


def pieces_adjoint(g: Any, kind: str, arrays: Any, axis: Any = 0) -> Any:
    """The adjoint of ``np.<kind>(arrays)`` for ``arrays`` known only at run time:
    a list of pieces for a list or tuple, an array for an array."""
    pieces = split_pieces(g, kind, shapes_of(arrays), axis)
    if isinstance(arrays, np.ndarray):
        return np.reshape(np.stack(pieces), np.shape(arrays))
    return pieces


def sum_items_adjoint(g: Any, items: Any) -> Any:
    """The adjoint of builtin ``sum(items)``: per item for a list, per row for an array."""
    if isinstance(items, (list, tuple)):
        return [unbroadcast(g, np.shape(item)) for item in items]
    return np.broadcast_to(g, np.shape(items))


# ---------------------------------------------------------------------------
# Arrays changed in place


def set_item(array: np.ndarray, index: Any, value: Any) -> np.ndarray:
    """``array[index] = value``; returns the same array."""
    array[index] = value
    return array


def written_items(g: Any, index: Any) -> Any:
    """``g[index]``: the adjoint of the values ``array[index] = values`` wrote.

    Refuses integer-array indices that repeat an element: which of the
    repeated writes NumPy keeps is not something a derivative should rest on.
    """
    if _is_advanced(index) and _repeats(index, np.shape(g)):
        raise ADError(
            "assignment through an index array that repeats an element "
            "(NumPy keeps one of the writes; its derivative is ill-defined)",
            hint="use unique indices, or np.add.at / a sum to combine the values",
        )
    if type(g) is not np.ndarray:
        # the adjoint of a 0-d array may be a Python or NumPy scalar
        g = np.asarray(g)
    return g[index]


def not_reading_what_it_writes(array: Any, index: Any, value: Any, where: str) -> None:
    """Raise if ``array[index] = value`` reads elements it has already written.

    NumPy copies an overlapping right side when the target has several
    dimensions or runs the other way, and copies like ``memmove`` when both
    step alike; otherwise it walks a one-dimensional target in an order of
    its own, and ``w[:, 2] = w[1, 0:4]`` reads ``w[1, 2]`` after writing it:
    the values written depend on the order of the writes, and the
    derivative, which assumes the right side as it was, would be wrong.
    Which case it is depends on the layout only, so the same assignment is
    run on a probe of the same layout holding distinct numbers. ``where``
    names the statement."""
    if not (isinstance(array, np.ndarray) and isinstance(value, np.ndarray)):
        return
    target = array[index]
    if (
        not isinstance(target, np.ndarray)
        or target.ndim != 1
        or not np.shares_memory(target, value)
    ):
        return
    try:
        source = np.broadcast_to(value, target.shape)
    except ValueError:
        return  # NumPy raises its own error
    written, read = target.strides[0], source.strides[0]
    if read == 0 or read == written or (read > 0) != (written > 0):
        return
    if _reads_as_it_was(array, index, value) is True:
        return
    raise ADError(
        f"{where}: the right side is a view of the array being assigned "
        "into, and NumPy reads elements of it that it has already overwritten "
        "(the result depends on the order of its writes)",
        hint="copy the right side first: `... = (...).copy()`",
    )


def _reads_as_it_was(array: np.ndarray, index: Any, value: np.ndarray) -> bool | None:
    """Whether ``array[index] = value`` writes the right side as it was
    before the assignment, found by doing it on a probe: a buffer laid out
    like the memory both share, each element a different integer. None when
    no probe can be laid out (the memory is not one contiguous array)."""
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    if root.base is not None or not (
        root.flags.c_contiguous or root.flags.f_contiguous
    ):
        return None
    itemsize = root.dtype.itemsize
    kinds = {2: np.uint16, 4: np.uint32, 8: np.uint64}
    if (
        array.dtype.itemsize != itemsize
        or value.dtype.itemsize != itemsize
        or itemsize not in kinds
        or root.size >= 2 ** min(8 * itemsize - 1, 62)
    ):
        return None
    probe = np.arange(root.size, dtype=kinds[itemsize])
    start = root.__array_interface__["data"][0]

    def laid_out(a: np.ndarray) -> np.ndarray:
        offset = a.__array_interface__["data"][0] - start
        return np.lib.stride_tricks.as_strided(
            probe[offset // itemsize :], a.shape, a.strides
        )

    target, source = laid_out(array), laid_out(value)
    before = np.broadcast_to(source, target[index].shape).copy()
    target[index] = source
    return bool(np.array_equal(target[index], before))


def _repeats(index: Any, shape: tuple) -> bool:
    flat = np.arange(int(np.prod(shape))).reshape(shape)[index]
    return np.unique(flat).size != np.size(flat)


def writes_floats(array: Any) -> float:
    """1.0 if ``array`` holds floats (real or complex), 0.0 if storing into
    it truncates."""
    return 1.0 if np.result_type(array).kind in "fc" else 0.0


def saved_items(array: np.ndarray, index: Any) -> Any:
    """A copy of ``array[index]``, taken before it is overwritten."""
    return np.copy(array[index])


def restore_items(array: np.ndarray, index: Any, old: Any) -> np.ndarray:
    """``array[index] = old``: undo a :func:`set_item` in the backward sweep."""
    array[index] = old
    return array


def restore_list(sequence: list, items: list) -> list:
    """``sequence[:] = items``: put back, in the backward sweep, the items a
    list had before a loop or branch that the gradient does not go through
    grew or shrank it (a copy taken before it ran)."""
    sequence[:] = items
    return sequence


def zero_at(g: Any, index: Any) -> Any:
    """A copy of ``g`` with zeros at ``index``: the adjoint of the array that
    ``array[index] = value`` overwrote."""
    out = np.array(g, dtype=np.result_type(g), copy=True)
    out[index] = 0
    return out


def zero_adjoint(x: Any) -> Any:
    """An adjoint of zeros shaped like ``x``: 0.0 for a number, zeros for an
    array, a list of zero adjoints for a list."""
    if isinstance(x, (list, tuple)):
        return [zero_adjoint(item) for item in x]
    if isinstance(x, np.ndarray) or isinstance(x, np.generic):
        return np.zeros_like(x, dtype=np.result_type(x, 0.0))
    return 0.0


def broadcast_to_shape(t: Any, shape: tuple) -> Any:
    """``t`` broadcast to ``shape`` (``t`` itself when it has that shape)."""
    if np.shape(t) == shape:
        return t
    return np.broadcast_to(t, shape)


def stop_gradient(x: Any) -> Any:
    """``x``, through which no derivative flows (a constant for ``grad``)."""
    return x


def share_ties(d: Any, g: Any, x: Any, y: Any) -> Any:
    """``d``, plus half of ``g`` where ``x == y``: ``np.maximum`` and
    ``np.minimum`` split the adjoint equally between tied arguments. ``d``
    itself when nothing ties (the usual case: ``np.maximum(z, 0.0)`` on real
    data), so the ReLU's adjoint costs what ``d_h * (z > 0)`` costs."""
    ties = x == y
    if ties is False or (ties is not True and not ties.any()):
        return d
    return d + (0.5 * g) * ties


def matmul_transposed(a: Any, b: Any) -> Any:
    """``a @ b.T`` (written so in generated code): the adjoint of the left
    matrix of a product, ``b`` the right one."""
    return a @ b.T


def transposed_matmul(a: Any, b: Any) -> Any:
    """``a.T @ b`` (written so in generated code): the adjoint of the right
    matrix of a product, ``a`` the left one."""
    return a.T @ b


def identity(x: Any) -> Any:
    """``x``: generated code's ``a = b`` (a second name for one value)."""
    return x


def last_item_tangent(t: Any, appended: list) -> list:
    """The tangent of a list just appended to, when only the new item has
    one: zeros for the items before it."""
    return [zero_adjoint(item) for item in appended[:-1]] + [t]


def as_columns(x: Any, b: Any) -> Any:
    """``x`` as a stack of matrices: one column added when ``b`` (the right
    side given to ``np.linalg.solve``) is a vector."""
    return x[..., None] if np.ndim(b) == 1 else x


def from_columns(y: Any, b: Any) -> Any:
    """Undo :func:`as_columns`."""
    return y[..., 0] if np.ndim(b) == 1 else y


def adjoint_with_last(g: Any) -> Any:
    """The adjoint of a list before a ``pop``: no adjoint for the popped item.

    Like :func:`adjoint_without_last`, it takes the adjoint of a list that a
    NumPy function saw as an array (its rows are the items')."""
    if isinstance(g, (list, tuple)):
        return list(g) + [0.0]
    if _is_zero(g):
        return 0.0
    if np.ndim(g) >= 1:
        zeros = np.zeros((1,) + np.shape(g)[1:], dtype=np.result_type(g, 0.0))
        return np.concatenate([g, zeros])
    raise ADError(
        f"internal error: the adjoint of a list is a number ({g!r}), not a "
        "list or an array of its items"
    )


def unindex_item(g: Any, sequence: Any, index: Any, length: Any = None) -> Any:
    """The adjoint of ``list_item(sequence, index, length)``: a list adjoint
    of ``length`` items (the list's length when it was read) with ``g`` at
    ``index``; for a sequence that is an array at run time (code generated
    for a list's adjoint, which a NumPy function made an array), an array of
    its shape (:func:`unindex`)."""
    if isinstance(sequence, (list, tuple)):
        return unindex_list(g, len(sequence) if length is None else length, index)
    return unindex(g, np.shape(sequence), index)


def unindex_like(g: Any, adjoint: Any, index: Any) -> Any:
    """The adjoint of ``adjoint_item(adjoint, index)``: ``g`` at ``index``
    of an adjoint like ``adjoint``, a list (:func:`unindex_list`), or an
    array when a NumPy function saw the list as one (:func:`unindex`); no
    adjoint (0.0) where ``adjoint`` was none."""
    if isinstance(adjoint, (list, tuple)):
        return unindex_list(g, len(adjoint), index)
    if _is_zero(adjoint):
        return 0.0
    return unindex(g, np.shape(adjoint), index)


def not_changed_in_place(value: Any, name: str, where: str = "") -> None:
    """Raise if ``value`` is an array: ``name += ...`` in a called function
    would then change the caller's array, which generated code does not do
    (``where``: the statement's file, line and text, for the message)."""
    if isinstance(value, np.ndarray):
        raise ADError(
            (f"{where}: " if where else "")
            + f"`{name} op= ...` on an array argument of a function called from "
            "differentiated code: Python would change the caller's array",
            hint=f"write `{name} = {name} + ...` (a new array) and return it",
        )


# ---------------------------------------------------------------------------
# Writes through views and aliases (see adcompiler.lower.memory)


def element_positions(a: Any) -> np.ndarray:
    """The flat position of each element of ``a``, in ``a``'s shape: applying
    a view function to it tells which elements of ``a`` the view shows."""
    return np.arange(np.size(a)).reshape(np.shape(a))


def is_view_of(child: Any, parent: Any) -> bool:
    """Whether ``child`` is an array in ``parent``'s memory, so that writing
    into ``child`` changes ``parent``."""
    return (
        isinstance(child, _ARRAY)
        and isinstance(parent, _ARRAY)
        and np.may_share_memory(child, parent)
    )


def write_through(parent: Any, shared: bool, positions: Any, value: Any) -> Any:
    """A copy of ``parent`` whose elements at ``positions`` (flat positions,
    in the shape of a view of ``parent``) hold ``value``, when ``shared``
    (the view was in ``parent``'s memory); else a copy of ``parent``.

    What ``parent`` holds after ``view[...] = ...`` or ``view += ...``
    changed the view ``positions`` describes. Raises when a view repeats an
    element (``np.broadcast_to``): NumPy refuses to write into one.
    """
    out = np.array(parent, copy=True) if isinstance(parent, _ARRAY) else parent
    if not shared:
        return out
    places = np.asarray(positions).astype(np.intp).reshape(-1)
    if np.unique(places).size != places.size:
        raise ADError(
            "writing into a view that shows an element of its array several "
            "times (np.broadcast_to)",
            hint="copy the view first: `v = v.copy()`",
        )
    # flat positions count in C order, whatever the layout of `out`
    out.flat[places] = np.broadcast_to(value, np.shape(positions)).reshape(-1)
    return out


def written_part(g: Any, shared: bool, positions: Any) -> Any:
    """The elements of ``g`` at ``positions`` (in their shape) when
    ``shared``, else zeros: the adjoint of the value :func:`write_through`
    wrote."""
    if not shared:
        return np.zeros(np.shape(positions), dtype=np.result_type(g, 0.0))
    places = np.asarray(positions).astype(np.intp)
    return np.reshape(g, -1)[places]


def after_write(seen: Any, kept: Any, shared: bool) -> Any:
    """What a value holds after a write that may have reached it: ``seen``
    (the new contents of the memory it shares) when ``shared``, else
    ``kept`` (its own value: it was a copy, or a number, which ``+=``
    rebinds rather than changes)."""
    return seen if shared else kept


def part_if(g: Any, flag: bool) -> Any:
    """``g`` when ``flag``, else zeros like ``g`` (adjoint of :func:`after_write`'s ``seen``)."""
    return g if flag else zero_adjoint(g)


def part_unless(g: Any, flag: bool) -> Any:
    """``g`` unless ``flag``, else zeros like ``g`` (adjoint of :func:`after_write`'s ``kept``)."""
    return zero_adjoint(g) if flag else g


def not_an_array(value: Any, what: str) -> None:
    """Raise if ``value`` is an array: ``what`` (a message naming the
    statements) then has a meaning generated code does not follow."""
    if isinstance(value, np.ndarray):
        raise ADError(what, hint="append a copy (`.copy()`), or a new array")
