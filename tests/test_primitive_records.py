"""Every primitive's record is complete.

A primitive's record (:mod:`adcompiler.primitives.record`) holds its reverse
and tangent rules, what memory its result may share, its integer
parameters, its array spellings and its categories. These tests walk every
registered record and fail when a declaration is missing or inconsistent,
and show the checks reject deliberately incomplete records: a shape
function without its memory declaration is the case that, when the
declaration lived in a separate table, gave silently wrong gradients for
``y = f(z); y[i] = c`` while every other test passed.
"""

from __future__ import annotations

import inspect
import operator
from pathlib import Path

import numpy as np
import pytest

import adcompiler  # noqa: F401  (registers the records)
from adcompiler.primitives.record import (
    NEW,
    REVERSE_ONLY,
    VIEW,
    Primitive,
    attribute_primitive,
    category,
    memory_problems,
    method_primitive,
    problems,
    registered,
    spelling_problems,
    views_of,
)
from adcompiler.primitives import shapes
from adcompiler.primitives.registry import define, defvjp


def _built_in(prim: Primitive) -> bool:
    """Not a record that a test module (this one or another) registered."""
    module = getattr(prim.fn, "__module__", None) or ""
    return not module.split(".")[-1].startswith(("test_", "conftest"))


RECORDS = [prim for prim in registered() if _built_in(prim)]


def _id(prim: Primitive) -> str:
    return prim.name


@pytest.mark.parametrize("prim", RECORDS, ids=_id)
def test_every_record_is_complete(prim: Primitive) -> None:
    assert problems(prim) == []


def test_no_two_records_claim_a_spelling() -> None:
    assert spelling_problems(RECORDS) == []


