"""One sample call per differentiable record, for tests/test_every_rule_order2.py.

``SAMPLES`` maps a record's key (:func:`record_key`: its name, ``operator.``
before the operators') to a :class:`Sample`: a function ``body`` and the
arguments it is called with. Every argument is differentiated (floats and
float arrays); whatever must stay constant (shapes, axes, index arrays,
strings) is written inside ``body``. The test differentiates
``sum(sin(body(*args)) * C)`` to second order, so ``body`` must return a
float array or a float, computed smoothly at ``args`` (no ties, kinks or
values outside the domain).

Adding a record: add one entry, ``"np.fft.fft": S(lambda x: np.real(np.fft.fft(x)), V)``,
here or, for a family loaded on demand, in a function that returns its
entries (see :func:`scipy_samples`) called from :func:`all_samples`.

A helper that only generated code calls can name the record whose
generated code (first or second order) calls it: ``via("np.diag")``; the
test then checks that it is reached there, and the numbers are checked by
that record's own sample. Prefer a direct call where the helper is easy to
call by hand.

A record whose reverse over reverse is refused by design (the ODE
integrations: their adjoint integration has a tangent rule only) says so
with ``no_reverse_over_reverse``, the text the error must match: the test
then checks the gradient and forward over reverse, and that reverse over
reverse raises :class:`~adcompiler.NonDifferentiableError` saying so.

Complex records have real-valued bodies through complex intermediates
(``_parts(np.fft.fft(x))``, ``np.abs(np.exp(1j * x) * y)``); the
decompositions' losses do not see the signs NumPy chooses for eigen- and
singular vectors (``v * v``, ``u * u * s``).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from adcompiler import runtime
from adcompiler.primitives import array_helpers as helpers
from adcompiler.primitives import decompositions as dec
from adcompiler.primitives import fft, norms
from adcompiler.primitives.record import Primitive

try:  # the vector fields' integrations (read when SciPy imports)
    import scipy.integrate as scipy_integrate
except ImportError:  # pragma: no cover
    scipy_integrate = None

_RNG = np.random.default_rng(20261203)


def _positive(*shape: int, low: float = 0.2, high: float = 0.9) -> np.ndarray:
    return _RNG.uniform(low, high, size=shape)


def _normal(*shape: int) -> np.ndarray:
    return _RNG.normal(size=shape)


# the standard arguments: entries in (0.2, 0.9) (inside every domain used
# below), well apart (no ties), matrices well conditioned
V = _positive(4)
W = _positive(4)
M = _positive(3, 4)
N = _positive(3, 4)
MT = _positive(4, 3)
B = _positive(2, 3, 4)
SQ = np.eye(3) * 1.5 + 0.2 * _normal(3, 3)
SQ4 = np.eye(4) + 0.3 * _normal(4, 4)
SQB = np.stack([SQ, SQ.T + 0.3 * np.eye(3)])
#: symmetric positive definite, eigenvalues well apart
SPD = SQ @ SQ.T + np.diag([0.3, 0.9, 1.6])
#: not symmetric, with real eigenvalues well apart
EIG = SQ @ np.diag([0.5, 1.2, 2.0]) @ np.linalg.inv(SQ)
X = 0.6  # a Python float
Y = 0.35


@dataclass
class Sample:
    """``body(*args)``, every argument differentiated; or, with ``via``, a
    helper reached from the generated code of another record's sample."""

    body: Callable[..., Any] | None
    args: tuple = ()
    via: str | None = None
    rtol: float = 1e-4
    atol: float = 1e-6
    #: the step of the central differences (of the loss, and of its
    #: gradient along a direction)
    eps: float = 1e-5
    #: reverse over reverse is refused: the error it raises matches this
    #: (the reason it is refused, kept with the sample); the gradient and
    #: forward over reverse are checked as for any sample
    no_reverse_over_reverse: str | None = None


def S(
    body: Callable[..., Any],
    *args: Any,
    rtol: float = 1e-4,
    atol: float = 1e-6,
    eps: float = 1e-5,
    no_reverse_over_reverse: str | None = None,
) -> Sample:
    """A sample: ``body(*args)``, differentiated in every argument."""
    return Sample(
        body,
        args,
        rtol=rtol,
        atol=atol,
        eps=eps,
        no_reverse_over_reverse=no_reverse_over_reverse,
    )


def via(key: str) -> Sample:
    """A helper reached from the generated code of record ``key``'s sample."""
    return Sample(None, (), via=key)


def record_key(prim: Primitive) -> str:
    """The key of a record in :data:`SAMPLES`: its name (``np.sin``,
    ``math.exp``, ``einsum_adjoint``), ``operator.<name>`` for the
    operators (``operator.add``; ``pow`` is then the builtin)."""
    if getattr(prim.fn, "__module__", None) == "_operator":
        return f"operator.{prim.name}"
    return prim.name


def _unary(names: str, x: Any, module: Any = np, prefix: str = "np") -> dict:
    return {f"{prefix}.{n}": S(getattr(module, n), x) for n in names.split()}


def _binary(names: str, x: Any, y: Any) -> dict:
    return {f"np.{n}": S(getattr(np, n), x, y) for n in names.split()}


