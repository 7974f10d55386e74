"""Records of the calls that act outside their arguments: random draws,
output (``print``, ``logging``, ``warnings.warn``), assertions, and the text
formatting that output reads; with them, the type tests asked at run time
(``isinstance``, ``callable``, ``is``) and NumPy's casts (``np.float64(x)``).

Every record here is *impure* (:attr:`Primitive.impure`): the op runs
exactly once per forward sweep, where the function's source has it, and
nothing moves, merges, drops, folds or repeats it. A draw's result is kept
for the backward sweep like any other forward value (saved, never drawn
again), so the generator's state after a call is the state Python leaves.

Derivatives: a draw has none with respect to anything (its generator, its
sizes); a value the gradient depends on reaching one (``rng.normal(mu,
sigma)`` with ``mu`` differentiated) is refused with the hint to write
``mu + sigma * rng.standard_normal(size)`` (the same numbers, and the
reparameterisation has a derivative). Output and assertions read values
without contributing to the result.

The draws of a generator object are method calls in generated code
(``rs.randn(3)``): one record per method name, whose first argument is the
generator (a free value, a parameter or a local ``np.random.default_rng``).
The functions of :mod:`numpy.random` (``np.random.normal``) are methods of
NumPy's global generator and go the same way.
"""

from __future__ import annotations

import ast
import builtins
import logging
import operator
import warnings
from typing import Any

import numpy as np

from .record import Primitive
from .registry import ITSELF, define, defvjp, linear, lookup, nondifferentiable

#: Methods of ``np.random.Generator`` and ``np.random.RandomState`` that draw
#: (none of them is an array method).
DRAW_METHODS = frozenset(
    {
        "beta",
        "binomial",
        "bytes",
        "chisquare",
        "choice",
        "dirichlet",
        "exponential",
        "gamma",
        "geometric",
        "gumbel",
        "integers",
        "laplace",
        "logistic",
        "lognormal",
        "multinomial",
        "multivariate_normal",
        "normal",
        "permutation",
        "poisson",
        "rand",
        "randint",
        "randn",
        "random",
        "random_integers",
        "random_sample",
        "rayleigh",
        "seed",
        "standard_cauchy",
        "standard_exponential",
        "standard_gamma",
        "standard_normal",
        "standard_t",
        "triangular",
        "uniform",
        "vonmises",
        "wald",
        "weibull",
        "zipf",
    }
)

#: Generator methods refused, with what to write instead.
REFUSED_METHODS = {
    "shuffle": "shuffle changes the array in place; write "
    "x = x[rng.permutation(len(x))] (the same order for the same seed)",
}

#: Legacy methods whose sizes are spread out (``rs.randn(2, 3)``).
SPREAD_METHODS = frozenset({"rand", "randn"})

#: What a generator is.
GENERATORS = (np.random.RandomState, np.random.Generator)

#: What to write instead of a draw whose parameters are differentiated.
DRAW_HINT = (
    "a draw has no derivative: draw standard noise and transform it, e.g. "
    "mu + sigma * rng.standard_normal(size) instead of rng.normal(mu, sigma, size)"
)

#: Logger methods that write a record.
LOG_METHODS = frozenset(
    {"debug", "info", "warning", "error", "critical", "exception", "log"}
)


def is_generator(obj: Any) -> bool:
    """Whether ``obj`` is a NumPy random generator (either kind)."""
    return isinstance(obj, GENERATORS)


