"""Rules of ``np.fft`` (adcompiler/primitives/fft.py).

Two kinds of checks:

- the transpose identity, on the reverse rules evaluated with concrete
  arrays: ``sum(w * J(t)) == sum(J^T(w) * t)`` for random complex ``w`` and
  ``t`` (exactly, for the complex-linear transforms), and its real part for
  the transforms that are only real-linear (``rfft*`` of a real ``t``,
  ``irfft*`` to a real result) and for real arguments of the complex
  transforms (whose adjoint is the real part), for every ``n``/``s``,
  ``axis``/``axes`` and ``norm`` below;
- the whole pipeline, at orders 1 and 2 against central differences
  (``check_grad(order=2)``, ``jvp``, dense Hessians) and at order 3, on
  real losses of real arguments whose path goes through complex spectra
  (``irfft(fft(x))``, ``irfftn(rfftn(x) * k)``, ...) and through the shifts,
  and on real losses of real and complex arguments with complex operations
  on the spectra (``sum(abs(fft(x * w)) ** 2)``,
  ``real(ifft(fft(x) * h))``, ``irfft(rfft(x) * rfft(x))``, ...).
"""

from __future__ import annotations

import numpy as np
import pytest

from adcompiler import check_grad, grad, jvp
from adcompiler.errors import NoRuleError
from adcompiler.primitives import fft as fft_records
from adcompiler.primitives.registry import lookup
from support.rules import case, check_hessian, weight_for

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

_RNG = np.random.default_rng(20261203)

NORMS = (None, "backward", "ortho", "forward")


def real(*shape):
    return _RNG.normal(size=shape)


def cplx(*shape):
    return _RNG.normal(size=shape) + 1j * _RNG.normal(size=shape)


def rule_of(fn):
    return lookup(fn).vjps[0]


# ---------------------------------------------------------------------------
# Transpose identities of the reverse rules

ONE_AXIS = [  # (shape, n, axis)
    ((5,), None, -1),
    ((6,), None, -1),
    ((5,), 3, -1),
    ((5,), 8, -1),
    ((6,), 9, 0),
    ((4, 6), None, 0),
    ((4, 6), 7, 0),
    ((4, 6), 2, 1),
    ((3, 4, 5), 6, 1),
    ((3, 4, 5), 4, -3),
]

MANY_AXES = [  # (shape, s, axes)
    ((4, 6), None, None),
    ((4, 5), None, (0,)),
    ((4, 6), (3, 8), (0, 1)),
    ((3, 4, 5), None, (0, 2)),
    ((3, 4, 5), (5, 3), (2, 0)),
    ((3, 4, 5), (6,), (-1,)),
    ((3, 4, 5), (2, 7), (-1, -3)),
    ((2, 3, 4, 5), (4, 3, 6), (1, 2, 3)),
]


def _one_axis_cases():
    for norm in NORMS:
        for shape, n, axis in ONE_AXIS:
            yield pytest.param(shape, n, axis, norm, id=f"{shape}-n{n}-ax{axis}-{norm}")


def _many_axes_cases(two=False):
    """The cases of MANY_AXES; with ``two``, those of two axes (the ``*2``
    transforms, whose default axes are (-2, -1))."""
    for norm in NORMS:
        for shape, s, axes in MANY_AXES:
            if two:
                axes = (-2, -1) if axes is None else axes
                if len(axes) != 2:
                    continue
            yield pytest.param(
                shape, s, axes, norm, id=f"{shape}-s{s}-axes{axes}-{norm}"
            )