def _pair(a: Any, b: Any) -> list:
    return [a, b]


NUMPY: dict[str, Sample] = {
    # elementwise, one argument (broadcasting shapes below)
    **_unary(
        "negative positive exp exp2 expm1 log log2 log10 log1p sqrt cbrt square "
        "reciprocal absolute fabs sin cos tan arcsin arccos arctan sinh cosh tanh "
        "arcsinh arctanh deg2rad radians rad2deg degrees sinc float64",
        M,
    ),
    "np.arccosh": S(np.arccosh, M + 1.0),
    # float32 rounds: differences need a long step
    "np.float32": S(lambda x: np.float64(np.float32(x)), X, rtol=1e-2, eps=1e-2),
    # elementwise, two arguments: a matrix and a row broadcast over it
    **_binary(
        "add subtract multiply divide power maximum minimum fmax fmin arctan2 "
        "hypot logaddexp logaddexp2",
        M,
        V + 0.05,
    ),
    "np.remainder": S(np.remainder, M + 1.0, V + 0.05),
    "np.fmod": S(np.fmod, M + 1.0, V + 0.05),
    "np.where": S(lambda x, y: np.where(np.arange(4) % 2 == 0, x, y), M, V),
    "np.clip": S(lambda a, lo, hi: np.clip(a, lo, hi), M, 0.3, 0.8),
    # reductions, over every axis, one axis, with keepdims
    "np.sum": S(lambda a: np.sum(a * a, axis=1, keepdims=True), M),
    "np.mean": S(lambda a: np.mean(a * a, axis=0), M),
    "np.prod": S(lambda a: np.prod(a, axis=(0, 2)), B),
    "np.max": S(lambda a: np.max(a, axis=1), M),
    "np.amax": S(lambda a: np.amax(a), M),
    "np.min": S(lambda a: np.min(a, axis=0, keepdims=True), M),
    "np.amin": S(lambda a: np.amin(a, axis=-1), B),
    "np.var": S(lambda a: np.var(a, axis=1, ddof=1), M),
    "np.std": S(lambda a: np.std(a), M),
    "np.cumsum": S(lambda a: np.cumsum(a * a, axis=1), M),
    "np.cumprod": S(lambda a: np.cumprod(a, axis=0), M),
    # shapes
    "np.reshape": S(lambda a: np.reshape(a, (4, 3)), M),
    "np.ravel": S(np.ravel, M),
    "np.squeeze": S(lambda a: np.squeeze(a[None], axis=0), M),
    "np.expand_dims": S(lambda a: np.expand_dims(a, 1), M),
    "np.atleast_1d": S(np.atleast_1d, X),
    "np.atleast_2d": S(np.atleast_2d, V),
    "np.atleast_3d": S(np.atleast_3d, M),
    "np.transpose": S(lambda a: np.transpose(a, (2, 0, 1)), B),
    "np.swapaxes": S(lambda a: np.swapaxes(a, 0, 2), B),
    "np.moveaxis": S(lambda a: np.moveaxis(a, 0, -1), B),
    "np.flip": S(lambda a: np.flip(a, axis=1), M),
    "np.broadcast_to": S(lambda a: np.broadcast_to(a, (3, 4)), V),
    "np.tile": S(lambda a: np.tile(a, (2, 1)), M),
    "np.repeat": S(lambda a: np.repeat(a, 2, axis=1), M),
    "np.concatenate": S(lambda a, b: np.concatenate([a, b], axis=1), M, N),
    "np.stack": S(lambda a, b: np.stack([a, b], axis=-1), M, N),
    "np.hstack": S(lambda a, b: np.hstack([a, b]), V, W),
    "np.vstack": S(lambda a, b: np.vstack([a, b]), V, M),
    "np.column_stack": S(lambda a, b: np.column_stack([a, b]), V, W),
    "np.row_stack": S(lambda a, b: np.row_stack([a, b]), V, W),
    "np.dstack": S(lambda a, b: np.dstack([a, b]), M, N),
    "np.append": S(lambda a, b: np.append(a, b, axis=0), M, N),
    "np.split": S(lambda a: np.split(a, 2, axis=1)[1], M),
    "np.array_split": S(lambda a: np.array_split(a, 3)[0], V),
    "np.hsplit": S(lambda a: np.hsplit(a, 2)[0] * np.hsplit(a, 2)[1], M),
    "np.vsplit": S(lambda a: np.vsplit(a, 3)[2], M),
    "np.dsplit": S(lambda a: np.dsplit(a, 2)[1], B),
    "np.roll": S(lambda a: np.roll(a, 1, axis=1), M),
    "np.tril": S(lambda a: np.tril(a, -1), M),
    "np.triu": S(lambda a: np.triu(a, 1), B),
    "np.flipud": S(np.flipud, M),
    "np.fliplr": S(np.fliplr, M),
    "np.rot90": S(lambda a: np.rot90(a, 3), M),
    "np.diagonal": S(lambda a: np.diagonal(a, 1, 1, 2), B),
    "np.diag": S(lambda a: np.diag(a) + np.diag(a[:3, :3] @ a[:3, :3], 1)[:, None], M),
    "np.rollaxis": S(lambda a: np.rollaxis(a, 2), B),
    "np.pad": S(lambda a: np.pad(a, ((1, 0), (0, 2)), mode="reflect"), M),
    "np.select": S(lambda a, b: np.select([a > 0.5, a < 0.3], [a * b, b], 0.25), M, N),
    "np.meshgrid": S(
        lambda a, b: np.meshgrid(a, b)[0] * np.meshgrid(a, b)[1], V, W[:3]
    ),
    "np.kron": S(np.kron, M[:2, :2], N[:2, :3]),
    "np.cross": S(np.cross, M[:, :3], N[:, :3]),
    "np.convolve": S(lambda a, v: np.convolve(a, v, mode="same"), V, W[:3]),
    "np.correlate": S(lambda a, v: np.correlate(a, v, mode="full"), V, W[:3]),
    "np.polyval": S(np.polyval, V, M),
    "np.diff": S(lambda a: np.diff(a, n=2, axis=1), M),
    "np.gradient": S(lambda a: np.gradient(a, axis=1), M),
    "np.trapezoid": S(lambda y, x: np.trapezoid(y, x), M, np.cumsum(V)),
    "np.take_along_axis": S(
        lambda a: np.take_along_axis(a, np.argsort(N, axis=1), axis=1), M
    ),
    "np.sort": S(lambda a: np.sort(a, axis=0), M),
    "np.partition": S(lambda a: np.partition(a, 1, axis=1), M),
    "np.nan_to_num": S(np.nan_to_num, M),
    "np.interp": S(lambda x, fp: np.interp(x, np.cumsum(W), fp), V + 0.5, V * V),
    "np.einsum": S(lambda a, b: np.einsum("bij,kj->bik", a, b), B, M),
    "np.linalg.norm": S(lambda a: np.linalg.norm(a, ord="nuc"), M),
    # arrays made from values
    "np.copy": S(np.copy, M),
    "np.asarray": S(np.asarray, M),
    "np.asanyarray": S(np.asanyarray, M),
    "np.ascontiguousarray": S(np.ascontiguousarray, M.T),
    "np.asfortranarray": S(np.asfortranarray, M),
    "np.array": S(lambda a, b: np.array([a, b * b]), X, Y),
    "np.full": S(lambda v: np.full((2, 3), v), X),
    "np.full_like": S(lambda a, v: a * np.full_like(a, v), M, X),
    "np.linspace": S(lambda a, b: np.linspace(a, b, 5), V, W),
    # products
    "np.dot": S(np.dot, M, MT),
    "np.inner": S(np.inner, M, N),
    "np.matmul": S(np.matmul, B, MT),
    "np.tensordot": S(
        lambda a, b: np.tensordot(a, b, axes=([0, 2], [1, 0])), B, MT[:, :2]
    ),
    "np.outer": S(np.outer, V, W),
    "np.trace": S(lambda a: np.trace(a, 1, 1, 2), B),
    "np.linalg.inv": S(np.linalg.inv, SQB),
    "np.linalg.solve": S(np.linalg.solve, SQ, M[:, :2]),
    "np.linalg.det": S(np.linalg.det, SQB),
    # array methods and attributes
    "flatten": S(lambda a: a.flatten(), M),
    "view": S(lambda a: a.view(), M),
    "astype": S(lambda a: a.astype(np.float64), M),
    "copy": S(lambda a: a.copy(), M),
    # operators (arrays, and Python floats)
    "operator.neg": S(operator.neg, M),
    "operator.pos": S(operator.pos, M),
    "operator.add": S(operator.add, M, V),
    "operator.sub": S(operator.sub, V, M),
    "operator.mul": S(operator.mul, M, X),
    "operator.truediv": S(operator.truediv, X, M),
    "operator.mod": S(operator.mod, M + 1.0, V + 0.05),
    "operator.pow": S(operator.pow, M, V),
    "operator.matmul": S(operator.matmul, M, MT),
    "operator.getitem": S(lambda a: a[1:, ::2] * a[0, 1], M),
    # math and builtins
    **_unary(
        "sin cos tan asin acos atan exp expm1 log1p log2 log10 sqrt sinh cosh "
        "tanh fabs",
        X,
        math,
        "math",
    ),
    "math.log": S(lambda x, b: math.log(x) + math.log(x, b + 1.0), X, Y),
    "math.atan2": S(math.atan2, X, Y),
    "math.hypot": S(math.hypot, X, Y),
    "math.pow": S(math.pow, X, Y),
    "math.fmod": S(math.fmod, X + 1.0, Y),
    "abs": S(abs, M - 0.5),
    "float": S(lambda x: float(x * x), X),
    "max": S(lambda x, y: max(x, y * y), X, Y),
    "min": S(lambda x, y: min(x, y, x * y), X, Y),
    "sum": S(lambda a, b: sum([a, b * b]), M, N),
    "pow": S(pow, X, Y),
    "list": S(lambda a, b: np.stack(list([a, b])), V, W),
}


