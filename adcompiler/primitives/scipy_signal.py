"""Records of ``scipy.signal``'s convolutions: ``convolve``, ``correlate``
(n-dimensional, every ``mode`` and ``method``), ``convolve2d`` and
``correlate2d`` (every ``mode``, ``boundary='fill'``).

Registered on demand (:mod:`.scipy_hook`): importing this module imports
SciPy. Each function is bilinear in its two arrays: its result is a window
of the full convolution of ``in1`` with ``in2`` (``in2`` flipped on every
axis for a correlation), where the window is the whole of it (``full``),
``in1``'s shape centred in it (``same``) or the part where one array covers
the other (``valid``). So the tangent in each array is the same function of
that array's tangent, and the adjoints are the full-size adjoint (``g``
put back in its window, zeros elsewhere: ``unindex``) correlated with the
other array, in ``valid`` mode. The rules call these records and NumPy's
only, so they are differentiated again to any order.

``convolve2d`` and ``correlate2d`` pad ``in1`` with ``fillvalue`` outside
its bounds: for ``full`` and ``same``, ``convolve2d(a, v, fillvalue=f)`` is
the window of the convolution of ``a - f`` with ``v``, plus ``f sum(v)``;
``valid`` never reads the padding. ``fillvalue`` is differentiable too.
``correlate2d`` centres ``same`` one entry later than ``correlate`` does
for an even-sized ``in2`` (SciPy's convention, kept). The other
boundaries (``wrap``, ``symm``) have no rule: a gradient through one raises
:class:`NoRuleError`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.signal

from ..errors import NoRuleError
from .registry import Primitive, define, nondifferentiable
from .runtime_helpers import unindex
from .symbolic import call

SIGNAL = scipy.signal


def full_shape(shape1: tuple, shape2: tuple) -> tuple:
    """The shape of the full convolution of arrays of ``shape1`` and ``shape2``."""
    return tuple(int(m) + int(n) - 1 for m, n in zip(shape1, shape2))


def window(shape1: tuple, shape2: tuple, mode: str, late: bool = False) -> tuple:
    """The index, in the full convolution, of the result in ``mode``;
    ``late``: ``same`` centred as ``correlate2d`` centres it."""
    if mode == "full":
        return (Ellipsis,)
    index = []
    for m, n in zip(shape1, shape2):
        m, n = int(m), int(n)
        if mode == "same":
            start, length = (n // 2 if late else (n - 1) // 2), m
        else:  # valid: where one covers the other
            start, length = min(m, n) - 1, abs(m - n) + 1
        index.append(slice(start, start + length))
    return tuple(index)


nondifferentiable(full_shape, hint="shape")
nondifferentiable(window, hint="window")


def _modes(name: str, mode: str) -> None:
    if mode not in ("full", "same", "valid"):
        raise NoRuleError(
            f"scipy.signal.{name}: unknown mode={mode!r}",
            hint="mode is 'full', 'same' or 'valid'",
        )


def _full(g: Any, in1: Any, in2: Any, mode: str, late: bool = False) -> Any:
    """The adjoint of the full convolution: ``g`` in its window, zeros elsewhere."""
    if mode == "full":
        return g
    shape1, shape2 = np.shape(in1), np.shape(in2)
    index = call(window, shape1, shape2, mode, late)
    return unindex(g, call(full_shape, shape1, shape2), index)


def _signal(name: str, *reverse: Any, **options: Any) -> Primitive:
    """Register ``scipy.signal.<name>``; the primitive, to call in rules."""
    return define(
        getattr(SIGNAL, name),
        *reverse,
        name=f"scipy.signal.{name}",
        render=("call", SIGNAL, (name,)),
        hint=name,
        **options,
    )


# ---------------------------------------------------------------------------
# convolve, correlate (n-d)


def _convolve_in1(g, ans, in1, in2, mode="full", method="auto"):
    _modes("convolve", mode)
    return correlate(_full(g, in1, in2, mode), in2, mode="valid", method=method)


def _convolve_in2(g, ans, in1, in2, mode="full", method="auto"):
    _modes("convolve", mode)
    return correlate(_full(g, in1, in2, mode), in1, mode="valid", method=method)


def _correlate_in1(g, ans, in1, in2, mode="full", method="auto"):
    # correlate(a, v) is convolve(a, flip(v)): correlating with flip(v) is
    # convolving with v
    _modes("correlate", mode)
    return convolve(_full(g, in1, in2, mode), in2, mode="valid", method=method)


def _correlate_in2(g, ans, in1, in2, mode="full", method="auto"):
    _modes("correlate", mode)
    full = _full(g, in1, in2, mode)
    return np.flip(correlate(full, in1, mode="valid", method=method))


convolve = _signal(
    "convolve",
    _convolve_in1,
    _convolve_in2,
    tangent=(
        lambda t, ans, in1, in2, mode="full", method="auto": convolve(
            t, in2, mode=mode, method=method
        ),
        lambda t, ans, in1, in2, mode="full", method="auto": convolve(
            in1, t, mode=mode, method=method
        ),
    ),
    static=("mode", "method"),
)
correlate = _signal(
    "correlate",
    _correlate_in1,
    _correlate_in2,
    tangent=(
        lambda t, ans, in1, in2, mode="full", method="auto": correlate(
            t, in2, mode=mode, method=method
        ),
        lambda t, ans, in1, in2, mode="full", method="auto": correlate(
            in1, t, mode=mode, method=method
        ),
    ),
    static=("mode", "method"),
)

# ---------------------------------------------------------------------------
# convolve2d, correlate2d: in1 padded with fillvalue
#
# out = window(conv(in1 - f, w)) + f sum(w) for full and same (w = in2, or
# in2 flipped for a correlation); window(conv(in1, w)) for valid


def _boundary(name: str, mode: str, boundary: str) -> None:
    _modes(name, mode)
    if boundary not in ("fill", "pad"):
        raise NoRuleError(
            f"scipy.signal.{name}(..., boundary={boundary!r}) has no derivative "
            "rule (only boundary='fill' has one)",
            hint="pad the array yourself (np.pad with mode='wrap' or "
            "'symmetric') and use mode='valid' with boundary='fill'",
        )


def _filled(in1: Any, mode: str, fillvalue: Any) -> Any:
    """``in1`` as the convolution with ``fillvalue``'s padding sees it
    (the constant part, ``f sum(w)``, apart)."""
    if mode == "valid" or (isinstance(fillvalue, (int, float)) and fillvalue == 0):
        return in1
    return in1 - fillvalue


def _plus_fill(d: Any, g: Any, mode: str, fillvalue: Any) -> Any:
    """``d`` plus the adjoint of ``w`` in ``f sum(w)``."""
    if mode == "valid" or (isinstance(fillvalue, (int, float)) and fillvalue == 0):
        return d
    return d + fillvalue * np.sum(g)


def _rules_2d(name: str, flipped: bool) -> Primitive:
    """Register ``convolve2d`` (``correlate2d`` when ``flipped``) with its
    rules for in1, in2 and fillvalue; the primitive."""
    late = flipped  # correlate2d's 'same'

    def of_in1(g, ans, in1, in2, mode="full", boundary="fill", fillvalue=0):
        _boundary(name, mode, boundary)
        full = _full(g, in1, in2, mode, late)
        if flipped:
            return convolve(full, in2, mode="valid")
        return correlate(full, in2, mode="valid")

    def of_in2(g, ans, in1, in2, mode="full", boundary="fill", fillvalue=0):
        _boundary(name, mode, boundary)
        full = _full(g, in1, in2, mode, late)
        d = correlate(full, _filled(in1, mode, fillvalue), mode="valid")
        return _plus_fill(np.flip(d) if flipped else d, g, mode, fillvalue)

    def of_fill(g, ans, in1, in2, mode="full", boundary="fill", fillvalue=0):
        # d out / d f = sum(w) - window(conv(ones, w))
        _boundary(name, mode, boundary)
        if mode == "valid":
            return None
        covered = fn(np.ones_like(in1), in2, mode=mode)
        return np.sum(g) * np.sum(in2) - np.sum(g * covered)

    def in1_tangent(t, ans, in1, in2, mode="full", boundary="fill", fillvalue=0):
        return fn(t, in2, mode=mode, boundary=boundary)

    def in2_tangent(t, ans, in1, in2, mode="full", boundary="fill", fillvalue=0):
        return fn(in1, t, mode=mode, boundary=boundary, fillvalue=fillvalue)

    def fill_tangent(t, ans, in1, in2, mode="full", boundary="fill", fillvalue=0):
        _boundary(name, mode, boundary)
        if mode == "valid":
            return None
        covered = fn(np.ones_like(in1), in2, mode=mode)
        return t * (np.sum(in2) - covered)

    fn = _signal(
        name,
        of_in1,
        of_in2,
        None,
        None,
        of_fill,
        tangent=(in1_tangent, in2_tangent, None, None, fill_tangent),
        static=("mode", "boundary"),
    )
    return fn


convolve2d = _rules_2d("convolve2d", False)
correlate2d = _rules_2d("correlate2d", True)
