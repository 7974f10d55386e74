"""Records of ``scipy.stats`` distributions' methods: ``pdf``, ``logpdf``,
``cdf``, ``logcdf``, ``sf``, ``logsf`` (``pmf``, ``logpmf`` for ``poisson``)
of ``norm``, ``t``, ``cauchy``, ``laplace``, ``logistic``, ``gamma``,
``beta``, ``chi2``, ``expon``, ``poisson``, and ``logpdf``/``pdf`` of
``multivariate_normal`` and ``dirichlet``.

Registered on demand (:mod:`.scipy_hook`). A method such as
``scipy.stats.norm.logpdf`` is a bound method of SciPy's distribution
object; its record is registered for that bound method (equal to every
later ``scipy.stats.norm.logpdf``, which is what a call's lookup sees).
The forward sweep calls SciPy; the rules are closed forms written with
registered primitives (``log``, ``gammaln``, ``digamma``, ...), so they are
differentiated again like any code.

A continuous distribution here is a location-scale family of a standard
density: with ``z = (x - loc) / scale`` and ``l(z, shapes)`` the standard
log-density, ``logpdf = l(z) - log(scale)``; its partials follow from
``dl/dz`` and ``dl/dshape``. The cdf's partials in ``x``, ``loc`` and
``scale`` are the density's; in the shape parameters (``df`` of ``t`` and
``chi2``, ``a``/``b`` of ``gamma`` and ``beta``) they have no closed form
in registered functions, so a gradient that depends on one raises
:class:`NonDifferentiableError`. ``poisson``'s ``k`` and ``loc`` are
integers: no derivative (an error likewise); its cdf's derivative in
``mu`` is ``-pmf(floor(k), mu)``. Outside a density's support the
derivatives are 0.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
import scipy.stats

from ..errors import NoRuleError
from .elementwise import broadcast_like, ub
from .registry import define
from .runtime_helpers import real_operand
from .symbolic import Sym
from .scipy_special import (
    LOG_SQRT_2PI,
    betaln,
    digamma,
    elementwise,
    gammaln,
    xlogy,
)

STATS = scipy.stats
LOG_PI = math.log(math.pi)
LOG_2 = math.log(2.0)


def _method(
    dist: str,
    method: str,
    spec: str,
    partials: Sequence[Any],
    integers: Sequence[str] = (),
) -> None:
    """Register ``scipy.stats.<dist>.<method>`` from its partial derivatives."""
    elementwise(
        getattr(getattr(STATS, dist), method),
        spec,
        partials,
        name=f"scipy.stats.{dist}.{method}",
        render=("call", STATS, (dist, method)),
        hint=f"{dist}_{method}",
        categories=(),
        integers=integers,
    )


class Family:
    """A standard log-density ``l(z, *shapes)``, its derivatives in ``z``
    and in each shape parameter, and its support (a mask of ``z``, with a
    point inside it to evaluate the formulas at elsewhere)."""

    def __init__(
        self,
        shapes: Sequence[str],
        log_density: Callable,
        dz: Callable,
        dshapes: Sequence[Callable] = (),
        support: Callable | None = None,
        inside: float = 0.0,
    ):
        self.shapes = tuple(shapes)
        self.log_density = log_density
        self.dz = dz
        self.dshapes = tuple(dshapes)
        self.support = support
        self.inside = inside

    def standard(self, args: Sequence[Any]) -> tuple:
        """``(z, z inside the support, mask or None, shapes, scale)``."""
        x, *rest = args
        shapes, loc, scale = rest[: len(self.shapes)], rest[-2], rest[-1]
        # the densities of real variables: complex arguments are refused
        z = real_operand((x - loc) / scale, "a scipy.stats distribution")
        if self.support is None:
            return z, z, None, shapes, scale
        mask = self.support(z)
        return z, np.where(mask, z, self.inside), mask, shapes, scale


def _finite(ans: Any) -> Any:
    """A log-probability, with 0 where it is -inf: there (outside the
    support) the density's logarithm is -inf too, and exp(-inf - 0) is the
    derivative 0, where exp(-inf + inf) would be nan."""
    return np.where(np.isfinite(ans), ans, 0.0)


def _masked(value: Any, mask: Any, outside: float = 0.0) -> Any:
    return value if mask is None else np.where(mask, value, outside)


def _logpdf_partials(family: Family, of_pdf: bool) -> list:
    """Partials of logpdf (of pdf: ans times those) in x, shapes, loc, scale."""

    def scaled(make: Callable) -> Callable:
        def partial(ans, *args):
            z, zs, mask, shapes, scale = family.standard(args)
            d = _masked(make(z, zs, shapes, scale), mask)
            return ans * d if of_pdf else d

        return partial

    dz = family.dz
    partials = [scaled(lambda z, zs, s, scale: dz(zs, *s) / scale)]
    for k in range(len(family.shapes)):
        partials.append(scaled(lambda z, zs, s, scale, k=k: family.dshapes[k](zs, *s)))
    partials.append(scaled(lambda z, zs, s, scale: -dz(zs, *s) / scale))
    partials.append(scaled(lambda z, zs, s, scale: -(z * dz(zs, *s) + 1.0) / scale))
    return partials


def _cdf_partials(family: Family, sign: float, logarithm: bool) -> list:
    """Partials of cdf (sign 1) or sf (sign -1), or of their logarithms, in
    x, loc and scale (the shapes have none here)."""

    def scaled(factor: Callable) -> Callable:
        def partial(ans, *args):
            z, zs, mask, shapes, scale = family.standard(args)
            log_p = _masked(family.log_density(zs, *shapes), mask, -np.inf)
            p = np.exp(log_p - _finite(ans)) if logarithm else np.exp(log_p)
            return sign * p * factor(z, scale)

        return partial

    return [
        scaled(lambda z, scale: 1.0 / scale),
        *([None] * len(family.shapes)),
        scaled(lambda z, scale: -1.0 / scale),
        scaled(lambda z, scale: -z / scale),
    ]


def continuous(dist: str, family: Family) -> None:
    """Register pdf, logpdf, cdf, logcdf, sf and logsf of ``dist``."""
    spec = ", ".join(("x",) + family.shapes + ("loc=0.0", "scale=1.0"))
    _method(dist, "logpdf", spec, _logpdf_partials(family, False))
    _method(dist, "pdf", spec, _logpdf_partials(family, True))
    _method(dist, "cdf", spec, _cdf_partials(family, 1.0, False))
    _method(dist, "logcdf", spec, _cdf_partials(family, 1.0, True))
    _method(dist, "sf", spec, _cdf_partials(family, -1.0, False))
    _method(dist, "logsf", spec, _cdf_partials(family, -1.0, True))


# ---------------------------------------------------------------------------
# Continuous distributions


def _t_log_density(z, df):
    return (
        gammaln(0.5 * (df + 1.0))
        - gammaln(0.5 * df)
        - 0.5 * (np.log(df) + LOG_PI)
        - 0.5 * (df + 1.0) * np.log1p(z * z / df)
    )


def _t_ddf(z, df):
    z2 = z * z
    return (
        0.5 * digamma(0.5 * (df + 1.0))
        - 0.5 * digamma(0.5 * df)
        - 0.5 / df
        - 0.5 * np.log1p(z2 / df)
        + 0.5 * (df + 1.0) * z2 / (df * (df + z2))
    )


continuous("norm", Family((), lambda z: -0.5 * z * z - LOG_SQRT_2PI, lambda z: -z))
continuous(
    "t",
    Family(
        ("df",),
        _t_log_density,
        lambda z, df: -(df + 1.0) * z / (df + z * z),
        (_t_ddf,),
    ),
)
continuous(
    "cauchy",
    Family((), lambda z: -LOG_PI - np.log1p(z * z), lambda z: -2.0 * z / (1.0 + z * z)),
)
continuous("laplace", Family((), lambda z: -LOG_2 - np.abs(z), lambda z: -np.sign(z)))
continuous(
    "logistic",
    Family(
        (),
        lambda z: -np.abs(z) - 2.0 * np.log1p(np.exp(-np.abs(z))),
        lambda z: -np.tanh(0.5 * z),
    ),
)
continuous(
    "expon",
    Family((), lambda z: -z, lambda z: -1.0, support=lambda z: z >= 0.0),
)
continuous(
    "gamma",
    Family(
        ("a",),
        lambda z, a: (a - 1.0) * np.log(z) - z - gammaln(a),
        lambda z, a: (a - 1.0) / z - 1.0,
        (lambda z, a: np.log(z) - digamma(a),),
        support=lambda z: z > 0.0,
        inside=1.0,
    ),
)
continuous(
    "chi2",
    Family(
        ("df",),
        lambda z, df: (0.5 * df - 1.0) * np.log(z)
        - 0.5 * z
        - 0.5 * df * LOG_2
        - gammaln(0.5 * df),
        lambda z, df: (0.5 * df - 1.0) / z - 0.5,
        (lambda z, df: 0.5 * (np.log(z) - LOG_2 - digamma(0.5 * df)),),
        support=lambda z: z > 0.0,
        inside=1.0,
    ),
)
continuous(
    "beta",
    Family(
        ("a", "b"),
        lambda z, a, b: (a - 1.0) * np.log(z) + (b - 1.0) * np.log1p(-z) - betaln(a, b),
        lambda z, a, b: (a - 1.0) / z - (b - 1.0) / (1.0 - z),
        (
            lambda z, a, b: np.log(z) - digamma(a) + digamma(a + b),
            lambda z, a, b: np.log1p(-z) - digamma(b) + digamma(a + b),
        ),
        support=lambda z: np.logical_and(z > 0.0, z < 1.0),
        inside=0.5,
    ),
)

# ---------------------------------------------------------------------------
# poisson: derivatives in mu only (k and loc are integers)


def _poisson_log_pmf(n, mu):
    """log pmf(n; mu) in registered functions: -inf outside n = 0, 1, 2, ..."""
    inside = np.logical_and(n >= 0, n == np.floor(n))
    ns = np.where(inside, n, 0.0)
    return np.where(inside, xlogy(ns, mu) - mu - gammaln(ns + 1.0), -np.inf)


def _poisson_logpmf_mu(ans, k, mu, loc):
    n = k - loc
    inside = np.logical_and(n >= 0, n == np.floor(n))
    return np.where(inside, n / mu - 1.0, 0.0)


def _poisson_cdf_mu(sign: float, logarithm: bool) -> Callable:
    # d/dmu P(K <= k) = -pmf(floor(k); mu); the sf's is its negative
    def partial(ans, k, mu, loc):
        log_p = _poisson_log_pmf(np.floor(k - loc), mu)
        return sign * (np.exp(log_p - _finite(ans)) if logarithm else np.exp(log_p))

    return partial


_POISSON = "k, mu, loc=0"
_method(
    "poisson", "logpmf", _POISSON, [None, _poisson_logpmf_mu, None], integers=("k",)
)
_method(
    "poisson",
    "pmf",
    _POISSON,
    [None, lambda ans, k, mu, loc: ans * _poisson_logpmf_mu(ans, k, mu, loc), None],
    integers=("k",),
)
_method(
    "poisson",
    "cdf",
    _POISSON,
    [None, _poisson_cdf_mu(-1.0, False), None],
    integers=("k",),
)
_method(
    "poisson",
    "logcdf",
    _POISSON,
    [None, _poisson_cdf_mu(-1.0, True), None],
    integers=("k",),
)
_method(
    "poisson",
    "sf",
    _POISSON,
    [None, _poisson_cdf_mu(1.0, False), None],
    integers=("k",),
)
_method(
    "poisson",
    "logsf",
    _POISSON,
    [None, _poisson_cdf_mu(1.0, True), None],
    integers=("k",),
)

# ---------------------------------------------------------------------------
# multivariate_normal: x (..., d) points, mean (d,), cov a (d, d) matrix
# (a cov of another rank known at compile time is refused; one whose rank is
# only known at run time fails there, in NumPy's shape checks)
#
# logpdf = -(d log(2 pi) + log det cov + r cov^-1 r) / 2, r = x - mean; with
# s = cov^-1 r (cov symmetric): d/dx = -s, d/dmean = s, d/dcov =
# (s s^T - cov^-1) / 2, each times g and summed over the points.


def _nonsingular(allow_singular: Any) -> None:
    if allow_singular is not False:
        raise NoRuleError(
            "scipy.stats.multivariate_normal with allow_singular=True has no "
            "derivative rule (a singular covariance has no inverse)",
            hint="leave allow_singular=False: the derivatives use cov's inverse",
        )


def _rank(value: Any) -> int | None:
    """The rank of a constant, or of a graph value whose rank is known."""
    if isinstance(value, Sym):
        return value.value.ndim
    return np.ndim(value)


def _mvn_solved(x: Any, mean: Any, cov: Any) -> tuple:
    """``(cov^-1, s)``: the points' residuals solved against cov, (..., d)."""
    if _rank(cov) not in (None, 2):
        raise NoRuleError(
            "scipy.stats.multivariate_normal is differentiated with `cov` a "
            f"matrix (d, d), not of rank {_rank(cov)}",
            hint="pass the covariance matrix (np.diag(variances), or "
            "variance * np.eye(d))",
        )
    inverse = np.linalg.inv(cov)
    r = x if mean is None else x - mean
    return inverse, r @ inverse