def _items(a: Any, b: Any) -> Any:
    return [a, b * b]


def _appended(a: Any, b: Any) -> Any:
    items = [a]
    items.append(b * a)
    return items[1] + items[0]


def _popped(a: Any, b: Any) -> Any:
    items = [a, b * b, a * b]
    items.pop()
    return items[1] * items[0]


#: runtime helpers (adcompiler/runtime.py) and the helpers of the records'
#: modules (primitives/array_helpers.py, norms.py, scipy_special.py)
HELPERS: dict[str, Sample] = {
    "identity": S(runtime.identity, M),
    "share_ties": S(lambda d, g: runtime.share_ties(d, g, M, np.round(M, 1)), M, N),
    "matmul_transposed": S(runtime.matmul_transposed, M, N),
    "transposed_matmul": S(runtime.transposed_matmul, M, N),
    "prod_others": S(lambda a: runtime.prod_others(a, 1), M),
    "cofactor": S(runtime.cofactor, SQB),
    "cofactor_tangent": S(runtime.cofactor_tangent, SQB, np.flip(SQB, 0)),
    "cofactor_derivative": S(runtime.cofactor_derivative, SQ4, SQ4.T, _normal(4, 4)),
    "einsum_adjoint": S(
        lambda g, b: runtime.einsum_adjoint("ij,jk->ik", 0, (3, 4), g, None, b),
        M[:, :3],
        MT[:, :3],
    ),
    "einsum_of": S(lambda a, b: runtime.einsum_of("ij,kj->ik", a, b), M, N),
    "unbroadcast": S(lambda g: runtime.unbroadcast(g, (1, 4)), M),
    "broadcast_to_shape": S(lambda t: runtime.broadcast_to_shape(t, (3, 4)), V),
    "fit_gradient": S(lambda g: runtime.fit_gradient(g, M), M),
    "unindex": S(lambda g: runtime.unindex(g, (3, 4), (slice(1, None), 2)), V[:2]),
    "untile": S(lambda g: runtime.untile(g, (3, 2), (2, 2)), _positive(6, 4)),
    "unrepeat": S(lambda g: runtime.unrepeat(g, (3, 2), 2, 1), M),
    "split_pieces": S(
        lambda g: runtime.adjoint_item(
            runtime.split_pieces(g, "concatenate", [(3, 1), (3, 3)], 1), 1
        ),
        M,
    ),
    "join_pieces": S(
        lambda a, b: runtime.join_pieces([a, b], "stack", [(3, 4), (3, 4)], 0), M, N
    ),
    "pieces_adjoint": S(
        lambda g: runtime.pieces_adjoint(g, "stack", np.zeros((2, 3)), 1), M[:, :2]
    ),
    "adjoint_item": S(lambda a, b: runtime.adjoint_item(_items(a, b), 1), M, N),
    "unindex_item": S(
        lambda g: runtime.adjoint_item(runtime.unindex_item(g, [M, N], 1), 1), M
    ),
    "unindex_like": S(
        lambda g: runtime.adjoint_item(runtime.unindex_like(g, [M, N], 0), 0), M
    ),
    "unindex_list": S(
        lambda g: runtime.adjoint_item(runtime.unindex_list(g, 3, 2), 2), M
    ),
    "add_adjoints": S(
        lambda a, b: runtime.adjoint_item(runtime.add_adjoints([a, b], [b, a]), 0),
        M,
        N,
    ),
    "sum_items_adjoint": S(
        lambda g: runtime.adjoint_item(runtime.sum_items_adjoint(g, [M, N]), 1), M
    ),
    "make_list": S(lambda a, b: runtime.make_list(a, b * b)[1], M, N),
    "make_tuple": S(lambda a, b: runtime.make_tuple(a * b, b)[0], M, N),
    "list_item": S(lambda a, b: runtime.list_item([a, b], 1, 2), M, N),
    "list_append": S(_appended, M, N),
    "list_pop": S(_popped, M, N),
    "adjoint_without_last": S(
        lambda a, b: runtime.adjoint_without_last([a, b])[0], M, N
    ),
    "adjoint_with_last": S(lambda a, b: runtime.adjoint_with_last([a, b])[1], M, N),
    "zero_at": S(lambda g: runtime.zero_at(g, (0, slice(1, 3))), M),
    "set_item": S(lambda a, v: runtime.set_item(a * 1.0, (1, 2), v * v), M, X),
    "saved_items": S(lambda a: runtime.saved_items(a, (slice(0, 2), 1)), M),
    "written_items": S(lambda g: runtime.written_items(g, (1, slice(None))), M),
    "as_columns": S(lambda x: runtime.as_columns(x, V[:3]), V[:3]),
    "from_columns": S(lambda y: runtime.from_columns(y, V[:3]), M[:, :1]),
    "index_join": S(lambda a, b: runtime.index_join("r_", a, b), V, W),
    "part_if": S(lambda g: runtime.part_if(g, True), M),
    "part_unless": S(lambda g: runtime.part_unless(g, False), M),
    "add_into": S(lambda a, c: runtime.add_into(a * 1.0, c), M, N),
    "subtract_into": S(lambda a, c: runtime.subtract_into(a * 1.0, c), M, N),
    "add_at": S(
        lambda a, p: runtime.add_at(a * 1.0, p, (3, 4), (1, slice(1, 3))), M, V[:2]
    ),
    "assemble": S(
        lambda p, q: runtime.assemble((3, 4), ((0,), p), ((slice(1, 3),), q)),
        V,
        M[:2],
    ),
    "concatenate_tiles": S(
        lambda p, q: runtime.concatenate_tiles((3, 4), 1, (1,), p, q),
        M[:, :1],
        M[:, 1:],
    ),
    "undiagonal": S(lambda g: helpers.undiagonal(g, (3, 4), 1), V[:3]),
    "diag_adjoint": S(lambda g: helpers.diag_adjoint(g, (3,), 0), SQ),
    "rollaxis_back": S(lambda g: helpers.rollaxis_back(g, 3, 2, 0), B),
    "stack_split": S(
        lambda g: helpers.stack_split(g, "column_stack", [(3,), (3, 2)])[1], M[:, :3]
    ),
    "stack_join": S(
        lambda a, b: helpers.stack_join([a, b], "column_stack", [(3,), (3, 2)]),
        V[:3],
        M[:, :2],
    ),
    "unpad": S(lambda g: helpers.unpad(g, (2, 3), ((1, 0), (0, 1)), "reflect"), M),
    "repad": S(lambda g: helpers.repad(g, ((1, 0), (0, 1)), "edge"), M),
    "selected": S(lambda g: helpers.selected(g, [M > 0.5, M < 0.3], 1), M),
    "kron_adjoint": S(
        lambda g, b: helpers.kron_adjoint(g, b, (2, 2), 0), _positive(6, 4), N[:, :2]
    ),
    "along_axis": S(lambda m, x: helpers.along_axis(m, x, 1), SQ, B[:, :, :3]),
    "edge_sums": S(helpers.edge_sums, M),
    "spacings": S(lambda x, y: helpers.spacings(x, y, -1), np.cumsum(V), M),
    "unspacings": S(
        lambda g, y: helpers.unspacings(g, np.cumsum(V), y, -1), M[:, :3], M
    ),
    "sinc_derivative": S(lambda x: helpers.sinc_derivative(x, 1), M),
    "put_along": via("np.take_along_axis"),
    "gradient_adjoint": via("np.gradient"),
    "interp_weights": via("np.interp"),
    "index_join_piece": via("index_join"),
    "index_join_unpiece": via("index_join"),
    "last_item_tangent": S(lambda t: runtime.last_item_tangent(t, [M, N])[1], M),
    "write_through": S(
        lambda p, v: runtime.write_through(p, True, np.array([1, 6, 11]), v),
        M,
        V[:3],
    ),
    "written_part": S(
        lambda g: runtime.written_part(g, True, np.array([[1, 5], [9, 2]])), M
    ),
    "after_write": S(lambda s, k: runtime.after_write(s, k, True), M, N),
    "singular_directions": via("np.linalg.norm"),
}