@pytest.mark.parametrize("shape, n, axis, norm", list(_one_axis_cases()))
@pytest.mark.parametrize("fn", [np.fft.fft, np.fft.ifft], ids=["fft", "ifft"])
def test_fft_transpose_identity(fn, shape, n, axis, norm):
    rule = rule_of(fn)
    t = cplx(*shape)
    y = fn(t, n, axis, norm)
    w = cplx(*y.shape)
    adjoint = rule(w, y, t, n, axis, norm)
    assert adjoint.shape == t.shape
    np.testing.assert_allclose(np.sum(w * y), np.sum(adjoint * t), rtol=1e-10)
    # a real argument: the real part of the adjoint (autograd's convention)
    t = real(*shape)
    y = fn(t, n, axis, norm)
    adjoint = rule(w, y, t, n, axis, norm)
    assert np.isrealobj(adjoint) and adjoint.shape == t.shape
    np.testing.assert_allclose(np.real(np.sum(w * y)), np.sum(adjoint * t), rtol=1e-10)


_FFTN = [(np.fft.fftn, c) for c in _many_axes_cases()]
_FFTN += [(np.fft.ifftn, c) for c in _many_axes_cases()]
_FFTN += [(np.fft.fft2, c) for c in _many_axes_cases(two=True)]
_FFTN += [(np.fft.ifft2, c) for c in _many_axes_cases(two=True)]


@pytest.mark.parametrize(
    "fn, shape, s, axes, norm",
    [pytest.param(fn, *c.values, id=f"{fn.__name__}-{c.id}") for fn, c in _FFTN],
)
def test_fftn_transpose_identity(fn, shape, s, axes, norm):
    rule = rule_of(fn)
    t = cplx(*shape)
    y = fn(t, s, axes, norm)
    w = cplx(*y.shape)
    adjoint = rule(w, y, t, s, axes, norm)
    assert adjoint.shape == t.shape
    np.testing.assert_allclose(np.sum(w * y), np.sum(adjoint * t), rtol=1e-10)
    t = real(*shape)
    y = fn(t, s, axes, norm)
    adjoint = rule(w, y, t, s, axes, norm)
    assert np.isrealobj(adjoint) and adjoint.shape == t.shape
    np.testing.assert_allclose(np.real(np.sum(w * y)), np.sum(adjoint * t), rtol=1e-10)


@pytest.mark.parametrize("shape, n, axis, norm", list(_one_axis_cases()))
def test_rfft_transpose_identity(shape, n, axis, norm):
    t = real(*shape)
    y = np.fft.rfft(t, n, axis, norm)
    w = cplx(*y.shape)
    adjoint = rule_of(np.fft.rfft)(w, y, t, n, axis, norm)
    assert np.isrealobj(adjoint) and adjoint.shape == t.shape
    np.testing.assert_allclose(np.real(np.sum(w * y)), np.sum(adjoint * t), rtol=1e-10)


@pytest.mark.parametrize("shape, n, axis, norm", list(_one_axis_cases()))
def test_irfft_transpose_identity(shape, n, axis, norm):
    # irfft ignores the imaginary parts of frequency 0 (and n/2): only the
    # real part of the pairing is an identity
    t = cplx(*shape)
    y = np.fft.irfft(t, n, axis, norm)
    w = real(*y.shape)
    adjoint = rule_of(np.fft.irfft)(w, y, t, n, axis, norm)
    assert adjoint.shape == t.shape
    np.testing.assert_allclose(np.sum(w * y), np.real(np.sum(adjoint * t)), rtol=1e-10)


_RFFTN = [(np.fft.rfftn, np.fft.irfftn, c) for c in _many_axes_cases()]
_RFFTN += [(np.fft.rfft2, np.fft.irfft2, c) for c in _many_axes_cases(two=True)]