def _points(value: Any, cov: Any) -> Any:
    """``value`` (..., d) as a matrix of rows (n, d)."""
    return np.reshape(value, (-1, np.shape(cov)[-1]))


def _mvn_cov_adjoint(g: Any, cov: Any, inverse: Any, s: Any) -> Any:
    weighted = _points(np.expand_dims(g, -1) * s, cov)
    return 0.5 * (np.transpose(weighted) @ _points(s, cov) - np.sum(g) * inverse)


def _mvn_rules(of_pdf: bool) -> tuple:
    """Reverse and tangent rules of logpdf (of pdf: ans times those)."""

    def scale(d, ans):
        return ans * d if of_pdf else d

    def for_x(g, ans, x, mean=None, cov=1, allow_singular=False):
        _nonsingular(allow_singular)
        _, s = _mvn_solved(x, mean, cov)
        return ub(-np.expand_dims(scale(g, ans), -1) * s, x)

    def for_mean(g, ans, x, mean=None, cov=1, allow_singular=False):
        _nonsingular(allow_singular)
        _, s = _mvn_solved(x, mean, cov)
        return ub(np.expand_dims(scale(g, ans), -1) * s, mean)

    def for_cov(g, ans, x, mean=None, cov=1, allow_singular=False):
        _nonsingular(allow_singular)
        inverse, s = _mvn_solved(x, mean, cov)
        return _mvn_cov_adjoint(scale(g, ans), cov, inverse, s)

    def tangent_x(t, ans, x, mean=None, cov=1, allow_singular=False):
        _nonsingular(allow_singular)
        _, s = _mvn_solved(x, mean, cov)
        return broadcast_like(scale(-np.sum(t * s, axis=-1), ans), ans)

    def tangent_mean(t, ans, x, mean=None, cov=1, allow_singular=False):
        _nonsingular(allow_singular)
        _, s = _mvn_solved(x, mean, cov)
        return broadcast_like(scale(np.sum(t * s, axis=-1), ans), ans)

    def tangent_cov(t, ans, x, mean=None, cov=1, allow_singular=False):
        _nonsingular(allow_singular)
        inverse, s = _mvn_solved(x, mean, cov)
        quadratic = np.sum((s @ t) * s, axis=-1)
        d = 0.5 * (quadratic - np.sum(inverse * np.transpose(t)))
        return broadcast_like(scale(d, ans), ans)

    return (for_x, for_mean, for_cov, None), (
        tangent_x,
        tangent_mean,
        tangent_cov,
        None,
    )