def _parts(z: Any) -> Any:
    """A real array from a complex one, reading both parts."""
    return np.real(z) + 2.0 * np.imag(z)


def _unit(x: Any) -> Any:
    """``exp(i x)``: complex intermediates from real arguments."""
    return np.exp(1j * x)


#: complex numbers: real-valued bodies through complex intermediates
COMPLEX: dict[str, Sample] = {
    "np.real": S(lambda x, y: np.real(_unit(x) * y), M, N),
    "np.imag": S(lambda x, y: np.imag(_unit(x) * y) + x.imag, M, N),
    "np.conjugate": S(
        lambda x, y: _parts(np.conjugate(_unit(x)) * (y + 1j * x) + np.conj(y)), M, N
    ),
    "np.angle": S(
        lambda x, y: np.angle(x - 0.5 + 1j * (y + 0.5))
        + np.angle(_unit(x) * y, deg=True),
        M,
        N,
    ),
    "np.real_if_close": S(
        lambda x, y: np.real_if_close(_unit(x) * _unit(-x) * y)
        + np.abs(np.real_if_close(_unit(x) * y)),
        M,
        N,
    ),
    "np.vdot": S(
        lambda x, y: _parts(np.vdot(_unit(x), y + 1j * x)) + np.vdot(x, y), M, N
    ),
    "complex": S(lambda x, y: _parts(complex(x, y) * complex(y) ** 2), X, Y),
    "np.sign": S(
        lambda x, y: _parts(np.sign(x - 0.5 + 1j * (y + 0.5)) * y)
        + np.sign(x - 0.5) * y,
        M,
        N,
    ),
    "real_like": S(lambda g, x: runtime.real_like(_unit(g), x) * x, M, N),
    "real_operand": S(lambda x: runtime.real_operand(x, "a rule") * x, M),
    "log_base": S(
        lambda x, p: np.log(runtime.log_base(x, p)) * p
        + _parts(np.log(runtime.log_base(x - 0.5, p + 0j))),
        M,
        N,
    ),
}