@pytest.mark.parametrize(
    "fn, inverse, shape, s, axes, norm",
    [
        pytest.param(fn, inverse, *c.values, id=f"{fn.__name__}-{c.id}")
        for fn, inverse, c in _RFFTN
    ],
)
def test_rfftn_and_irfftn_transpose_identities(fn, inverse, shape, s, axes, norm):
    t = real(*shape)
    y = fn(t, s, axes, norm)
    w = cplx(*y.shape)
    adjoint = rule_of(fn)(w, y, t, s, axes, norm)
    assert np.isrealobj(adjoint) and adjoint.shape == t.shape
    np.testing.assert_allclose(np.real(np.sum(w * y)), np.sum(adjoint * t), rtol=1e-10)
    t = cplx(*shape)
    y = inverse(t, s, axes, norm)
    w = real(*y.shape)
    adjoint = rule_of(inverse)(w, y, t, s, axes, norm)
    assert adjoint.shape == t.shape
    np.testing.assert_allclose(np.sum(w * y), np.real(np.sum(adjoint * t)), rtol=1e-10)


@pytest.mark.parametrize("axes", [None, 0, 1, (0, 2), (-1,)])
@pytest.mark.parametrize(
    "fn", [np.fft.fftshift, np.fft.ifftshift], ids=["fftshift", "ifftshift"]
)
def test_shift_transpose_identity(fn, axes):
    t = cplx(3, 4, 5)
    y = fn(t, axes)
    w = cplx(*y.shape)
    adjoint = rule_of(fn)(w, y, t, axes)
    np.testing.assert_allclose(np.sum(w * y), np.sum(adjoint * t), rtol=1e-12)