for _name, _of_pdf in (("logpdf", False), ("pdf", True)):
    _reverse, _tangent = _mvn_rules(_of_pdf)
    define(
        getattr(STATS.multivariate_normal, _name),
        *_reverse,
        tangent=_tangent,
        static=("allow_singular",),
        name=f"scipy.stats.multivariate_normal.{_name}",
        render=("call", STATS, ("multivariate_normal", _name)),
        hint=f"multivariate_normal_{_name}",
    )

# ---------------------------------------------------------------------------
# dirichlet: x (k,) or (k, n) (points in columns), alpha (k,)
#
# logpdf = gammaln(sum alpha) - sum gammaln(alpha) + sum((alpha - 1) log x)
# over the first axis. Transposed, the points are rows and alpha broadcasts
# along the last axis (a vector is its own transpose).


def _dirichlet_rules(of_pdf: bool) -> tuple:
    def scale(d, ans):
        return ans * d if of_pdf else d

    def alpha_terms(alpha):
        return digamma(np.sum(alpha)) - digamma(alpha)

    def for_x(g, ans, x, alpha):
        rows = np.transpose(x)
        d = np.expand_dims(scale(g, ans), -1) * (alpha - 1.0) / rows
        return np.transpose(d)

    def for_alpha(g, ans, x, alpha):
        gs = scale(g, ans)
        rows = np.log(np.transpose(x))
        return ub(np.expand_dims(gs, -1) * rows, alpha) + np.sum(gs) * alpha_terms(
            alpha
        )

    def tangent_x(t, ans, x, alpha):
        d = np.sum(np.transpose(t) * (alpha - 1.0) / np.transpose(x), axis=-1)
        return scale(d, ans)

    def tangent_alpha(t, ans, x, alpha):
        rows = np.log(np.transpose(x)) + alpha_terms(alpha)
        return scale(np.sum(t * rows, axis=-1), ans)

    return (for_x, for_alpha), (tangent_x, tangent_alpha)


for _name, _of_pdf in (("logpdf", False), ("pdf", True)):
    _reverse, _tangent = _dirichlet_rules(_of_pdf)
    define(
        getattr(STATS.dirichlet, _name),
        *_reverse,
        tangent=_tangent,
        name=f"scipy.stats.dirichlet.{_name}",
        render=("call", STATS, ("dirichlet", _name)),
        hint=f"dirichlet_{_name}",
    )