#: np.fft: every transform with n/s, axis/axes and a norm; the helpers its
#: rules call
FFT: dict[str, Sample] = {
    "np.fft.fft": S(lambda x: _parts(np.fft.fft(x, 6, axis=0)), M),
    "np.fft.ifft": S(lambda x: _parts(np.fft.ifft(x * _unit(x), 3, norm="ortho")), M),
    "np.fft.fft2": S(lambda x: _parts(np.fft.fft2(x, s=(2, 5), norm="forward")), B),
    "np.fft.ifft2": S(lambda x: _parts(np.fft.ifft2(_unit(x) * x, axes=(0, 2))), B),
    "np.fft.fftn": S(lambda x: _parts(np.fft.fftn(x, s=(3, 5), axes=(2, 0))), B),
    "np.fft.ifftn": S(lambda x: _parts(np.fft.ifftn(x * _unit(x), norm="ortho")), B),
    "np.fft.rfft": S(lambda x: _parts(np.fft.rfft(x, 5, axis=0)), M),
    "np.fft.irfft": S(lambda x, y: np.fft.irfft(x + 1j * y, 6, norm="ortho"), M, N),
    "np.fft.rfft2": S(lambda x: _parts(np.fft.rfft2(x, norm="forward")), B),
    "np.fft.irfft2": S(lambda x, y: np.fft.irfft2(x + 1j * y, s=(2, 5)), B, B),
    "np.fft.rfftn": S(lambda x: _parts(np.fft.rfftn(x, axes=(0, 2))), B),
    "np.fft.irfftn": S(lambda x, y: np.fft.irfftn(x + 1j * y, axes=(1, 2)), B, B),
    "np.fft.fftshift": S(lambda x: np.fft.fftshift(x * x, axes=1), M),
    "np.fft.ifftshift": S(lambda x: _parts(np.fft.ifftshift(_unit(x) * x)), B),
    "fft_fit": S(lambda a: _parts(fft.fft_fit(a * _unit(a), (2, 5))) * a[0, 0], M),
    "hermitian_fold": S(lambda a: fft.hermitian_fold(a, 1), M),
    "hermitian_unfold": S(lambda b: fft.hermitian_unfold(b, (3, 7), 1), M),
}