@pytest.mark.parametrize("n", [4, 5, 7, 8])
def test_hermitian_fold_and_unfold_are_transposes(n):
    a = cplx(3, n)
    b = cplx(3, n // 2 + 1)
    folded = fft_records.hermitian_fold(a, 1)
    unfolded = fft_records.hermitian_unfold(b, a.shape, 1)
    np.testing.assert_allclose(np.sum(b * folded), np.sum(unfolded * a))
    fitted = fft_records.fft_fit(a, (2, n + 2))
    back = fft_records.fft_fit(cplx(2, n + 2), a.shape)
    assert fitted.shape == (2, n + 2) and back.shape == a.shape


# ---------------------------------------------------------------------------
# The whole pipeline: real losses of real arguments, through complex spectra


def numerical_jvp(f, args, tangents, eps=1e-6):
    up = [a + eps * t if t is not None else a for a, t in zip(args, tangents)]
    down = [a - eps * t if t is not None else a for a, t in zip(args, tangents)]
    return (f(*up) - f(*down)) / (2 * eps)


def check_jvp(f, args, wrt, rtol=1e-5, atol=1e-7):
    """``jvp`` of ``f`` in a random direction of argument ``wrt`` against
    central differences of ``f``."""
    rng = np.random.default_rng(7)
    tangents = [
        rng.normal(size=np.shape(a)) if k == wrt else np.zeros(np.shape(a))
        for k, a in enumerate(args)
    ]
    value, t_out = jvp(f, tuple(args), tuple(tangents))
    numeric = numerical_jvp(
        f, args, [t if k == wrt else None for k, t in enumerate(tangents)]
    )
    np.testing.assert_allclose(value, f(*args), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t_out, numeric, rtol=rtol, atol=atol)


K6 = real(4)  # a real filter of rfft's half spectrum of length 6
K45 = real(4, 3)  # of rfft2's half spectrum of a 4 x 5 array
K345 = real(3, 4, 3)


def fft_then_irfft(x, C):
    return np.sum(np.sin(np.fft.irfft(np.fft.fft(x * x), 6)) * C)


def ifft_then_irfft(x, C):
    return np.sum(np.sin(np.fft.irfft(np.fft.ifft(np.sin(x)), 6, norm="ortho")) * C)


def fft_padded(x, C):
    return np.sum(np.sin(np.fft.irfft(np.fft.fft(x, 9), 9)) * C)


def fft_truncated_axis0(x, C):
    return np.sum(
        np.sin(np.fft.irfft(np.fft.fft(x, 3, axis=0, norm="forward"), 4, axis=0)) * C
    )


def ifft_axis1_ortho(x, C):
    return np.sum(np.sin(np.fft.irfft(np.fft.ifft(x, 7, 1, "ortho"), 5, 1)) * C)


def fft2_default(x, C):
    return np.sum(np.sin(np.fft.irfft2(np.fft.fft2(x * x), (4, 5))) * C)


def fft2_s_ortho(x, C):
    return np.sum(np.sin(np.fft.irfft2(np.fft.fft2(x, (3, 7), norm="ortho"))) * C)


def ifft2_axes(x, C):
    return np.sum(
        np.sin(np.fft.irfft2(np.fft.ifft2(x, axes=(1, 0)), (5, 4), axes=(1, 0))) * C
    )


def fftn_axes(x, C):
    return np.sum(np.sin(np.fft.irfftn(np.fft.fftn(x, axes=(0, 2)), axes=(0, 2))) * C)


def ifftn_s_forward(x, C):
    y = np.fft.ifftn(np.sin(x), (5, 2), (2, 0), "forward")
    return np.sum(np.sin(np.fft.irfftn(y, (4, 3), (2, 0))) * C)


def rfft_filter(x, C):
    return np.sum(np.sin(np.fft.irfft(np.fft.rfft(x * x) * K6, 6)) * C)


def rfft_odd_n(x, C):
    return np.sum(np.sin(np.fft.irfft(np.fft.rfft(x, 7, norm="ortho"), 7)) * C)


def rfft_truncated(x, C):
    return np.sum(np.sin(np.fft.irfft(np.fft.rfft(x, 4, axis=0), 5, axis=0)) * C)


def irfft_default_n(x, C):
    return np.sum(np.sin(np.fft.irfft(np.fft.rfft(np.sin(x)), norm="forward")) * C)


def rfft2_filter(x, C):
    return np.sum(np.sin(np.fft.irfft2(np.fft.rfft2(x) * K45, (4, 5))) * C)


def rfft2_s(x, C):
    spectrum = np.fft.rfft2(x, (3, 6), norm="ortho")
    return np.sum(np.sin(np.fft.irfft2(spectrum, (5, 7), norm="ortho")) * C)


def rfftn_filter(x, C):
    spectrum = np.fft.rfftn(x * x, axes=(0, 1, 2)) * K345
    return np.sum(np.sin(np.fft.irfftn(spectrum, x.shape, (0, 1, 2))) * C)


def rfftn_axes_s(x, C):
    spectrum = np.fft.rfftn(x, (4, 2), axes=(2, 0), norm="forward")
    return np.sum(np.sin(np.fft.irfftn(spectrum, (5, 2), (2, 0), "forward")) * C)


def fftshift_all(x, C):
    return np.sum(np.sin(np.fft.fftshift(x * x)) * C)


def fftshift_axis(x, C):
    return np.sum(np.sin(np.fft.fftshift(x, axes=1)) * C)


def ifftshift_axes(x, C):
    return np.sum(np.sin(np.fft.ifftshift(np.sin(x), axes=(0, 2))) * C)


def shifts_compose(x, C):
    return np.sum(np.sin(np.fft.ifftshift(np.fft.fftshift(x, 0) * x, -1)) * C)


PIPELINE = [
    case(fft_then_irfft, real(6)),
    case(ifft_then_irfft, real(6)),
    case(fft_padded, real(6)),
    case(fft_truncated_axis0, real(5, 3)),
    case(ifft_axis1_ortho, real(2, 6)),
    case(fft2_default, real(4, 5)),
    case(fft2_s_ortho, real(4, 5)),
    case(ifft2_axes, real(4, 5)),
    case(fftn_axes, real(4, 2, 6)),
    case(ifftn_s_forward, real(3, 2, 4)),
    case(rfft_filter, real(6)),
    case(rfft_odd_n, real(5)),
    case(rfft_truncated, real(6, 2)),
    case(irfft_default_n, real(7)),
    case(rfft2_filter, real(4, 5)),
    case(rfft2_s, real(4, 5)),
    case(rfftn_filter, real(3, 4, 5)),
    case(rfftn_axes_s, real(3, 2, 5)),
    case(fftshift_all, real(5)),
    case(fftshift_axis, real(3, 4)),
    case(ifftshift_axes, real(3, 4, 5)),
    case(shifts_compose, real(4, 5)),
]


@pytest.mark.parametrize("f, args, wrt, tol", PIPELINE)
def test_pipeline_second_order(f, args, wrt, tol):
    C = weight_for(f, *args)
    full = (*args, C)
    check_grad(f, *full, wrt=wrt, order=2, **tol)
    check_jvp(f, full, wrt, **tol)


@pytest.mark.parametrize(
    "body, x",
    [
        (lambda x: np.sum(np.sin(np.fft.irfft(np.fft.fft(x * x), 5))), real(5)),
        (
            lambda x: np.sum(np.cos(np.fft.irfft2(np.fft.rfft2(x) * K45, (4, 5)))),
            real(4, 5),
        ),
        (lambda x: np.sum(np.sin(np.fft.fftshift(x)) * x), real(4)),
    ],
    ids=["fft-irfft", "rfft2-filter", "fftshift"],
)
def test_dense_hessian(body, x):
    check_hessian(body, x)


def test_gradient_of_power_spectrum_closed_form():
    # Parseval through rfft's half spectrum: sum(|irfft(rfft(x))|^2) is
    # sum(x^2), gradient 2x
    def f(x):
        return np.sum(np.fft.irfft(np.fft.rfft(x), 8) ** 2)

    x = real(8)
    np.testing.assert_allclose(grad(f)(x), 2 * x, atol=1e-12)


# ---------------------------------------------------------------------------
# Real losses of real and complex arguments, with complex operations on the
# spectra (the complex convention: docs/subset.md, "Complex numbers")

H6 = cplx(6)  # a complex filter of a length-6 spectrum
H45 = cplx(4, 5)
Q45 = cplx(4, 3)  # of rfft2's half spectrum of a 4 x 5 array
W6 = real(6)


def check_jvp_complex(f, args, rtol=1e-5, atol=1e-7):
    """``jvp`` of ``f`` in a random direction of its first argument (complex
    for a complex argument) against central differences of ``f``."""
    rng = np.random.default_rng(11)
    x = args[0]
    t = rng.normal(size=np.shape(x))
    if np.iscomplexobj(x):
        t = t + 1j * rng.normal(size=np.shape(x))
    tangents = (t,) + tuple(np.zeros(np.shape(a)) for a in args[1:])
    value, t_out = jvp(f, tuple(args), tangents)
    eps = 1e-6
    numeric = (f(x + eps * t, *args[1:]) - f(x - eps * t, *args[1:])) / (2 * eps)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t_out, numeric, rtol=rtol, atol=atol)


