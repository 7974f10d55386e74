"""Every rule in the registry, to second order, against finite differences.

For every differentiable record (a reverse rule for at least one
argument), built in or registered when SciPy imports, the sample of
tests/support/samples.py is wrapped as ``loss = sum(sin(body(*args)) * C)``
(``C`` a fixed random weight of the result's shape) and checked:

- the gradient against central differences of ``loss``;
- reverse over reverse: the gradient of ``<grad loss, v>`` (a
  Hessian-vector product computed by differentiating the generated
  gradient's code again);
- forward over reverse: ``hvp`` (the tangent of the generated gradient);

both against central differences of the gradient along ``v``. A record
without a sample fails :func:`test_every_record_has_a_sample`, which lists
it: a new rule adds one entry to ``SAMPLES`` (see tests/support/samples.py).
A helper that only generated code calls may name, instead, the record whose
generated code reaches it (``via``); that is checked too.

Every function generated code calls is a record (else its derivatives are
unknown and higher orders fail): :func:`test_generated_code_calls_only_records`
walks the namespaces of the code generated for every sample, and
:func:`test_every_public_helper_is_a_record` the helpers' modules.
"""

from __future__ import annotations

import functools
import inspect
import types
import zlib
from typing import Any, Callable

import numpy as np
import pytest

import adcompiler
from adcompiler import grad, hvp, numerical_grad, runtime
from adcompiler.callables import generated_definition
from adcompiler.primitives import array_helpers, norms, scipy_special
from adcompiler.primitives.record import Primitive, lookup, registered
from support.samples import Sample, all_samples, record_key

try:  # SciPy's records register when SciPy is imported and first looked up
    import scipy.special
    import scipy.stats  # noqa: F401

    lookup(scipy.special.gammaln)
    lookup(scipy.stats.norm.logpdf)
except ImportError:  # pragma: no cover
    pass


def _built_in(prim: Primitive) -> bool:
    """Not a record a test module registered."""
    module = getattr(prim.fn, "__module__", None) or ""
    return not module.split(".")[-1].startswith(("test_", "conftest"))


def _has_rules(prim: Primitive) -> bool:
    """A reverse rule for at least one argument (the records of random
    draws and np.arange have None for every argument: a differentiated
    value reaching them is an error, which tests/test_frontend_effects.py
    checks). The runtime's in-place sums have none either, but the lowering
    rewrites them into plain sums, so calls of them differentiate (checked)."""
    if prim.vjps is None:
        return False
    if getattr(prim.fn, "__module__", None) == runtime.__name__:
        return True
    return any(rule is not None for rule in prim.vjps)


RECORDS = {record_key(p): p for p in registered() if _built_in(p) and _has_rules(p)}
SAMPLES = all_samples()

#: Records with no sample here, each with the reason. Empty: every record
#: with a rule has one.
SKIPPED: dict[str, str] = {}

DIRECT = sorted(k for k, s in SAMPLES.items() if s.via is None and k in RECORDS)
REACHED = sorted(k for k, s in SAMPLES.items() if s.via is not None and k in RECORDS)


def test_every_record_has_a_sample() -> None:
    missing = sorted(set(RECORDS) - set(SAMPLES) - set(SKIPPED))
    assert missing == [], (
        "records without a sample in tests/support/samples.py (add one entry "
        f"each): {missing}"
    )


def test_every_sample_names_a_record() -> None:
    stale = sorted(set(SAMPLES) - set(RECORDS))
    assert stale == [], f"samples of no differentiable record: {stale}"
    for key, sample in SAMPLES.items():
        if sample.via is not None:
            assert sample.via in SAMPLES and SAMPLES[sample.via].via is None, key


# -- the scalar losses -----------------------------------------------------