def _eig_body(a: Any) -> Any:
    # the eigenvectors' signs are NumPy's choice: v * v does not see them
    w, v = np.linalg.eig(a)
    return w * (v * v)


def _eigh_body(a: Any) -> Any:
    w, v = np.linalg.eigh(a, UPLO="U")
    return w * (v * v)


def _sym(a: Any) -> Any:
    return 0.5 * (a + a.T)


def _svd_body(a: Any) -> Any:
    # U's columns and Vh's rows change sign together: squares do not see it
    # (full_matrices=False: the sample of svd_u)
    u, s, vh = np.linalg.svd(a)
    values = np.linalg.svd(a, compute_uv=False)
    return np.concatenate([np.ravel(u * u * s), np.ravel(vh * vh), values])


def _qr_body(a: Any) -> Any:
    q, r = np.linalg.qr(a)
    return q @ r[:, :1] + q * r[0] + np.linalg.qr(a.T, mode="r")[:, 1]


def _lstsq_body(a: Any, b: Any) -> Any:
    x, residuals, rank, sv = np.linalg.lstsq(a, b, rcond=None)
    return x * residuals + np.sum(sv)


def _slogdet_body(a: Any) -> Any:
    sign, logabsdet = np.linalg.slogdet(a)
    return logabsdet * sign


#: np.linalg's decompositions: losses their vectors' signs do not change
DECOMPOSITIONS: dict[str, Sample] = {
    # the gradient with respect to a symmetric matrix (docs/subset.md),
    # checked on one
    "np.linalg.cholesky": S(
        lambda a: np.linalg.cholesky(_sym(a)) + np.linalg.cholesky(_sym(a), upper=True),
        SPD,
    ),
    "np.linalg.cond": S(lambda a: np.linalg.cond(a) + np.linalg.cond(a, -2), SQ),
    "np.linalg.eig": S(_eig_body, EIG),
    "np.linalg.eigvals": S(np.linalg.eigvals, EIG),
    "np.linalg.eigh": S(_eigh_body, SPD),
    # NumPy reads the lower triangle: the upper one has no derivative
    "np.linalg.eigvalsh": S(np.linalg.eigvalsh, SPD + 0.2 * np.triu(SQ, 1)),
    "np.linalg.svd": S(_svd_body, M),
    "np.linalg.svdvals": S(np.linalg.svdvals, MT),
    "np.linalg.qr": S(_qr_body, MT),
    "np.linalg.slogdet": S(_slogdet_body, SQB),
    "np.linalg.pinv": S(np.linalg.pinv, M),
    "np.linalg.matrix_power": S(
        lambda a: np.linalg.matrix_power(a, 3) + np.linalg.matrix_power(a, -2), SQ
    ),
    "np.linalg.lstsq": S(_lstsq_body, MT, MT[:, :2] + M.T[:, 1:]),
    "eig_values": S(dec.eig_values, EIG),
    # read as the eigenvalues' rules read it: through V (.) V^-1, which no
    # column's scale changes
    "eig_basis": S(
        lambda a: dec.eig_basis(a)
        @ np.diag(np.arange(1.0, 1.0 + len(a)))
        @ np.linalg.inv(dec.eig_basis(a)),
        EIG,
    ),
    "eig_vectors": S(lambda a: dec.eig_vectors(a) ** 2, EIG),
    "eigh_values": S(dec.eigh_values, SPD),
    "eigh_vectors": S(lambda a: dec.eigh_vectors(a, "U") ** 2, SPD),
    "qr_q": S(dec.qr_q, M),
    "qr_r": S(dec.qr_r, M),
    "slogdet_log": S(dec.slogdet_log, SQ),
    "svd_values": S(dec.svd_values, M),
    "svd_u": S(lambda a: dec.svd_u(a, False) ** 2, MT),
    "svd_vh": S(lambda a: dec.svd_vh(a) ** 2, M),
    "lstsq_x": S(dec.lstsq_x, SQ4[:, :3], M.T),
    "lstsq_residuals": S(dec.lstsq_residuals, SQ4[:, :3], M.T),
    "lstsq_sv": S(dec.lstsq_sv, MT, M.T),
}


