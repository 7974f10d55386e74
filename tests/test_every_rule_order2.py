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

both against central differences of the gradient along ``v`` (a sample
with ``no_reverse_over_reverse``, the ODE integrations, checks instead that
reverse over reverse raises NonDifferentiableError naming why). A record
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
import sys
import types
import zlib
from typing import Any, Callable

import numpy as np
import pytest

import adcompiler
from adcompiler import grad, hvp, numerical_grad, runtime
from adcompiler.callables import generated_definition
from adcompiler.primitives import array_helpers, norms, scipy_hook, scipy_special
from adcompiler.primitives.record import Primitive, lookup, registered
from support.samples import Sample, all_samples, record_key

try:  # every SciPy family's records (registered on demand otherwise)
    scipy_hook.load(force=True)
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


# np.row_stack is deprecated (NumPy 2): its record stays while NumPy has it
pytestmark = pytest.mark.filterwarnings("ignore:`row_stack`:DeprecationWarning")

RECORDS = {record_key(p): p for p in registered() if _built_in(p) and _has_rules(p)}
SAMPLES = all_samples()

#: Records with no sample here, each with the reason. Empty: every record
#: with a rule has one. (A sample whose reverse over reverse is refused says
#: so itself, with the error it expects: Sample.no_reverse_over_reverse.)
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


def test_a_tangent_rule_wherever_a_reverse_rule() -> None:
    # a reverse rule with no tangent rule beside it fails forward over
    # reverse (a shape saved beside arrays is marked active): an argument
    # read for its shape only has a tangent rule answering None
    missing = []
    for prim in registered():
        if not _built_in(prim) or prim.vjps is None or prim.jvps is None:
            continue
        names = list(prim.signature.parameters) if prim.signature else []
        for k, rule in enumerate(prim.vjps):
            if rule is not None and (k >= len(prim.jvps) or prim.jvps[k] is None):
                missing.append(f"{prim.name}: {names[k] if k < len(names) else k}")
    assert missing == []


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
        if c.sample.no_reverse_over_reverse is None:
            rev = c.projected(*full, *c.v)
            _close(f"{key}: reverse over reverse", rev, expected, rtol * 10, atol * 10)
        else:  # refused, with the reason the sample gives
            with pytest.raises(
                adcompiler.NonDifferentiableError,
                match=c.sample.no_reverse_over_reverse,
            ):
                c.projected(*full, *c.v)
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
    "spectral_hessian": "norm's rules, at compile time (records of the SVD's items)",
    "nuclear_hessian": "norm's rules, at compile time (records of the SVD's items)",
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


# -- the cases that failed at second order, on several shapes, and third
# -- order per family ---------------------------------------------------------

_R = np.random.default_rng(17)
VEC = _R.uniform(0.3, 0.9, 4)
MAT = _R.uniform(0.3, 0.9, (3, 3))
BAT = _R.uniform(0.3, 0.9, (2, 3, 3))


def _fd_hessian_times(f: Callable, x: Any, v: Any, eps: float = 1e-5) -> Any:
    g = grad(f)
    return (g(x + eps * v) - g(x - eps * v)) / (2 * eps)


def check_orders_2_and_3(f: Callable, x: Any, third: bool = True) -> None:
    """``f``'s Hessian (forward over reverse, dense), its Hessian-vector
    product (reverse over reverse) and a third derivative (reverse over
    reverse over reverse, and forward over that) against differences."""
    x = np.asarray(x, dtype=float)
    rng = np.random.default_rng(3)
    v, w = rng.normal(size=x.shape), rng.normal(size=x.shape)
    expected = _fd_hessian_times(f, x, v)
    dense = adcompiler.hessian(f)(x)
    got = np.tensordot(dense, v, axes=x.ndim) if x.ndim else dense * v
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    g = grad(f)

    def along_v(x):
        return np.sum(g(x) * v)

    hv = grad(along_v)
    np.testing.assert_allclose(hv(x), expected, rtol=1e-5, atol=1e-7)
    if not third:
        return

    def along_vw(x):
        return np.sum(hv(x) * w)

    third = numerical_grad(along_vw, x)
    np.testing.assert_allclose(grad(along_vw)(x), third, rtol=1e-4, atol=1e-6)
    third_w = _fd_hessian_times(along_v, x, w)
    np.testing.assert_allclose(hvp(along_v)(x, w), third_w, rtol=1e-4, atol=1e-6)


