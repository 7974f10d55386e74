"""Builders of the coverage profile's rows for ``np.fft``, complex
intermediates, ``np.linalg``'s decompositions, ``scipy.linalg`` and
``scipy.signal`` (rows of :data:`.coverage17.ENTRIES`).

Each builder ``_name(c, shape, depth)`` writes a real expression of exactly
``shape``. Values stay in safe domains, so that the derivatives exist at the
drawn points:

- matrices to solve with or invert are ``2 I + 0.15 tanh(E)`` (singular
  values in ``2 +- 0.75`` for the sizes drawn, at most 5);
- symmetric positive definite ones are ``E E^T / k + I``;
- eigen- and singular-value problems get a distinct, well separated
  spectrum: ``0.15 tanh(E) + diag(2, 4, ...)``, so that the values (and
  the sign-invariant uses of the vectors, ``v * v``, ``U @ diag(S) @ Vh``,
  outer products ``u_i v_i^T``) are smooth;
- complex numbers whose modulus or angle is taken have a real part in
  ``(0.5, 2.5)`` (no zero, no branch cut).
"""

from __future__ import annotations

from typing import Any

from ..program import Shape

#: the family calling the builders (:class:`.coverage17.Coverage17`, not
#: imported: it imports this module)
Coverage17 = Any

#: the ``norm=`` spellings of the transforms
_NORMS = ("", ', norm="ortho"', ', norm="forward"', ', norm="backward"')
#: the real views of a complex array
_PARTS = ("np.real", "np.imag", "np.abs")


# -- safe operands -------------------------------------------------------------


def well_conditioned(c: Coverage17, p: int, q: int, depth: int) -> str:
    """A ``(p, q)`` matrix with singular values in ``2 +- 0.75``."""
    return f"(0.15 * np.tanh({c.e((p, q), depth)}) + 2.0 * np.eye({p}, {q}))"


def spd(c: Coverage17, k: int, depth: int) -> str:
    """A ``(k, k)`` symmetric positive definite matrix, eigenvalues >= 1."""
    j = c.g.pick(c.dims())
    e = c.e((k, j), depth)
    return f"(({e}) @ ({e}).T / {j} + np.eye({k}))"


def separated(c: Coverage17, p: int, q: int, depth: int) -> str:
    """A ``(p, q)`` matrix whose singular values (eigenvalues, when square)
    are near 2, 4, ..., well apart."""
    return (
        f"(0.15 * np.tanh({c.e((p, q), depth)}) + np.eye({p}, {q}) * "
        f"(2.0 * np.arange(1, {q + 1})))"
    )


def symmetric_separated(c: Coverage17, k: int, depth: int) -> str:
    """A symmetric ``(k, k)`` matrix with eigenvalues near 2, 4, ..."""
    e = c.e((k, k), depth)
    return f"(0.075 * np.tanh({e} + ({e}).T) + np.diag(2.0 * np.arange(1, {k + 1})))"


def stack_of(c: Coverage17, b: int, k: int, depth: int) -> str:
    """A ``(b, k, k)`` stack of well-conditioned matrices."""
    return (
        f"(2.0 * np.eye({k}) + 0.2 * np.tanh({c.e((b, k), depth)})[:, :, None] "
        f"* np.tanh({c.e((k,), depth)}))"
    )


def complex_of(c: Coverage17, shape: Shape, depth: int) -> str:
    """A complex expression of ``shape`` with real part in (0.5, 2.5)."""
    g = c.g
    a, b = c.e(shape, depth), c.e(shape, depth)
    return g.pick(
        [
            f"(1.5 + np.tanh({a}) + 1j * {b})",
            f"((1.5 + np.tanh({a})) * np.exp(0.5j * np.tanh({b})))",
        ]
    )


# -- np.fft ----------------------------------------------------------------------