def scipy_samples() -> dict[str, Sample]:
    """The samples of SciPy's records (call when SciPy imports)."""
    import scipy.special as sp
    import scipy.stats as st

    from adcompiler.primitives import scipy_special

    samples: dict[str, Sample] = {
        **_unary(
            "digamma gammaln gamma rgamma erf erfc erfinv erfcinv ndtr log_ndtr "
            "ndtri expit logit log_expit entr j0 j1 y0 y1 i0 i1",
            M,
            sp,
            "scipy.special",
        ),
        "scipy.special.polygamma": S(lambda x: sp.polygamma(1, x), M),
        "scipy.special.betaln": S(sp.betaln, M, V),
        "scipy.special.beta": S(sp.beta, M, V),
        "scipy.special.multigammaln": S(lambda a: sp.multigammaln(a, 2), M + 1.0),
        "scipy.special.xlogy": S(sp.xlogy, M, V),
        "scipy.special.xlog1py": S(sp.xlog1py, M, V),
        "scipy.special.jv": S(lambda x: sp.jv(1.5, x), M),
        "scipy.special.yn": S(lambda x: sp.yn(2, x), M + 1.0),
        "scipy.special.iv": S(lambda x: sp.iv(0.5, x), M),
        "scipy.special.ive": S(lambda x: sp.ive(1.5, x), M),
        "scipy.special.logsumexp": S(lambda a, b: sp.logsumexp(a, axis=1, b=b), M, N),
        "scipy.special.softmax": S(lambda x: sp.softmax(x, axis=0), M),
        "scipy.special.log_softmax": S(lambda x: sp.log_softmax(x, axis=1), M),
        "logsumexp_magnitude": S(
            lambda a, b: scipy_special.logsumexp_magnitude(a, 1, b), M, N
        ),
    }
    # scipy.stats: each method of each distribution, in x, loc, scale and
    # the shape parameters its record has rules for (the others constants)
    shapes = {"t": (3.5,), "gamma": (2.5,), "chi2": (3.5,), "beta": (2.5, 1.7)}
    for name in (
        "norm",
        "t",
        "cauchy",
        "laplace",
        "logistic",
        "expon",
        "gamma",
        "chi2",
        "beta",
    ):
        dist = getattr(st, name)
        x = V * 0.9 + 0.05 if name == "beta" else V + 0.3
        for method in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"):
            values = (x, *shapes.get(name, ()), 0.02, 1.3)
            samples[f"scipy.stats.{name}.{method}"] = _partial(
                getattr(dist, method), values
            )
    for method in ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf"):
        values = (np.array([0.0, 1.0, 3.0]), 2.2)
        samples[f"scipy.stats.poisson.{method}"] = _partial(
            getattr(st.poisson, method), values
        )
    # SciPy reads one triangle of cov (the gradient is symmetric) and
    # refuses x off the simplex: both are made inside the body
    cov = np.array([[1.0, 0.3], [0.3, 0.8]])
    for method in ("logpdf", "pdf"):
        mvn = getattr(st.multivariate_normal, method)
        samples[f"scipy.stats.multivariate_normal.{method}"] = S(
            _mvn_body(mvn), M[:, :2], V[:2], cov
        )
        samples[f"scipy.stats.dirichlet.{method}"] = S(
            _dirichlet_body(getattr(st.dirichlet, method)), W[:3], V[:3] + 1.0
        )
    return samples


def _decay(y: Any, t: Any, k: Any) -> Any:
    """A small, fast vector field (odeint's argument order), forced in t."""
    return -k * y + 0.3 * np.sin(t) * y[::-1]


def _decay_tfirst(t: Any, y: Any, k: Any) -> Any:
    """:func:`_decay` in solve_ivp's argument order."""
    return -k * y + 0.3 * np.sin(t) * y[::-1]


#: the integrations' tolerances: their derivatives are as accurate
_TIGHT = {"rtol": 1e-10, "atol": 1e-10}

#: why reverse over reverse of an integration is refused: the adjoint
#: integration (the error names it) has no reverse rule of its own, only a
#: tangent rule (forward over reverse)
ODEINT_REFUSED = "odeint_adjoint"
SOLVE_IVP_REFUSED = "solve_ivp_adjoint"