def _signature(g, ans, generator, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
    """The signature of a draw (after a rule's ``g, ans``): the generator,
    then anything."""


def _impure(prim: Primitive, statement: bool = False) -> Primitive:
    prim.impure = True
    prim.statement = statement
    return prim


def _draw_record(name: str, spread: bool) -> Primitive:
    """The record of ``generator.name(...)`` (``spread``: ``name(*sizes)``)."""

    if spread:

        def draw(generator: Any, sizes: tuple) -> Any:
            return getattr(generator, name)(*sizes)

        render = ("method_spread", name)
        label = f"{name}_spread"
    else:

        def draw(generator: Any, *args: Any, **kwargs: Any) -> Any:
            return getattr(generator, name)(*args, **kwargs)

        render = ("method", name)
        label = name
    draw.__name__ = draw.__qualname__ = f"draw_{label}"
    draw.__module__ = __name__
    # one None rule for each of (generator, args, kwargs): a differentiated
    # value reaching a draw is refused (DRAW_HINT), never a silent zero
    prim = defvjp(
        draw,
        None,
        None,
        None,
        name=f"random generator method .{name}()",
        render=render,
        hint="draw",
        signature_of=_signature,
        integers=(),
    )
    prim.jvps = (None, None, None)
    prim.no_rule_hint = DRAW_HINT
    return _impure(prim)


_DRAWS = {name: _draw_record(name, False) for name in sorted(DRAW_METHODS)}
_SPREAD_DRAWS = {name: _draw_record(name, True) for name in sorted(SPREAD_METHODS)}


def draw_record(name: str, spread: bool = False) -> Primitive:
    """The record of the draw ``generator.name(...)``; ``spread``: its sizes
    are one runtime tuple spread out (``rs.randn(*x.shape)``)."""
    return (_SPREAD_DRAWS if spread else _DRAWS)[name]


# generators made inside the function: a new object at each call (never
# made once at compile time, nor shared between two calls)
for _fn, _path in (
    (np.random.default_rng, ("random", "default_rng")),
    (np.random.RandomState, ("random", "RandomState")),
    (np.random.seed, ("random", "seed")),
):
    _impure(nondifferentiable(_fn, f"np.{'.'.join(_path)}", ("call", np, _path), "rng"))
del _fn, _path


def _log_record(name: str) -> Primitive:
    """The record of ``logger.name(...)`` for a :class:`logging.Logger`."""

    def log(logger: Any, *args: Any, **kwargs: Any) -> None:
        return getattr(logger, name)(*args, **kwargs)

    log.__name__ = log.__qualname__ = f"logger_{name}"
    log.__module__ = __name__
    prim = nondifferentiable(log, f"Logger.{name}", ("method", name), "logged")
    return _impure(prim, statement=True)


_LOGGER_METHODS = {name: _log_record(name) for name in sorted(LOG_METHODS)}


def logger_record(name: str) -> Primitive:
    """The record of the logger method ``name`` (one of :data:`LOG_METHODS`)."""
    return _LOGGER_METHODS[name]


#: Functions called as statements for their output.
OUTPUT_FUNCTIONS: dict[Any, str] = {builtins.print: "print"}
_impure(nondifferentiable(builtins.print, "print", hint="printed"), statement=True)
for _name in sorted(LOG_METHODS):
    _fn = getattr(logging, _name)
    OUTPUT_FUNCTIONS[_fn] = f"logging.{_name}"
    _impure(
        nondifferentiable(_fn, f"logging.{_name}", ("call", logging, (_name,))),
        statement=True,
    )
OUTPUT_FUNCTIONS[warnings.warn] = "warnings.warn"
_impure(
    nondifferentiable(warnings.warn, "warnings.warn", ("call", warnings, ("warn",))),
    statement=True,
)
del _name, _fn


def check_assertion(condition: Any, *message: Any) -> None:
    """``assert condition, message``: raises AssertionError as Python does."""
    if not condition:
        raise AssertionError(*message)


_impure(nondifferentiable(check_assertion, hint="checked"), statement=True)


# -- text: what output reads (no derivative; never read by the result) -----


def format_value(value: Any, spec: str, conversion: str) -> str:
    """One ``{value!conversion:spec}`` field of an f-string."""
    if conversion == "s":
        value = str(value)
    elif conversion == "r":
        value = repr(value)
    elif conversion == "a":
        value = ascii(value)
    return format(value, spec)


def join_text(*pieces: str) -> str:
    """The pieces of an f-string, joined."""
    return "".join(pieces)


def percent_format(template: str, values: Any) -> str:
    """``template % values``."""
    return template % values


def format_method(template: str, *args: Any, **kwargs: Any) -> str:
    """``template.format(*args, **kwargs)``."""
    return template.format(*args, **kwargs)


for _fn in (format_value, join_text, percent_format, format_method, builtins.repr):
    nondifferentiable(_fn, hint="text")
with warnings.catch_warnings():  # np.str is looked up, and NumPy warns
    warnings.simplefilter("ignore", FutureWarning)
    nondifferentiable(builtins.str, hint="text")
del _fn


# -- type and identity tests asked at run time ------------------------------
nondifferentiable(builtins.isinstance, hint="is_instance")
nondifferentiable(builtins.callable, hint="is_callable")
nondifferentiable(operator.is_, "is", ("compare", ast.Is()), "is_none")
nondifferentiable(operator.is_not, "is not", ("compare", ast.IsNot()), "is_not_none")


# -- what assertions test ----------------------------------------------------
for _fn in (np.all, np.any):
    if lookup(_fn) is None:
        nondifferentiable(_fn, categories=("reduction",))
del _fn


# -- casts ---------------------------------------------------------------
#: NumPy's casts: np.float64(x) and np.float32(x) are the identity for
#: derivatives of reals (of a complex x, they keep its real part: the
#: adjoint's real part); integer and bool casts have none. Of an array of
#: that dtype, NumPy returns the array itself.
CASTS = (np.float64, np.float32, np.int64, np.int32, np.intp, np.bool_)
for _cast in CASTS[:2]:
    define(_cast, lambda g, ans, x: np.real(g), tangent=linear(0), memory=ITSELF)
for _cast in CASTS[2:]:
    nondifferentiable(_cast, memory=ITSELF)
del _cast