def _sample_calls() -> list[tuple[Primitive, tuple]]:
    """Calls of NumPy records on one array: every record whose parameters
    past the first have defaults, plus those below with their arguments;
    those NumPy refuses (a square matrix's functions of a vector, ...) are
    left out."""
    x = np.arange(9.0).reshape(3, 3) + 10.0 * np.eye(3)
    more = {
        np.reshape: ((9,),),
        np.swapaxes: (0, 1),
        np.moveaxis: (0, 1),
        np.expand_dims: (0,),
        np.broadcast_to: ((4, 3, 3),),
        np.tile: ((2, 1),),
        np.repeat: (2,),
        operator.getitem: (0,),
        np.ndarray.astype: (np.float64,),
        np.ndarray.flatten: (),
        np.ndarray.copy: (),
        np.rollaxis: (1,),
        np.split: (3,),
        np.array_split: (2,),
        np.hsplit: (3,),
        np.vsplit: (3,),
    }
    calls = []
    for prim in RECORDS:
        if prim.fn in more:
            args = (x, *more[prim.fn])
        elif prim.name.startswith("np.") and prim.signature is not None:
            params = list(prim.signature.parameters.values())
            required = [
                p
                for p in params
                if p.default is inspect.Parameter.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
            if not (len(required) == 1 and params[0] is required[0]):
                continue
            args = (x,)
        else:
            continue
        try:
            with np.errstate(all="ignore"):
                prim.fn(*args)
        except (TypeError, ValueError, np.linalg.LinAlgError):
            continue
        calls.append((prim, args))
    # dsplit splits along a third axis
    calls += [(p, (np.ones((2, 2, 4)), 2)) for p in RECORDS if p.fn is np.dsplit]
    return calls


SAMPLES = _sample_calls()


@pytest.mark.parametrize("prim, args", SAMPLES, ids=[p.name for p, _ in SAMPLES])
def test_a_result_sharing_memory_is_declared(prim: Primitive, args: tuple) -> None:
    with np.errstate(all="ignore"):
        assert memory_problems(prim, *args) == []


def test_the_samples_reach_the_views() -> None:
    # the memory check is only as good as its calls: every view-returning
    # NumPy record is among them
    sampled = {prim.fn for prim, _ in SAMPLES}
    views = {p.fn for p in RECORDS if p.memory == VIEW and p.name.startswith("np.")}
    assert views <= sampled
    assert {np.transpose, np.atleast_1d, np.reshape, np.asarray} <= sampled


# -- the checks reject incomplete records --------------------------------


def _record(fn, *vjps, **fields) -> Primitive:
    """A record built without registering it (so the registry is untouched)."""
    prim = Primitive(fn, fields.pop("name", "probe"), ("call", fn, ()), vjps)
    if vjps:
        first = next(rule for rule in vjps if rule is not None)
        params = list(inspect.signature(first).parameters.values())[2:]
        prim.signature = inspect.Signature(params)
    for name, value in fields.items():
        setattr(prim, name, value)
    return prim


def _reshape_rule(g, ans, a):
    return np.reshape(g, np.shape(a))


def test_a_view_declared_as_new_memory_is_rejected() -> None:
    # np.atleast_3d with its rules but without its memory declaration: the
    # case that used to give a wrong gradient silently
    prim = _record(np.atleast_3d, _reshape_rule, jvps=(None,), memory=NEW)
    (found,) = memory_problems(prim, np.ones((2, 3)))
    assert "shares memory with argument 0" in found
    declared = _record(np.atleast_3d, _reshape_rule, jvps=(None,), memory=VIEW)
    assert memory_problems(declared, np.ones((2, 3))) == []


def test_a_shape_function_returning_new_memory_is_rejected() -> None:
    prim = _record(
        np.atleast_3d, _reshape_rule, jvps=(None,), categories=frozenset({"shape"})
    )
    (found,) = problems(prim)
    assert "shape function declared to return new memory" in found


def test_a_rule_without_tangent_rule_or_mark_is_rejected() -> None:
    prim = _record(np.sinh, lambda g, ans, x: g * np.cosh(x))
    (found,) = problems(prim)
    assert "no tangent rules and no reverse-only mark" in found
    prim.reverse_only = REVERSE_ONLY + ": a test"
    assert problems(prim) == []


def test_too_few_tangent_rules_are_rejected() -> None:
    prim = _record(np.add, lambda g, ans, x, y: g, lambda g, ans, x, y: g)
    prim.jvps = (lambda t, ans, x, y: t,)
    (found,) = problems(prim)
    assert "2 reverse rules but only 1 tangent rules" in found


def test_undeclared_or_contradictory_integer_parameters_are_rejected() -> None:
    def rule(g, ans, a, shape):
        return np.reshape(g, np.shape(a))

    prim = _record(np.reshape, rule, None, jvps=(None, None))
    prim.integers = frozenset({"shape", "newshape"})
    (found,) = problems(prim)
    assert "not one of its parameters" in found
    prim.integers = frozenset({"shape", "a"})
    (found,) = problems(prim)
    assert "gives it a reverse rule" in found
    prim.integers = frozenset({"shape"})
    assert problems(prim) == []


def test_an_integer_parameter_left_undeclared_is_rejected() -> None:
    # np.full's shape has no rule: without integers=("shape",), an active
    # shape reaching it would be an error instead of contributing nothing
    def fill(g, ans, shape, fill_value, dtype=None):
        return np.sum(g)

    prim = _record(np.full, None, fill, jvps=(None, None))
    (found,) = problems(prim)
    assert "'shape' has no reverse rule and is named like an integer" in found
    prim.integers = frozenset({"shape"})
    assert problems(prim) == []


def test_unknown_categories_and_memory_are_rejected() -> None:
    prim = _record(np.exp, lambda g, ans, x: g * ans, jvps=(None,))
    prim.categories = frozenset({"elementwize"})
    assert "unknown categories" in problems(prim)[0]
    prim.categories = frozenset()
    prim.memory = None
    assert "does not declare what memory" in problems(prim)[0]


def test_spellings_arrays_lack_or_two_records_claim_are_rejected() -> None:
    one = _record(np.sum, lambda g, ans, a: g, methods=("sum",))
    two = _record(np.mean, lambda g, ans, a: g, name="other", methods=("sum",))
    assert "claimed by probe and other" in spelling_problems([one, two])[0]
    odd = _record(np.sum, lambda g, ans, a: g, attributes=("total",))
    assert "arrays have no attribute 'total'" in spelling_problems([odd])[0]


def test_an_unknown_tangent_mark_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown tangent mark"):
        define(np.sinc, lambda g, ans, x: g, tangent="later")


# -- the queries read the records ----------------------------------------


def test_the_queries_answer_from_the_records() -> None:
    assert views_of(np.transpose) == 0 and views_of(np.exp) is None
    assert attribute_primitive("T").fn is np.transpose
    assert method_primitive("sum").fn is np.sum
    assert method_primitive("nonsense") is None
    assert np.sum in category("reduction") and np.cumsum not in category("reduction")
    assert operator.lt in category("comparison")
    with pytest.raises(KeyError):
        category("elementwize")


def test_a_linear_record_gets_one_tangent_rule_per_parameter() -> None:
    prim = next(p for p in RECORDS if p.fn is np.broadcast_to)
    assert len(prim.jvps) == len(prim.signature.parameters)
    assert prim.jvps[1](None, None, None, None) is None  # the shape: none


def test_the_record_docs_show_is_the_one_in_the_package() -> None:
    # docs/custom-rules.md shows the record of np.atleast_3d: it must not
    # drift from the record the package declares
    docs = Path(__file__).parent.parent / "docs" / "custom-rules.md"
    text = docs.read_text(encoding="utf-8")
    section = text[text.index("## 8. Adding a NumPy function: one record") :]
    start = section.index("```python\n") + len("```python\n")
    listing = section[start : section.index("```", start)]
    source = Path(shapes.__file__).read_text(encoding="utf-8")
    assert "np.atleast_3d" in listing and listing in source


def _spread(x, shape):
    return np.broadcast_to(x, shape)


def _spread_declared(x, shape):
    return np.broadcast_to(x, shape)


def test_users_rules_declare_integer_parameters_or_get_the_named_ones() -> None:
    rule = lambda g, ans, x, shape: np.sum(g)  # noqa: E731
    named = defvjp(_spread, rule, None)
    assert named.integers == {"shape"}  # the naming convention, as before
    declared = defvjp(_spread_declared, rule, None, integers=())
    assert declared.integers == frozenset()
    # a user's rule without tangent rules is a record the check reports
    assert "no tangent rules" in problems(named)[0]