def power_spectrum(x, C):
    return np.sum(np.abs(np.fft.fft(x * W6)) ** 2 * C)


def filtered_real_part(x, C):
    return np.sum(np.sin(np.real(np.fft.ifft(np.fft.fft(x) * H6))) * C)


def filtered_both_parts(x, C):
    y = np.fft.ifft(np.fft.fft(x, 8, norm="ortho") * np.exp(x[0, 0] * H6[0]), 5, 0)
    return np.sum((np.sin(np.real(y)) + np.cos(np.imag(y))) * C)


def rfft_complex_filter(x, C):
    return np.sum(np.sin(np.fft.irfft(np.fft.rfft(x) * H6[:4], 6)) * C)


def rfft_autoconvolution(x, C):
    spectrum = np.fft.rfft(x, 7, norm="forward")
    return np.sum(np.sin(np.fft.irfft(spectrum * spectrum, 7, norm="forward")) * C)


def irfft_of_complex(x, C):
    # x is the (complex) half spectrum itself
    return np.sum(np.sin(np.fft.irfft(x * x, 7, norm="ortho")) * C)


def fft2_complex(x, C):
    y = np.fft.fft2(x, (3, 6), norm="ortho")
    return np.sum(np.abs(y) ** 2 * C) + np.sum(np.sin(np.real(y * y)) * C)