def prod_all(x):
    return np.sin(np.prod(x))


def prod_axis(x):
    return np.sum(np.sin(np.prod(x, axis=-1, keepdims=True)))


def prod_axes(x):
    return np.sum(np.cos(np.prod(x, axis=(0, 2))))


def prod_with_zero(x):
    return np.sum(np.sin(np.prod(x * np.array([1.0, 0.0, 1.0]), axis=1)))


def linspace_ends(x):
    return np.sum(np.sin(np.linspace(x[0], x[1], 5) * x[-1]))


def _rec(x, n):
    return x if n == 0 else np.sin(_rec(x, n - 1)) * x


def recursion(x):
    return np.sum(_rec(x, 3))


def item_chain(x):
    y = np.zeros(3)
    y[0] = x[0] * x[1]
    y[1] = np.sin(y[0]) * x[2]
    y[2] = y[1] ** 2 + y[0]
    return np.sum(np.sin(y))


def item_chain_matrix(x):
    y = x * 1.0
    y[0] = y[1] * y[2]
    y[:, 1] = np.sin(y[:, 0])
    return np.sum(y**3)


def dot_vectors(x):
    return np.sin(np.dot(x, x[::-1]))


def dot_matrix_vector(x):
    return np.sum(np.sin(np.dot(x, x[0])))


def dot_matrices(x):
    return np.sum(np.sin(np.dot(x, x.T)))


def matmul_batched(x):
    return np.sum(np.sin(x @ np.swapaxes(x, -1, -2) @ x[0]))


def matmul_broadcast(x):
    return np.sum(np.sin(x @ x[0, :, :1]))


def tensordot_one(x):
    return np.sum(np.sin(np.tensordot(x, x, axes=1)))


def tensordot_axes(x):
    return np.sum(np.sin(np.tensordot(x, x, axes=([1, 2], [2, 1]))))


def dot_scalars(x):
    return np.sin(np.dot(x, x * 2.0))


def tensordot_outer(x):
    return np.sum(np.sin(np.tensordot(x, x[::-1], axes=0)))


def outer_scalar_vector(x):
    return np.sum(np.sin(np.outer(x[0], x)))


def outer_vectors(x):
    return np.sum(np.sin(np.outer(x, x**2)))


def outer_matrices(x):
    return np.sum(np.sin(np.outer(x, x[0])))


def power_arrays(x):
    return np.sum(np.sin(x**x))


def power_broadcast(x):
    return np.sum(np.sin(x ** x[0]))


def power_of_two(x):
    return np.sum(np.sin(np.power(2.0, x)))


def power_of_two_scalar(x):
    return np.sin(np.power(2.0, x))


def power_scalar_exponent(x):
    return np.sin(x**2.5)


def det_batched(x):
    return np.sum(np.sin(np.linalg.det(x)))


SECOND_ORDER_CASES = [
    (prod_all, VEC),
    (prod_all, MAT),
    (prod_axis, MAT),
    (prod_axes, BAT),
    (prod_with_zero, MAT),
    (linspace_ends, VEC),
    (recursion, VEC),
    (dot_vectors, VEC),
    (dot_matrix_vector, MAT),
    (dot_matrices, MAT),
    (matmul_batched, BAT),
    (matmul_broadcast, BAT),
    (dot_scalars, 0.7),
    (tensordot_outer, VEC),
    (outer_scalar_vector, VEC),
    (tensordot_one, MAT),
    (tensordot_axes, BAT),
    (outer_vectors, VEC),
    (outer_matrices, MAT),
    (power_arrays, VEC),
    (power_broadcast, MAT),
    (power_of_two, MAT),
    (power_of_two_scalar, 0.7),
    (power_scalar_exponent, 0.7),
    (det_batched, BAT),
]


def test_item_assignment_to_third_order_is_refused() -> None:
    # the second-order code restores the arrays the forward changed in
    # place, in arrays it was given (the saved values, some of them views
    # of others): transformed again, that is a callee changing its
    # arguments, refused with the construct named rather than differentiated
    # without the views' relations
    for f, x in ((item_chain, VEC), (item_chain_matrix, MAT)):
        check_orders_2_and_3(f, x, third=False)
        g = grad(f)

        def along_v(x):
            return np.sum(g(x) * x)

        hv = grad(along_v)

        def along_vw(x):
            return np.sum(hv(x))

        with pytest.raises(adcompiler.UnsupportedSyntaxError, match="an argument"):
            grad(along_vw)(x)