def _loss(body: Callable, n: int) -> Callable:
    """``sum(sin(body(*args)) * C)`` for ``n`` arguments (named parameters:
    check_grad and wrt count them)."""
    if n == 1:

        def loss(a, C):
            return np.sum(np.sin(body(a)) * C)

    elif n == 2:

        def loss(a, b, C):
            return np.sum(np.sin(body(a, b)) * C)

    elif n == 3:

        def loss(a, b, c, C):
            return np.sum(np.sin(body(a, b, c)) * C)

    elif n == 4:

        def loss(a, b, c, d, C):
            return np.sum(np.sin(body(a, b, c, d)) * C)

    else:
        assert n == 5, "samples take 1 to 5 arguments"

        def loss(a, b, c, d, e, C):
            return np.sum(np.sin(body(a, b, c, d, e)) * C)

    return loss


def _projected(gradient: Callable, n: int) -> Callable:
    """``<grad loss, v>``: its gradient is the Hessian times ``v``."""
    if n == 1:

        def inner(a, C, va):
            (ga,) = gradient(a, C)
            return np.sum(ga * va)

    elif n == 2:

        def inner(a, b, C, va, vb):
            ga, gb = gradient(a, b, C)
            return np.sum(ga * va) + np.sum(gb * vb)

    elif n == 3:

        def inner(a, b, c, C, va, vb, vc):
            ga, gb, gc = gradient(a, b, c, C)
            return np.sum(ga * va) + np.sum(gb * vb) + np.sum(gc * vc)

    elif n == 4:

        def inner(a, b, c, d, C, va, vb, vc, vd):
            ga, gb, gc, gd = gradient(a, b, c, d, C)
            return np.sum(ga * va) + np.sum(gb * vb) + np.sum(gc * vc) + np.sum(gd * vd)

    else:

        def inner(a, b, c, d, e, C, va, vb, vc, vd, ve):
            ga, gb, gc, gd, ge = gradient(a, b, c, d, e, C)
            return (
                np.sum(ga * va)
                + np.sum(gb * vb)
                + np.sum(gc * vc)
                + np.sum(gd * vd)
                + np.sum(ge * ve)
            )

    return inner


def _like(x: Any, rng: np.random.Generator) -> Any:
    if isinstance(x, float):
        return float(rng.normal())
    return rng.normal(size=np.shape(x))


class _Compiled:
    """The losses and derivative functions of one sample (compiled once)."""

    def __init__(self, key: str, sample: Sample):
        self.key, self.sample = key, sample
        self.n = len(sample.args)
        self.wrt = tuple(range(self.n))
        with np.errstate(all="ignore"):
            shape = np.shape(sample.body(*sample.args))
        rng = np.random.default_rng(zlib.crc32(key.encode()))
        self.C = float(rng.normal()) if shape == () else rng.normal(size=shape)
        self.loss = _loss(sample.body, self.n)
        self.gradient = grad(self.loss, wrt=self.wrt)
        self.projected = grad(_projected(self.gradient, self.n), wrt=self.wrt)
        self.v = tuple(_like(a, rng) for a in sample.args)


@functools.cache
def compiled(key: str) -> _Compiled:
    return _Compiled(key, SAMPLES[key])


def _close(what: str, got: tuple, expected: tuple, rtol: float, atol: float) -> None:
    scale = max(float(np.max(np.abs(e))) if np.size(e) else 0.0 for e in expected)
    for k, (a, e) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(
            np.asarray(a, dtype=float),
            np.asarray(e, dtype=float),
            rtol=rtol,
            atol=atol + rtol * scale,
            err_msg=f"{what}, argument {k}",
        )


def _shifted(args: tuple, v: tuple, h: float) -> tuple:
    return tuple(
        a + h * t if isinstance(a, float) else np.asarray(a) + h * t
        for a, t in zip(args, v)
    )