def ifft2_conj(x, C):
    y = np.fft.ifft2(x * np.conj(H45), axes=(1, 0), norm="forward")
    return np.sum(np.cos(np.imag(y)) * C)


def fftn_phase(x, C):
    y = np.fft.fftn(x, axes=(0, 2))
    return np.sum(np.real(y * np.conj(y) * np.exp(1j * np.angle(y))) * C)


def ifftn_s(x, C):
    return np.sum(np.abs(np.fft.ifftn(np.sin(x), (2, 5), (2, 0))) ** 2 * C)


def rfft2_filter_of_x(x, C):
    spectrum = np.fft.rfft2(x) * (Q45 + np.fft.rfft2(x * x))
    return np.sum(np.sin(np.fft.irfft2(spectrum, (4, 5))) * C)


def rfftn_power(x, C):
    return np.sum(np.abs(np.fft.rfftn(x, (4, 2), axes=(2, 0))) ** 2 * C)


def irfftn_of_complex(x, C):
    return np.sum(np.sin(np.fft.irfftn(x, (4, 6), (0, 1), "forward")) * C)


def shift_of_spectrum(x, C):
    return np.sum(np.abs(np.fft.fftshift(np.fft.fft2(x), axes=1)) ** 2 * C)


COMPLEX_PIPELINE = [
    case(power_spectrum, real(6)),
    case(power_spectrum, cplx(6)),
    case(filtered_real_part, real(6)),
    case(filtered_real_part, cplx(6)),
    case(filtered_both_parts, cplx(6, 2)),
    case(rfft_complex_filter, real(6)),
    case(rfft_autoconvolution, real(5)),
    case(irfft_of_complex, cplx(4)),
    case(irfft_of_complex, cplx(5)),
    case(fft2_complex, cplx(4, 5)),
    case(fft2_complex, real(4, 5)),
    case(ifft2_conj, cplx(4, 5)),
    case(fftn_phase, cplx(3, 2, 4)),
    case(ifftn_s, real(3, 2, 4)),
    case(rfft2_filter_of_x, real(4, 5)),
    case(rfftn_power, real(3, 2, 5)),
    case(irfftn_of_complex, cplx(3, 4)),
    case(shift_of_spectrum, cplx(3, 4)),
]


@pytest.mark.parametrize("f, args, wrt, tol", COMPLEX_PIPELINE)
def test_complex_pipeline_second_order(f, args, wrt, tol):
    C = weight_for(f, *args)
    full = (*args, C)
    check_grad(f, *full, wrt=wrt, order=2, **tol)
    check_jvp_complex(f, full, **tol)


def test_power_spectrum_closed_form():
    # Parseval: sum |fft(x)|^2 = n sum |x|^2, gradient 2 n conj(x)
    def f(z):
        return np.sum(np.abs(np.fft.fft(z)) ** 2)

    z = cplx(6)
    np.testing.assert_allclose(grad(f)(z), 12 * np.conj(z), atol=1e-10)
    x = real(6)
    np.testing.assert_allclose(grad(f)(x), 12 * x, atol=1e-10)


def test_dense_hessian_of_power_spectrum():
    def f(x):
        return np.sum(np.abs(np.fft.fft(x * x, 7)) ** 2 * W6[0])

    check_hessian(f, real(4))


# d^3/dt^3 of f(t * u + w) against central differences of the second derivative


def third_fft(x):
    return np.sum(np.sin(np.fft.irfft(np.fft.fft(x, 5, norm="ortho"), 6)))


def third_rfftn(x):
    y = x.reshape(2, 3)
    return np.sum(np.sin(np.fft.irfftn(np.fft.rfftn(y), (2, 3), (0, 1))) * y)


def third_fftshift(x):
    return np.sum(np.sin(np.fft.fftshift(x * x)) * x)


