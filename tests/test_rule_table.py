"""The rule table covers every function the project promises."""

import builtins
import math

import numpy as np
import pytest

from adcompiler.primitives import lookup

DIFFERENTIABLE = {
    "numpy": """negative positive exp exp2 expm1 log log2 log10 log1p sqrt cbrt square
        reciprocal abs absolute fabs sin cos tan arcsin arccos arctan sinh cosh tanh
        arcsinh arccosh arctanh deg2rad rad2deg add subtract multiply divide
        true_divide power maximum minimum fmax fmin arctan2 hypot logaddexp
        logaddexp2 where clip sum mean prod max amax min amin var std cumsum dot
        matmul inner outer tensordot einsum trace transpose swapaxes moveaxis
        reshape ravel squeeze expand_dims concatenate stack hstack vstack
        broadcast_to tile repeat flip atleast_1d atleast_2d full full_like
        linspace copy""".split(),
    "numpy.linalg": "norm det inv solve".split(),
    "math": """sin cos tan asin acos atan atan2 exp expm1 log log1p log2 log10 sqrt
        pow hypot fabs sinh cosh tanh""".split(),
    "builtins": "abs min max sum pow float".split(),
}

NON_DIFFERENTIABLE = {
    "numpy": """shape ndim size zeros ones full empty eye identity arange zeros_like
        ones_like empty_like argmax argmin argsort sign floor ceil round rint
        greater less equal logical_and logical_or logical_not isfinite
        isnan""".split(),
    "builtins": "len".split(),
}

MODULES = {"numpy": np, "numpy.linalg": np.linalg, "math": math, "builtins": builtins}


def _cases(table):
    return [(m, name) for m, names in table.items() for name in names]


@pytest.mark.parametrize("module, name", _cases(DIFFERENTIABLE))
def test_has_a_reverse_rule(module, name):
    prim = lookup(getattr(MODULES[module], name))
    assert prim is not None, f"{module}.{name} is not registered"
    assert prim.differentiable


@pytest.mark.parametrize("module, name", _cases(NON_DIFFERENTIABLE))
def test_is_registered(module, name):
    assert lookup(getattr(MODULES[module], name)) is not None


@pytest.mark.parametrize(
    "method",
    "sum mean max min prod reshape transpose dot ravel flatten astype copy clip".split(),
)
def test_array_methods_are_accepted(method):
    from adcompiler.lower import _METHOD_FUNCTIONS, _TRUE_METHODS, _VARARG_METHODS

    assert (
        method in _METHOD_FUNCTIONS
        or method in _VARARG_METHODS
        or method in _TRUE_METHODS
    )