@pytest.mark.parametrize("key", DIRECT)
def test_second_order(key: str) -> None:
    c = compiled(key)
    args, full = c.sample.args, (*c.sample.args, c.C)
    rtol, atol = c.sample.rtol, c.sample.atol
    with np.errstate(all="ignore"):
        gradient = c.gradient(*full)
        numeric = numerical_grad(c.loss, *full, wrt=c.wrt, eps=c.sample.eps / 10)
        _close(f"{key}: gradient", gradient, numeric, rtol, atol)
        h = c.sample.eps
        up = c.gradient(*_shifted(args, c.v, h), c.C)
        down = c.gradient(*_shifted(args, c.v, -h), c.C)
        expected = tuple((u - d) / (2 * h) for u, d in zip(up, down))
        rev = c.projected(*full, *c.v)
        _close(f"{key}: reverse over reverse", rev, expected, rtol * 10, atol * 10)
        fwd = hvp(c.loss, wrt=c.wrt)(*full, c.v)
        _close(f"{key}: forward over reverse", fwd, expected, rtol * 10, atol * 10)


# -- what generated code calls ----------------------------------------------


def _called(fn: types.FunctionType, seen: set) -> set:
    """The objects the generated code of ``fn`` and of the halves it calls
    (transformed again: their own generated code) may call."""
    found: set = set()
    if fn.__code__ in seen:
        return found
    seen.add(fn.__code__)
    names = set(fn.__code__.co_names)
    for name, obj in fn.__globals__.items():
        if name not in names or not callable(obj):
            continue
        definition = generated_definition(obj)
        if definition is not None:
            found |= _called(definition, seen)
        elif not isinstance(obj, type) or obj in (np.float64, np.float32, list):
            try:
                found.add(obj)
            except TypeError:  # unhashable: no record can be looked up either
                found.add(id(obj))
    for const in fn.__code__.co_consts:  # nested defs (loop bodies)
        if isinstance(const, types.CodeType):
            names |= set(const.co_names)
    return found


def _generated(c: _Compiled) -> set:
    """What the first- and second-order code of a sample may call."""
    found: set = set()
    seen: set = set()
    full = (*c.sample.args, c.C)
    with np.errstate(all="ignore"):
        c.gradient(*full)
        c.projected(*full, *c.v)
    for transformed in (c.gradient, c.projected):
        found |= _called(transformed._current().generated.fn, seen)
    return found


def _library(obj: Any) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.startswith("adcompiler")


def test_generated_code_calls_only_records() -> None:
    unrecorded = set()
    for key in DIRECT:
        try:
            called = _generated(compiled(key))
        except adcompiler.ADError:  # reported by test_second_order[key]
            continue
        for obj in called:
            if isinstance(obj, int) or not _library(obj):
                continue
            if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
                if lookup(obj) is None and not hasattr(obj, "__adcompiler_made_by__"):
                    unrecorded.add(f"{obj.__module__}.{obj.__qualname__} ({key})")
    assert sorted(unrecorded) == []


@pytest.mark.parametrize("key", REACHED)
def test_a_helper_is_reached_from_its_sample(key: str) -> None:
    target = RECORDS[key].fn
    reached = _generated(compiled(SAMPLES[key].via))
    assert target in reached, (
        f"{key} is not called by the code generated (orders 1 and 2) for the "
        f"sample of {SAMPLES[key].via}: give it a direct sample"
    )


#: public functions of the helpers' modules that generated code never
#: calls, each with the reason (they need no record)
NOT_CALLED_BY_GENERATED_CODE = {
    "complex_derivative": "the error fit_gradient and the API raise",
    "is_complex": "a test fit_gradient and the API ask",
    "tile_pieces": "the lowering calls it, at compile time",
    "elementwise": "scipy_special's decorator, run at import",
    "special": "scipy_special's lookup of a SciPy function, at import",
    "split_logsumexp": "the split of logsumexp's record, at compile time",
}


def test_every_public_helper_is_a_record() -> None:
    missing = []
    for module in (runtime, array_helpers, norms, scipy_special):
        for name, fn in vars(module).items():
            if (
                inspect.isfunction(fn)
                and fn.__module__ == module.__name__
                and not name.startswith("_")
                and name not in NOT_CALLED_BY_GENERATED_CODE
                and lookup(fn) is None
            ):
                missing.append(f"{module.__name__}.{name}")
    assert missing == [], f"helpers without a record: {missing}"