def third_complex(x):
    y = np.fft.ifft(np.fft.fft(x) * H6)
    return np.sum(np.sin(np.real(y)) * np.abs(y) ** 2)


@pytest.mark.parametrize(
    "body", [third_fft, third_rfftn, third_fftshift, third_complex]
)
def test_third_order(body):
    def f(t, u, w):
        return body(t * u + w)

    u = np.array([0.7, -0.4, 1.1, 0.5, -0.2, 0.9])
    w = np.array([0.3, 1.2, -0.8, 0.45, 0.1, -0.6])
    d2 = grad(grad(f))
    d3 = grad(d2)(0.1, u, w)
    h = 1e-4
    numeric = (d2(0.1 + h, u, w) - d2(0.1 - h, u, w)) / (2 * h)
    np.testing.assert_allclose(d3, numeric, rtol=1e-5, atol=1e-6)


def test_third_order_in_a_complex_direction():
    # d^3/dt^3 of L(t u + w) with complex u and w
    u = cplx(6)
    w = cplx(6)

    def f(t):
        y = np.fft.fft2(np.reshape(t * u + w, (2, 3)), norm="ortho")
        return np.sum(np.abs(y) ** 2 * np.real(y))

    d2 = grad(grad(f))
    h = 1e-4
    numeric = (d2(0.3 + h) - d2(0.3 - h)) / (2 * h)
    np.testing.assert_allclose(grad(d2)(0.3), numeric, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------
# What is refused, and the records


def test_repeated_axes_are_refused():
    def f(x):
        return np.sum(np.fft.irfftn(np.fft.fftn(x, axes=(0, 0)), axes=(0, 1)))

    with pytest.raises(NoRuleError, match="repeated axis"):
        grad(f)(real(4, 4))


def test_runtime_n_and_s():
    def f(x):
        n = 2 * len(x)
        return np.sum(np.sin(np.fft.irfft(np.fft.rfft(x, n), n)))

    check_grad(f, real(5), order=2)

    def g(x):
        return np.sum(
            np.sin(np.fft.irfftn(np.fft.fftn(x, axes=(0, 1)), x.shape, (0, 1)))
        )

    check_grad(g, real(3, 4), order=2)


def test_runtime_s_without_axes_is_refused():
    def f(x):
        return np.sum(np.fft.irfftn(np.fft.fftn(x, x.shape)))

    with pytest.raises(NoRuleError, match="runtime `s` and axes=None"):
        grad(f)(real(3, 4))


def test_axis_from_a_parameter_is_compiled_for_its_value():
    # a parameter reaching `axis` specialises the code on its value
    def f(x, axis):
        return np.sum(np.sin(np.fft.irfft(np.fft.rfft(x * x, axis=axis), axis=axis)))

    for axis in (0, 1):
        check_grad(f, real(6, 4), axis, wrt=0, order=2)


def test_hfft_has_no_rule():
    def f(x):
        return np.sum(np.fft.hfft(x))

    with pytest.raises(NoRuleError, match="hfft"):
        grad(f)(real(6))


def test_frequencies_are_constants():
    def f(x):
        return np.sum(np.fft.fftfreq(6, 0.5) * x * x)

    x = real(6)
    np.testing.assert_allclose(grad(f)(x), 2 * np.fft.fftfreq(6, 0.5) * x)


FUNCTIONS = """fft ifft fft2 ifft2 fftn ifftn rfft irfft rfft2 irfft2 rfftn irfftn
fftshift ifftshift""".split()


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_function_has_reverse_and_tangent_rules(name):
    prim = lookup(getattr(np.fft, name))
    assert prim is not None and prim.differentiable and prim.name == f"np.fft.{name}"
    assert prim.jvps is not None and prim.jvps[0] is not None
    page = open("docs/numpy-coverage.md", encoding="utf-8").read()
    assert f"| `np.fft.{name}` | yes" in page