def _fft(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    part = g.pick(_PARTS)
    norm = g.pick(_NORMS)
    if len(shape) == 1:
        (p,) = shape
        k = g.pick(c.dims())
        kind = g.pick(["fft", "fft_n", "rfft", "irfft", "shift", "circular"])
        if kind == "fft":
            fn = g.pick(["np.fft.fft", "np.fft.ifft"])
            return f"{part}({fn}({c.e(shape, depth)}{norm}))"
        if kind == "fft_n":
            fn = g.pick(["np.fft.fft", "np.fft.ifft"])
            return f"{part}({fn}({c.e((k,), depth)}, n={p}{norm}))"
        if kind == "rfft":
            n = g.pick([2 * p - 1, 2 * p - 2]) if p >= 2 else 1
            return f"{part}(np.fft.rfft({c.e((k,), depth)}, n={n}{norm}))"
        if kind == "irfft":
            source = g.pick(
                [
                    f"np.fft.rfft({c.e((k,), depth)})",
                    f"np.fft.fft({c.e((k,), depth)}{norm})",
                    f"np.exp(1j * {c.e((k,), depth)})",
                ]
            )
            return f"np.fft.irfft({source}, n={p}{norm})"
        if kind == "shift":
            fn = g.pick(["np.fft.fftshift", "np.fft.ifftshift"])
            if g.chance(0.5):
                return f"{fn}({c.e(shape, depth)})"
            return f"{part}({fn}(np.fft.fft({c.e(shape, depth)}{norm})))"
        a, b = c.e(shape, depth), c.e(shape, depth)
        return f"np.real(np.fft.ifft(np.fft.fft({a}) * np.fft.fft({b}){norm}))"
    p, q = shape
    kind = g.pick(["2d", "axis", "axes", "s", "rfft", "irfft", "shift"])
    if kind == "2d":
        fn = g.pick(["np.fft.fft2", "np.fft.ifft2", "np.fft.fftn", "np.fft.ifftn"])
        return f"{part}({fn}({c.e(shape, depth)}{norm}))"
    if kind == "axis":
        fn = g.pick(["np.fft.fft", "np.fft.ifft"])
        return f"{part}({fn}({c.e(shape, depth)}, axis={c.axis(2)}{norm}))"
    if kind == "axes":
        fn = g.pick(["np.fft.fftn", "np.fft.ifftn", "np.fft.fft2"])
        if fn == "np.fft.fft2":
            axes = g.pick(["(0, 1)", "(1, 0)", "(-2, -1)"])
        else:
            axes = g.pick(["(0, 1)", "(1, 0)", "(0,)", "(-1,)"])
        return f"{part}({fn}({c.e(shape, depth)}, axes={axes}{norm}))"
    if kind == "s":
        k1, k2 = g.pick(c.dims()), g.pick(c.dims())
        fn = g.pick(["np.fft.fft2", "np.fft.ifftn"])
        return f"{part}({fn}({c.e((k1, k2), depth)}, s=({p}, {q}){norm}))"
    if kind == "rfft":
        n = 2 * q - 1 if g.chance(0.5) or q < 2 else 2 * q - 2
        k = g.pick(c.dims())
        if g.chance(0.5):
            return f"{part}(np.fft.rfft({c.e((p, k), depth)}, n={n}{norm}))"
        if g.chance(0.5):
            return f"{part}(np.fft.rfft2({c.e((p, k), depth)}, s=({p}, {n}){norm}))"
        m = 2 * p - 1
        operand = c.e((k, q), depth)
        return f"{part}(np.fft.rfftn({operand}, s=({m},), axes=(0,){norm}))"
    if kind == "irfft":
        k1, k2 = g.pick(c.dims()), g.pick(c.dims())
        if g.chance(0.4):
            source = f"np.fft.rfft2({c.e((p, k2), depth)})"
            return f"np.fft.irfft({source}, n={q}, axis=1{norm})"
        source = f"np.fft.rfft2({c.e((k1, k2), depth)})"
        fn = g.pick(["np.fft.irfft2", "np.fft.irfftn"])
        return f"{fn}({source}, s=({p}, {q}){norm})"
    fn = g.pick(["np.fft.fftshift", "np.fft.ifftshift"])
    axes = g.pick(["", ", axes=0", ", axes=(1,)", ", axes=(0, 1)"])
    return f"{fn}({c.e(shape, depth)}{axes})"


# -- complex intermediates ---------------------------------------------------------


def _complex(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    z = complex_of(c, shape, depth)
    kind = g.pick(["abs", "angle", "product", "parts", "exp", "conj"])
    if kind == "abs":
        return f"np.abs({z})"
    if kind == "angle":
        return f"np.angle({z})"
    if kind == "product":
        w = g.pick([f"np.exp(1j * {c.e(shape, depth)})", complex_of(c, shape, depth)])
        return f"{g.pick(['np.real', 'np.imag'])}({z} * np.conj({w}))"
    if kind == "parts":
        w = complex_of(c, shape, depth)
        return g.pick([f"({z} * {w}).real", f"({z} / {w}).imag", f"({z} ** 2).imag"])
    if kind == "exp":
        a, b = c.e(shape, depth), c.e(shape, depth)
        return f"np.real(np.exp(0.3 * np.tanh({a}) + 1j * {b}))"
    return g.pick(
        [f"np.conjugate({z}).imag", f"({z}).conj().imag", f"np.abs(np.conj({z}))"]
    )


# -- np.linalg decompositions ------------------------------------------------------


def _svd(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    if len(shape) == 0:
        p, q = g.pick(c.dims()), g.pick(c.dims())
        m = separated(c, p, q, depth)
        return g.pick([f"np.linalg.svd({m})[1][0]", f"np.sum(np.linalg.svdvals({m}))"])
    if len(shape) == 1:
        (p,) = shape
        k = c.wider(p) or p
        m = separated(c, p, k, depth) if g.chance(0.5) else separated(c, k, p, depth)
        return g.pick(
            [
                f"np.linalg.svd({m})[1]",
                f"np.linalg.svd({m}, compute_uv=False)",
                f"np.linalg.svdvals({m})",
            ]
        )
    p, q = shape
    m = separated(c, p, q, depth)
    reduced = ", full_matrices=False" if p != q or g.chance(0.5) else ""
    svd = f"np.linalg.svd({m}{reduced})"
    kind = g.pick(["rebuild", "square", "outer", "scaled"])
    if kind == "rebuild":
        return f"({svd}[0] @ np.diag({svd}[1]) @ {svd}[2])"
    if kind == "square":
        item = 0 if q <= p else 2
        return f"np.square({svd}[{item}])"
    if kind == "outer":
        i = int(g.rng.integers(min(p, q)))
        return f"np.outer({svd}[0][:, {i}], {svd}[2][{i}])"
    return f"(({svd}[0] * {svd}[1]) @ {svd}[2])"


def _eigh(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    uplo = g.pick(["", "", ', UPLO="U"'])
    if len(shape) == 0:
        k = g.pick(c.dims())
        return f"np.linalg.eigvalsh({symmetric_separated(c, k, depth)})[{k - 1}]"
    if len(shape) == 1:
        (p,) = shape
        s = symmetric_separated(c, p, depth)
        if g.chance(0.3):
            i = int(g.rng.integers(p))
            return f"np.square(np.linalg.eigh({s}{uplo})[1][:, {i}])"
        return g.pick(
            [f"np.linalg.eigh({s}{uplo})[0]", f"np.linalg.eigvalsh({s}{uplo})"]
        )
    p, q = shape
    k = max(p, q)
    s = symmetric_separated(c, k, depth)
    eigh = f"np.linalg.eigh({s}{uplo})"
    kind = g.pick(["square", "rebuild", "product"])
    if kind == "square":
        out = f"({eigh}[1] * {eigh}[1])"
    elif kind == "rebuild":
        out = f"(({eigh}[1] * {eigh}[0]) @ {eigh}[1].T)"
    else:
        out = f"np.outer({eigh}[1][:, 0], {eigh}[1][:, 0])"
    return out if p == q else f"{out}[:{p}, :{q}]"


def _eig(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    if len(shape) == 0:
        k = g.pick(c.dims())
        return f"np.prod(np.real(np.linalg.eigvals({separated(c, k, k, depth)})))"
    (p,) = shape
    a = separated(c, p, p, depth)
    return g.pick(
        [
            f"np.sort(np.real(np.linalg.eigvals({a})))",
            f"np.real(np.linalg.eig({a})[0])",
            f"np.linalg.eigvals({a}).real",
            f"np.square(np.real(np.linalg.eig({a})[1][:, {int(g.rng.integers(p))}]))",
        ]
    )


def _qr(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    if len(shape) == 1:
        (p,) = shape
        k = g.pick(c.dims())
        m = well_conditioned(c, max(k, p), p, depth)
        return f"np.diag(np.linalg.qr({m})[1])"
    p, q = shape
    m = well_conditioned(c, p, q, depth)
    if p >= q:
        return g.pick(
            [
                f"np.linalg.qr({m})[0]",
                f"(np.linalg.qr({m})[0] @ np.linalg.qr({m})[1])",
                f"(np.linalg.qr({m}).Q @ np.linalg.qr({m}).R)",
            ]
        )
    return f"np.linalg.qr({m})[1]"


def _cholesky(c: Coverage17, shape: Shape, depth: int) -> str:
    p, q = shape
    lower = f"np.linalg.cholesky({spd(c, p, depth)})"
    if c.g.chance(0.3):
        lower = f"np.linalg.cholesky({spd(c, p, depth)}, upper=True)"
    return lower if p == q else f"({lower} @ {c.e((p, q), depth)})"


def _determinant(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    k = g.pick(c.dims())
    if len(shape) == 1:
        (p,) = shape
        a3 = stack_of(c, p, k, depth)
        return g.pick([f"np.linalg.det({a3})", f"np.linalg.slogdet({a3})[1]"])
    a = well_conditioned(c, k, k, depth)
    return g.pick(
        [
            f"np.linalg.det({a})",
            f"np.linalg.slogdet({spd(c, k, depth)})[1]",
            f"(np.linalg.slogdet({a})[0] * np.linalg.slogdet({a})[1])",
            f"np.linalg.slogdet({a}).logabsdet",
        ]
    )


def _pinv(c: Coverage17, shape: Shape, depth: int) -> str:
    p, q = shape
    return f"np.linalg.pinv({well_conditioned(c, q, p, depth)})"


def _matrix_power(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    p, q = shape
    n = int(g.pick([0, 1, 2, 3, -1, -2]))
    if n >= 0:
        a = f"(0.5 * np.tanh({c.e((p, p), depth)}))"
    else:
        a = well_conditioned(c, p, p, depth)
    power = f"np.linalg.matrix_power({a}, {n})"
    return power if p == q else f"({power} @ {c.e((p, q), depth)})"


def _lstsq(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    q = shape[0]
    p = c.wider(q) or q
    a = well_conditioned(c, p, q, depth)
    b = c.e((p,), depth) if len(shape) == 1 else c.e((p, shape[1]), depth)
    rcond = g.pick(["", ", rcond=None"])
    return f"np.linalg.lstsq({a}, {b}{rcond})[0]"


def _solve(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    if len(shape) == 1:
        (p,) = shape
        a = well_conditioned(c, p, p, depth)
        b = c.e((p,), depth)
        return g.pick([f"np.linalg.solve({a}, {b})", f"(np.linalg.inv({a}) @ {b})"])
    p, q = shape
    kind = g.pick(["plain", "batched", "inv_batched", "inv"])
    if kind == "batched":
        a3 = stack_of(c, p, q, depth)
        return f"np.linalg.solve({a3}, {c.e((p, q), depth)}[:, :, None])[:, :, 0]"
    if kind == "inv_batched":
        a3 = stack_of(c, p, q, depth)
        return f"np.linalg.inv({a3}).sum(axis={g.pick([1, 2])})"
    if kind == "inv" and p == q:
        return f"np.linalg.inv({well_conditioned(c, p, p, depth)})"
    return f"np.linalg.solve({well_conditioned(c, p, p, depth)}, {c.e(shape, depth)})"


# -- scipy.linalg ------------------------------------------------------------------


def _solve_triangular(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    p = shape[0]
    t = well_conditioned(c, p, p, depth)
    b = c.e(shape, depth)
    options = g.pick(["", ", lower=True", ", lower=False", ", trans=1", ', trans="T"'])
    if g.chance(0.2):
        options += ", unit_diagonal=True"
    return f"scipy.linalg.solve_triangular({t}, {b}{options})"


def _cho(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    p = shape[0]
    if len(shape) == 2 and g.chance(0.3):
        q = shape[1]
        lower = g.pick(["", ", lower=True", ", lower=False"])
        factor = f"scipy.linalg.cholesky({spd(c, p, depth)}{lower})"
        return factor if p == q else f"({factor} @ {c.e(shape, depth)})"
    s = spd(c, p, depth)
    b = c.e(shape, depth)
    return g.pick(
        [
            f"scipy.linalg.cho_solve(scipy.linalg.cho_factor({s}), {b})",
            f"scipy.linalg.cho_solve(scipy.linalg.cho_factor({s}, lower=True), {b})",
            f"scipy.linalg.cho_solve((scipy.linalg.cholesky({s}, lower=True), True), {b})",
        ]
    )


def _matrix_function(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    p, q = shape
    if g.chance(0.5):
        out = f"scipy.linalg.expm(0.3 * np.tanh({c.e((p, p), depth)}))"
    else:
        out = f"scipy.linalg.sqrtm({spd(c, p, depth)})"
    return out if p == q else f"({out} @ {c.e((p, q), depth)})"


def _sylvester(c: Coverage17, shape: Shape, depth: int) -> str:
    p, q = shape
    a, b = spd(c, p, depth), spd(c, q, depth)
    return f"scipy.linalg.solve_sylvester({a}, {b}, {c.e(shape, depth)})"


def _block_diag(c: Coverage17, shape: Shape, depth: int) -> str:
    p, q = shape
    if p < 2 or q < 2:
        return f"scipy.linalg.block_diag({c.e(shape, depth)})"
    p1, p2 = c.split_size(p)
    q1, q2 = c.split_size(q)
    return f"scipy.linalg.block_diag({c.e((p1, q1), depth)}, {c.e((p2, q2), depth)})"


# -- scipy.signal ------------------------------------------------------------------


def _signal(c: Coverage17, shape: Shape, depth: int) -> str:
    g = c.g
    mode = g.pick(["full", "same", "valid"])
    two = len(shape) == 2 and g.chance(0.5)
    if two:
        fn = g.pick(["scipy.signal.convolve2d", "scipy.signal.correlate2d"])
        extra = ""
        if mode != "valid" and g.chance(0.3):
            extra = f', boundary="fill", fillvalue={g.const()}'
    else:
        fn = g.pick(["scipy.signal.convolve", "scipy.signal.correlate"])
        extra = g.pick(["", "", ', method="direct"', ', method="fft"'])
    if mode == "full":
        first = tuple(int(g.rng.integers(1, s + 1)) for s in shape)
        second = tuple(s - a + 1 for s, a in zip(shape, first))
    elif mode == "same":
        first = tuple(shape)
        second = tuple(g.pick(c.dims() + [1]) for _ in shape)
    else:
        first = tuple(c.wider(s) or s for s in shape)
        second = tuple(w - s + 1 for w, s in zip(first, shape))
    a, b = c.e(first, depth), c.e(second, depth)
    return f'{fn}({a}, {b}, mode="{mode}"{extra})'