def _odeint_body(y0: Any, k: Any) -> Any:
    return scipy_integrate.odeint(
        _decay, y0, np.array([0.0, 0.4, 0.9]), args=(k,), **_TIGHT
    )


def _ivp_states_body(y0: Any, k: Any) -> Any:
    times = np.array([0.3, 0.8])
    sol = scipy_integrate.solve_ivp(
        _decay_tfirst, (0.0, 1.0), y0, t_eval=times, args=(k,), **_TIGHT
    )
    return sol.y


def _ivp_times_body(y0: Any, times: Any) -> Any:
    sol = scipy_integrate.solve_ivp(
        _decay_tfirst, (0.0, 1.0), y0, t_eval=times, args=(0.7,), **_TIGHT
    )
    return sol.y[0] * sol.t**2


def scipy_more_samples() -> dict[str, Sample]:
    """The samples of scipy.linalg, scipy.signal and scipy.integrate."""
    import scipy.linalg as sl
    import scipy.signal as ss

    return {
        "scipy.linalg.block_diag": S(lambda a, b, c: sl.block_diag(a, b, c), SQ, V, X),
        "scipy.linalg.cho_factor": S(
            lambda a: sl.cho_factor(a, lower=True)[0] + sl.cho_factor(a)[0], SPD
        ),
        "cho_factor_matrix": S(lambda a: sl.cho_factor(a)[0], SPD),
        "scipy.linalg.cho_solve": S(
            lambda a, b: sl.cho_solve(sl.cho_factor(a, lower=True), b), SPD, M
        ),
        "scipy.linalg.cholesky": S(
            lambda a: sl.cholesky(a) + sl.cholesky(a, lower=True), SPD
        ),
        "scipy.linalg.expm": S(lambda a: sl.expm(0.5 * a), SQ),
        "scipy.linalg.solve_sylvester": S(sl.solve_sylvester, SQ, SQ4, M),
        "scipy.linalg.solve_triangular": S(
            lambda a, b: sl.solve_triangular(a, b, trans=1, lower=True)
            + sl.solve_triangular(a, b, unit_diagonal=True),
            SQ,
            M,
        ),
        "scipy.linalg.sqrtm": S(sl.sqrtm, SPD),
        "scipy.signal.convolve": S(
            lambda a, v: ss.convolve(a, v, mode="same"), M, N[:2, :3]
        ),
        "scipy.signal.correlate": S(
            lambda a, v: ss.correlate(a, v, mode="valid", method="fft"), B, B[:, 1:, :3]
        ),
        "scipy.signal.convolve2d": S(
            lambda a, v, f: ss.convolve2d(a, v, mode="same", fillvalue=f),
            M,
            N[:2, :2],
            X,
        ),
        "scipy.signal.correlate2d": S(
            lambda a, v: ss.correlate2d(a, v)[1:, 1:] + ss.correlate2d(a, v, "same"),
            M,
            N[:2, :2],
        ),
        "scipy.integrate.odeint": S(
            _odeint_body, V[:2], X, no_reverse_over_reverse=ODEINT_REFUSED
        ),
        "scipy.integrate.solve_ivp(...).y": S(
            _ivp_states_body,
            V[:2],
            X,
            no_reverse_over_reverse=SOLVE_IVP_REFUSED,
        ),
        "scipy.integrate.solve_ivp(...).t": S(
            _ivp_times_body,
            V[:2],
            np.array([0.3, 0.8]),
            no_reverse_over_reverse=SOLVE_IVP_REFUSED,
        ),
    }


def _mvn_body(fn: Callable) -> Callable:
    return lambda x, mean, c: fn(x, mean, 0.5 * (c + c.T))


def _dirichlet_body(fn: Callable) -> Callable:
    return lambda s, alpha: fn(s / np.sum(s), alpha)


def _partial(fn: Callable, v: tuple) -> Sample:
    """``fn(*v)`` differentiated in the arguments its record has rules for;
    the others are constants (read from the closure)."""
    from adcompiler.primitives.record import lookup

    rules = lookup(fn).vjps
    varied = tuple(k for k in range(len(v)) if k < len(rules) and rules[k])
    bodies = {
        (0, 1): lambda a, b: fn(a, b),
        (1,): lambda b: fn(v[0], b),
        (0, 1, 2): lambda a, b, c: fn(a, b, c),
        (0, 1, 2, 3): lambda a, b, c, d: fn(a, b, c, d),
        (0, 2, 3): lambda a, c, d: fn(a, v[1], c, d),
        (0, 1, 2, 3, 4): lambda a, b, c, d, e: fn(a, b, c, d, e),
        (0, 3, 4): lambda a, d, e: fn(a, v[1], v[2], d, e),
    }
    return S(bodies[varied], *(v[k] for k in varied))


def all_samples() -> dict[str, Sample]:
    """Every sample: NumPy's, the helpers', and SciPy's when SciPy imports."""
    samples = {**NUMPY, **HELPERS, **COMPLEX, **FFT, **DECOMPOSITIONS}
    try:
        import scipy  # noqa: F401
    except ImportError:
        return samples
    samples.update(scipy_samples())
    samples.update(scipy_more_samples())
    return samples