@pytest.mark.parametrize(
    "f, x",
    SECOND_ORDER_CASES,
    ids=[f"{f.__name__}-{np.shape(x)}" for f, x in SECOND_ORDER_CASES],
)
def test_orders_2_and_3(f: Callable, x: Any) -> None:
    check_orders_2_and_3(f, x)


def test_linspace_takes_a_runtime_num() -> None:
    def f(x, n):
        return np.sum(np.sin(np.linspace(x[0], x[1], n)))

    x = np.array([0.3, 0.9])
    np.testing.assert_allclose(grad(f)(x, 4), numerical_grad(f, x, 4), rtol=1e-6)
    h = adcompiler.hessian(f)(x, 4)
    np.testing.assert_allclose(
        h @ VEC[:2], _fd_hessian_times(lambda y: f(y, 4), x, VEC[:2]), rtol=1e-5
    )


def test_a_name_none_on_one_path_and_a_tuple_on_the_other() -> None:
    def f(x, c):
        y = None if c else (x, x * 2.0)
        if y is None:
            return np.sum(np.sin(x))
        return np.sum(np.sin(y[0] * y[1]))

    for flag in (True, False):
        check_orders_2_and_3(lambda x: f(x, flag), VEC)


# a user's rule built from the helpers: concatenate's adjoint as split_pieces
# and adjoint_item. Its third derivative was silently wrong (5.28 for 7.12):
# split_pieces' record said it returned an array, so the two list adjoints
# of its result were added with + (list concatenation) and join_pieces kept
# the first half.


def _joined(a, b):
    return np.concatenate([a, b])


def _shapes(a, b):
    return [np.shape(a), np.shape(b)]


def test_a_rule_built_on_split_pieces_to_third_order() -> None:
    from adcompiler.primitives import runtime_helpers as rh

    adcompiler.defvjp(
        _joined,
        lambda g, ans, a, b: rh.adjoint_item(
            rh.split_pieces(g, "concatenate", _shapes(a, b), 0), 0
        ),
        lambda g, ans, a, b: rh.adjoint_item(
            rh.split_pieces(g, "concatenate", _shapes(a, b), 0), 1
        ),
    )
    adcompiler.defjvp(
        _joined,
        lambda t, ans, a, b: _joined(t, 0.0 * b),
        lambda t, ans, a, b: _joined(0.0 * a, t),
    )

    def f(x):
        return np.sum(np.sin(_joined(x, x * x)))

    check_orders_2_and_3(f, np.array([0.3, 0.7]))


def _code_of(fn: Any) -> types.CodeType | None:
    fn = getattr(fn, "__wrapped__", fn)
    return getattr(fn, "__code__", None)


_RECORD_OF_CODE = {
    _code_of(p.fn): p for p in registered() if _built_in(p) and _code_of(p.fn)
}


def test_a_record_returning_a_list_declares_it() -> None:
    # a list result declared an array (container=False) has its adjoints
    # summed with + (list concatenation): the silently wrong third
    # derivative of split_pieces. The samples' plain calls show what each
    # Python-level record returns.
    undeclared = set()

    def watch(frame: types.FrameType, event: str, arg: Any) -> None:
        if event != "return" or not isinstance(arg, (list, tuple)):
            return
        prim = _RECORD_OF_CODE.get(frame.f_code)
        caller = frame.f_back.f_globals.get("__name__") if frame.f_back else None
        if prim is None or caller != Sample.__module__ or not _has_rules(prim):
            return  # a call the sample made itself, of a record with rules
        if prim.split is not None:
            # np.linalg.svd, eig, qr, ...: a call returning a tuple is lowered
            # as one call per item (split returns None only for one array),
            # so no op of the record itself has a tuple result
            return
        if prim.container is False:
            undeclared.add(prim.name)

    for key in DIRECT:
        sample = SAMPLES[key]
        sys.setprofile(watch)
        try:
            with np.errstate(all="ignore"):
                sample.body(*sample.args)
        finally:
            sys.setprofile(None)
    assert sorted(undeclared) == [], sorted(undeclared)
