"""The API autograd and JAX users expect, and errors that point at their code.

``argnums=`` beside ``wrt=``, ``grad(..., has_aux=True)``, ``jacrev`` and
``jacfwd``, Jacobians and Hessians with several ``wrt`` and parameter
trees, ``hvp`` as JAX's ``jvp(grad(f), (x,), (v,))``, a one-element array
as a scalar loss; tracebacks of errors raised in generated code name the
user's ``file:line`` (and keep the exception's type), adcompiler's own
frames are left out, every error of a sweep of failing programs names the
user's line, SciPy functions are named by their module, and the command
line prints hints. Every derivative is compared with central finite
differences in float64 (computed here) or a closed form.
"""

from __future__ import annotations

import importlib.util
import linecache
import os
import subprocess
import sys
import traceback
from typing import Any, Callable

import numpy as np
import pytest
import scipy.special

import adcompiler
from adcompiler.primitives import record
from support.differences import fd_jacobian
from adcompiler import (
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    value_and_grad,
)
from adcompiler.testing import numerical_grad
from adcompiler.tools import cli

PACKAGE = os.path.dirname(os.path.abspath(adcompiler.__file__)) + os.sep

rng = np.random.default_rng(16)
W = rng.normal(size=3)
B = rng.normal(size=3)


# ---------------------------------------------------------------------------
# independent answers


def close(actual: Any, expected: Any, rtol: float = 1e-6, atol: float = 1e-7) -> None:
    """Same structure (tuples, dicts) and close leaves of the same shape."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys()
        for key in expected:
            close(actual[key], expected[key], rtol, atol)
        return
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            close(a, e, rtol, atol)
        return
    assert np.shape(actual) == np.shape(expected)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------
# functions differentiated


def weighted(w, b):
    return np.sum(np.sin(w) * b**2) + np.sum(w * b)


def layer(w, b):
    return np.tanh(w * b) + np.sin(b)


def with_aux(w, b):
    value = np.sum(w**2 * b)
    return value, {"value": value, "scaled": w * 2.0}


def tree_loss(p, x):
    return np.sum(np.tanh(p["W"] @ x + p["b"]) ** 2)


def tree_map_out(p, x):
    return np.tanh(p["W"] @ x + p["b"])


def keepdims_loss(w):
    return np.sum(w**2, keepdims=True)


def keepdims_matrix(W, x):
    return np.sum(np.sin(W @ x), keepdims=True) * 3.0


def reshaped_scalar(s):
    return np.reshape(s * np.sin(s), (1,))


def mean_keepdims(w, b):
    return np.mean(w**3 * b, axis=0, keepdims=True)


def two_elements(w):
    return np.stack([np.sum(w), np.sum(w**2)])


def fd_weighted(k: int) -> Any:
    """Central-difference gradient of ``weighted`` with respect to argument k."""
    return numerical_grad(weighted, W, B, wrt=k)


# ---------------------------------------------------------------------------
# 1. argnums, has_aux, jacrev/jacfwd, several wrt, trees, hvp


@pytest.mark.parametrize("argnums", [0, 1, "b", (0, 1), (1, 0)])
def test_argnums_is_wrt(argnums):
    expected = numerical_grad(weighted, W, B, wrt=argnums)
    close(grad(weighted, argnums=argnums)(W, B), expected)
    close(grad(weighted, wrt=argnums)(W, B), expected)
    value, gradient = value_and_grad(weighted, argnums=argnums)(W, B)
    close(gradient, expected)
    assert value == pytest.approx(weighted(W, B))


def test_argnums_on_every_transformation_that_takes_wrt():
    j_b = fd_jacobian(lambda b: layer(W, b), B)
    close(jacobian(layer, argnums=1)(W, B), j_b)
    close(jacrev(layer, argnums=1)(W, B), j_b)
    close(jacfwd(layer, argnums=1)(W, B), j_b)
    h_b = fd_jacobian(lambda b: numerical_grad(weighted, W, b, wrt=1), B, 1e-4)
    close(hessian(weighted, argnums=1)(W, B), h_b, rtol=1e-5, atol=1e-5)
    v = rng.normal(size=3)
    close(hvp(weighted, argnums=1)(W, B, v), h_b @ v, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "make",
    [
        lambda: grad(weighted, wrt=0, argnums=0),
        lambda: value_and_grad(weighted, wrt=0, argnums=1),
        lambda: jacobian(layer, 0, argnums=0),
        lambda: jacrev(layer, 0, argnums=0),
        lambda: jacfwd(layer, wrt=1, argnums=1),
        lambda: hessian(weighted, wrt=0, argnums=0),
        lambda: hvp(weighted, wrt=0, argnums=0),
    ],
)
def test_wrt_and_argnums_both_given_is_an_argument_error(make):
    with pytest.raises(adcompiler.ArgumentError, match="both wrt=.* and argnums="):
        make()


def test_grad_has_aux_returns_gradient_and_aux_as_jax():
    gradient, aux = grad(with_aux, has_aux=True)(W, B)
    close(gradient, numerical_grad(lambda w, b: with_aux(w, b)[0], W, B))
    assert aux["value"] == pytest.approx(np.sum(W**2 * B))
    close(aux["scaled"], W * 2.0)
    grads, aux = grad(with_aux, argnums=(0, 1), has_aux=True)(W, B)
    close(grads, numerical_grad(lambda w, b: with_aux(w, b)[0], W, B, wrt=(0, 1)))
    # value_and_grad keeps its own convention: ((value, aux), gradient)
    (value, aux2), g2 = value_and_grad(with_aux, has_aux=True)(W, B)
    close(g2, gradient)
    assert value == pytest.approx(aux2["value"])
    with pytest.raises(adcompiler.ArgumentError, match="has_aux must be True or"):
        grad(with_aux, has_aux="yes")


def test_jvp_of_a_grad_with_aux_differentiates_both():
    """``grad(f, has_aux=True)`` transformed again: its result (gradient,
    aux) has a tangent of the same structure."""
    t = rng.normal(size=3)
    (g, aux), (tg, taux) = jvp(grad(with_aux, has_aux=True), (W, B), (t, 0.0 * B))
    hess = fd_jacobian(lambda w: numerical_grad(lambda u: np.sum(u**2 * B), w), W, 1e-4)
    close(tg, hess @ t, rtol=1e-5, atol=1e-6)
    close(taux["scaled"], 2.0 * t)


def test_jacrev_and_jacfwd_are_the_two_modes_of_jacobian():
    for make in (jacrev, jacfwd):
        close(make(layer)(W, B), fd_jacobian(lambda w: layer(w, B), W))
        blocks = make(layer, wrt=(0, 1))(W, B)
        close(
            blocks,
            (
                fd_jacobian(lambda w: layer(w, B), W),
                fd_jacobian(lambda b: layer(W, b), B),
            ),
        )
        assert make(layer).__name__ == "jacobian_layer"
    with pytest.raises(adcompiler.ArgumentError, match="made by jacrev"):
        grad(jacrev(layer))


def test_jacobian_of_a_parameter_tree_has_its_structure():
    p = {"W": rng.normal(size=(2, 3)), "b": rng.normal(size=2)}
    x = rng.normal(size=3)
    expected = {
        "W": fd_jacobian(lambda v: tree_map_out({**p, "W": v}, x), p["W"]),
        "b": fd_jacobian(lambda v: tree_map_out({**p, "b": v}, x), p["b"]),
    }
    for mode in ("rev", "fwd"):
        blocks = jacobian(tree_map_out, mode=mode)(p, x)
        close(blocks, expected)
        assert blocks["W"].shape == (2,) + p["W"].shape  # out.shape + leaf.shape


def list_layer(params, x):
    a, b = params
    return np.sin(a * x) * b


def test_jacobian_and_hessian_of_a_list_argument_are_lists():
    params = [rng.normal(size=3), rng.normal(size=3)]
    x = rng.normal(size=3)
    expected = [
        fd_jacobian(lambda v: list_layer([v, params[1]], x), params[0]),
        fd_jacobian(lambda v: list_layer([params[0], v], x), params[1]),
    ]
    for make in (jacrev, jacfwd):
        blocks = make(list_layer)(params, x)
        assert isinstance(blocks, list) and len(blocks) == 2
        for block, want in zip(blocks, expected):
            close(block, want)

    def scalar(params, x):
        return np.sum(list_layer(params, x) ** 2)

    H = hessian(scalar)(params, x)
    assert isinstance(H, list) and all(isinstance(row, list) for row in H)
    for i in range(2):
        for j in range(2):

            def grad_i(v, j=j, i=i):
                p = list(params)
                p[j] = v
                return numerical_grad(scalar, p, x)[i]

            close(H[i][j], fd_jacobian(grad_i, params[j], 1e-4), rtol=1e-4, atol=1e-6)


def test_hessian_of_several_wrt_is_jax_layout():
    """hessian wrt (0, 1) is ((H00, H01), (H10, H11)): block (i, j) is the
    derivative of the gradient wrt argument i with respect to argument j."""
    H = hessian(weighted, argnums=(0, 1))(W, B)
    # closed forms: f = sum(sin(w) b^2) + sum(w b)
    h00 = np.diag(-np.sin(W) * B**2)
    h01 = np.diag(2.0 * np.cos(W) * B + 1.0)
    h11 = np.diag(2.0 * np.sin(W))
    close(H, ((h00, h01), (h01.T, h11)), rtol=1e-10, atol=1e-12)


def test_hessian_of_a_parameter_tree_is_a_tree_of_trees():
    p = {"W": rng.normal(size=(2, 3)), "b": rng.normal(size=2)}
    x = rng.normal(size=3)
    H = hessian(tree_loss)(p, x)

    def gradient_leaf(key: str) -> Callable[[dict], Any]:
        return lambda q: numerical_grad(tree_loss, q, x)[key]

    for a in ("W", "b"):
        for b in ("W", "b"):
            expected = fd_jacobian(lambda v: gradient_leaf(a)({**p, b: v}), p[b], 1e-4)
            assert H[a][b].shape == p[a].shape + p[b].shape
            # differences of differences: their error is about 1e-6
            close(H[a][b], expected, rtol=1e-4, atol=1e-5)


def test_hvp_is_jvp_of_grad():
    """The documented convention: ``hvp(f, wrt)(*args, v)`` is JAX's
    ``jvp(grad(f), (x,), (v,))[1]`` (other arguments held constant) and
    equals the Hessian times v."""
    v = rng.normal(size=3)
    product = hvp(weighted)(W, B, v)
    _, tangent = jvp(grad(weighted), (W, B), (v, np.zeros(3)))
    close(product, tangent, rtol=1e-12, atol=1e-14)
    h00 = np.diag(-np.sin(W) * B**2)
    close(product, h00 @ v, rtol=1e-10, atol=1e-12)
    # several wrt: v is a tuple, the result the tuple of H @ v blocks
    vw, vb = rng.normal(size=3), rng.normal(size=3)
    H = hessian(weighted, wrt=(0, 1))(W, B)
    pw, pb = hvp(weighted, wrt=(0, 1))(W, B, (vw, vb))
    close(pw, H[0][0] @ vw + H[0][1] @ vb, rtol=1e-10, atol=1e-12)
    close(pb, H[1][0] @ vw + H[1][1] @ vb, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------
# 2. a one-element array as a scalar loss


@pytest.mark.parametrize(
    "fn, args",
    [
        (keepdims_loss, (W,)),
        (keepdims_matrix, (rng.normal(size=(2, 3)), W)),
        (reshaped_scalar, (0.7,)),
        (mean_keepdims, (rng.normal(size=(3, 1)), rng.normal(size=(3, 1)))),
    ],
)
def test_a_one_element_array_is_a_scalar_loss(fn, args):
    def scalar(first, *rest):
        return float(np.ravel(fn(first, *rest))[0])

    expected = numerical_grad(scalar, *args)
    gradient = grad(fn)(*args)
    close(gradient, expected)
    assert type(gradient) is type(args[0])
    value, g2 = value_and_grad(fn)(*args)
    assert np.shape(value) == np.shape(fn(*args)) and np.size(value) == 1
    close(g2, expected)


def complex_one(w, z):
    return np.sum(w**2, keepdims=True) + z


def test_two_elements_are_still_no_scalar_loss():
    with pytest.raises(adcompiler.OutputError, match=r"array of shape \(2,\)"):
        grad(two_elements)(W)
    # nor is a complex array of one element
    with pytest.raises(
        adcompiler.ADError, match="real scalar output; it returned dtype complex128"
    ):
        grad(complex_one)(W, np.array([1j]))


# ---------------------------------------------------------------------------
# 3. and 4. errors point at the user's code

MODEL = """\
import numpy as np
import scipy.linalg
import scipy.special
import scipy.stats

def predict(w, X):
    r = X @ w
    return np.sum(r ** 2)

def root(w, X):
    r = np.sqrt(X @ w)
    return np.sum(r)

def sorted_sum(x):
    return np.sum(np.median(x) * x)

def log_sum_exp(x):
    return np.sum(scipy.special.spherical_jn(0, x))

def log_gamma(x):
    return np.sum(scipy.special.gammainc(2.0, x))

def softmax_sum(x):
    return np.sum(scipy.special.comb(x, 2.0) * x)

def with_try(x):
    try:
        y = np.log(x)
    except FloatingPointError:
        y = x
    return np.sum(y)

def broadcast_fail(x, y):
    return np.sum(x * y)

def vector(x):
    return x * 2.0

def through_helper(x, M):
    return np.sum(helper(x, M))

def helper(x, M):
    return np.tanh(M @ x)

def runtime_axis(x, k):
    return np.sum(np.max(x, axis=k))

def scale(x, n):
    return np.sum(x * n)

def matrix_log(x):
    return np.sum(scipy.linalg.logm(np.outer(x, x)))

def log_density(x):
    return np.sum(scipy.stats.skewnorm.logpdf(x, 1.0))

def poly(x):
    return np.sum(np.polynomial.polynomial.polyval(2.0, x))
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """The functions of ``MODEL``, imported from a file ``model.py``."""
    path = tmp_path_factory.mktemp("user") / "model.py"
    path.write_text(MODEL)
    spec = importlib.util.spec_from_file_location("apierr_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def line_of(text: str) -> int:
    """The line of ``MODEL`` holding ``text`` (1-based)."""
    for number, line in enumerate(MODEL.splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(text)


def frames(exc: BaseException) -> list[tuple[str, int]]:
    """``(file, line)`` of each frame of ``exc``'s traceback."""
    return [(f.filename, f.lineno) for f in traceback.extract_tb(exc.__traceback__)]


def test_a_shape_error_in_the_forward_sweep_names_the_user_line(model):
    g = grad(model.predict)
    with pytest.raises(ValueError) as info:  # NumPy's own type, still
        g(W, np.ones((2, 4)))
    exc = info.value
    assert "matmul" in str(exc)
    line = line_of("r = X @ w")
    stack = frames(exc)
    assert (model.__file__, line) in stack
    assert stack[-1] == (model.__file__, line)  # the last frame is the user's
    printed = "".join(traceback.format_exception(exc))
    assert f'File "{model.__file__}", line {line}, in predict' in printed
    assert "    r = X @ w" in printed
    assert any(file.startswith("<adcompiler: grad of predict") for file, _ in stack)
    assert f"model.py:{line}" in "\n".join(exc.__notes__)
    assert not [file for file, _ in stack if file.startswith(PACKAGE)]


def test_an_error_in_the_backward_sweep_names_the_user_line(model):
    g = grad(model.root)
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError) as info:
        g(np.zeros(3), np.ones((2, 3)))  # sqrt(0): forward fine, backward 1/0
    line = line_of("r = np.sqrt(X @ w)")
    generated = [(f, n) for f, n in frames(info.value) if f.startswith("<adcompiler:")]
    file, number = generated[-1]
    source = linecache.getlines(file)
    backward = next(k for k, text in enumerate(source, 1) if "# backward" in text)
    assert number > backward  # raised in the backward sweep
    assert frames(info.value)[-1] == (model.__file__, line)
    assert f"model.py:{line}" in info.value.__notes__[0]


def test_an_inlined_helper_is_named_at_its_own_line(model):
    with pytest.raises(ValueError) as info:
        grad(model.through_helper)(W, np.ones((2, 4)))
    printed = "".join(traceback.format_exception(info.value))
    line = line_of("np.tanh(M @ x)")
    assert f'File "{model.__file__}", line {line}, in helper' in printed
    assert "    return np.tanh(M @ x)" in printed
    assert "model.py:" in info.value.__notes__[0]


def test_an_error_in_code_generated_from_generated_code_names_the_user_line(model):
    """jvp of grad: the error is raised in the tangent code of the
    generated gradient; the frame made is at the user's line, in predict."""
    X = np.ones((2, 4))
    with pytest.raises(ValueError) as info:
        jvp(grad(model.predict), (W, X), (W, 0.0 * X))
    line = line_of("r = X @ w")
    printed = "".join(traceback.format_exception(info.value))
    assert f'File "{model.__file__}", line {line}, in predict' in printed
    assert frames(info.value)[-1] == (model.__file__, line)
    assert f"model.py:{line}" in info.value.__notes__[0]


def test_the_uncaught_traceback_shows_the_user_line(model, tmp_path):
    script = tmp_path / "run.py"
    script.write_text(
        "import sys, numpy as np, importlib.util\n"
        "import adcompiler\n"
        f"spec = importlib.util.spec_from_file_location('m', {model.__file__!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "adcompiler.grad(m.predict)(np.ones(3), np.ones((2, 4)))\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env
    )
    line = line_of("r = X @ w")
    assert result.returncode == 1
    assert f'File "{model.__file__}", line {line}, in predict' in result.stderr
    assert "    r = X @ w" in result.stderr
    assert "ValueError: matmul" in result.stderr
    assert PACKAGE not in result.stderr  # adcompiler's frames are left out
    off = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env={**env, "ADCOMPILER_TRACEBACK_FILTERING": "off"},
    )
    assert PACKAGE in off.stderr and "ValueError: matmul" in off.stderr


def test_an_aderror_traceback_holds_no_adcompiler_frame(model):
    with pytest.raises(adcompiler.NoRuleError) as info:
        grad(model.sorted_sum)(W)
    stack = frames(info.value)
    assert stack and not [f for f, _ in stack if f.startswith(PACKAGE)]
    assert stack[-1][0] == __file__


def test_scipy_functions_are_named_by_their_module(model):
    with pytest.raises(adcompiler.NoRuleError) as info:
        grad(model.log_gamma)(np.array([1.5, 2.5]))
    text = str(info.value)
    assert "scipy.special.gammainc has no derivative rule" in text
    assert "np.gammainc" not in text
    assert f"model.py:{line_of('scipy.special.gammainc(2.0, x)')}" in text
    with pytest.raises(adcompiler.NoRuleError) as info:
        grad(model.log_sum_exp)(W)
    assert "scipy.special.spherical_jn has no derivative rule" in str(info.value)
    assert f"model.py:{line_of('spherical_jn(0, x)')}:" in str(info.value)
    assert "site-packages" not in str(info.value)


def erfcx_user(x):
    return np.sum(scipy.special.erfcx(x) * x)


def test_a_rule_for_a_scipy_ufunc_is_used_and_named():
    # erfcx has no built-in rule; the registry is restored afterwards (a
    # reverse-only user rule would fail the completeness tests of records)
    saved = dict(record._REGISTRY)
    try:
        adcompiler.defvjp(
            scipy.special.erfcx,
            lambda g, ans, x: g * (2.0 * x * ans - 2.0 / np.sqrt(np.pi)),
        )
        x = rng.normal(size=4)
        g = grad(erfcx_user)
        close(g(x), numerical_grad(erfcx_user, x))
        assert "np.erfcx" not in g.source
    finally:
        record._REGISTRY.clear()
        record._REGISTRY.update(saved)
        record.CHANGES.count += 1


#: (name, call, expected type, the place its text names: a line of MODEL
#: or "here", the test's own call)
SWEEP = [
    ("no rule", lambda m: grad(m.sorted_sum)(W), adcompiler.NoRuleError, "np.median"),
    (
        "scipy without rule",
        lambda m: grad(m.log_sum_exp)(W),
        adcompiler.NoRuleError,
        "spherical_jn",
    ),
    (
        "scipy ufunc",
        lambda m: grad(m.log_gamma)(np.abs(W) + 1),
        adcompiler.NoRuleError,
        "gammainc",
    ),
    (
        "scipy softmax",
        lambda m: grad(m.softmax_sum)(W),
        adcompiler.NoRuleError,
        "scipy.special.comb(x, 2.0)",
    ),
    (
        "scipy.linalg without rule",
        lambda m: grad(m.matrix_log)(W),
        adcompiler.NoRuleError,
        "scipy.linalg.logm(",
    ),
    (
        "method of a scipy object",
        lambda m: grad(m.log_density)(W),
        adcompiler.NoRuleError,
        "scipy.stats.skewnorm.logpdf(",
    ),
    (
        "numpy Python function",
        lambda m: grad(m.poly)(W),
        adcompiler.NoRuleError,
        "polynomial.polyval(",
    ),
    ("try", lambda m: grad(m.with_try)(W), adcompiler.UnsupportedSyntaxError, "try:"),
    (
        "runtime axis",  # a float: an int is compiled for its value
        lambda m: grad(m.runtime_axis)(np.ones((2, 3)), 0.5),
        adcompiler.UnsupportedSyntaxError,
        "axis=k",
    ),
    (
        "vector output",
        lambda m: grad(m.vector)(W),
        adcompiler.OutputError,
        "return x * 2.0",
    ),
    (
        "matmul shapes",
        lambda m: grad(m.predict)(W, np.ones((2, 4))),
        ValueError,
        "r = X @ w",
    ),
    (
        "broadcast",
        lambda m: grad(m.broadcast_fail)(W, np.ones(4)),
        ValueError,
        "np.sum(x * y)",
    ),
    (
        "vjp shapes",
        lambda m: adcompiler.vjp(m.predict, W, np.ones((2, 4))),
        ValueError,
        "r = X @ w",
    ),
    (
        "jvp shapes",
        lambda m: jvp(m.predict, (W, np.ones((2, 4))), (W, np.ones((2, 4)))),
        ValueError,
        "r = X @ w",
    ),
    (
        "jacobian shapes",
        lambda m: jacobian(m.predict)(W, np.ones((2, 4))),
        ValueError,
        "r = X @ w",
    ),
    (
        "helper shapes",
        lambda m: grad(m.through_helper)(W, np.ones((2, 4))),
        ValueError,
        "M @ x",
    ),
    ("wrong wrt index", lambda m: grad(m.scale, wrt=5), adcompiler.WrtError, "here"),
    ("wrong wrt name", lambda m: grad(m.scale, wrt="N"), adcompiler.WrtError, "here"),
    ("wrt an int", lambda m: grad(m.scale, wrt="n")(W, 3), adcompiler.WrtError, "here"),
    (
        "too many arguments",
        lambda m: grad(m.scale)(W, 2.0, 3.0),
        adcompiler.ArgumentError,
        "here",
    ),
    (
        "bare primals",
        lambda m: jvp(m.sorted_sum, W, W),
        adcompiler.ArgumentError,
        "here",
    ),
    (
        "bad jacobian mode",
        lambda m: jacobian(m.vector, mode="sideways"),
        adcompiler.ArgumentError,
        "here",
    ),
    ("bad keyword", lambda m: grad(m.scale, wrt_=1), adcompiler.ArgumentError, "here"),
    (
        "pullback shape",
        lambda m: adcompiler.vjp(m.scale, W, 2.0)[1](np.ones(3)),
        adcompiler.ArgumentError,
        "here",
    ),
]


@pytest.mark.parametrize("name, call, kind, place", SWEEP, ids=[s[0] for s in SWEEP])
def test_every_error_names_the_user_line(model, name, call, kind, place):
    with pytest.raises(Exception) as info:
        call(model)
    exc = info.value
    assert isinstance(exc, kind), (type(exc), exc)
    assert isinstance(exc, adcompiler.ADError) or not issubclass(
        kind, adcompiler.ADError
    )
    if isinstance(exc, adcompiler.ADError):
        text = str(exc)
    else:  # NumPy's own error: the note and the traceback name the line
        text = "\n".join(getattr(exc, "__notes__", ()))
        assert frames(exc)[-1][0] == model.__file__
    if place == "here":
        # an error about the call names the test's line that made it
        assert exc.loc is not None and exc.loc.file == __file__, text
        assert f"{os.path.basename(__file__)}:" in text or __file__ in text
    else:
        assert f"model.py:{line_of(place)}" in text, text
    assert "site-packages" not in text and "<adcompiler" not in text
    if isinstance(exc, adcompiler.NoRuleError):  # named by its real module
        assert "np.gammainc" not in text and "_distn_infrastructure" not in text
    assert not [f for f, _ in frames(exc) if f.startswith(PACKAGE)]


# ---------------------------------------------------------------------------
# 5. the command line prints hints


def test_the_command_line_prints_the_source_line_and_hint(model, capsys):
    code = cli.main(["show", f"{model.__file__}:sorted_sum"])
    assert code == 1
    lines = capsys.readouterr().err.splitlines()
    line = line_of("np.median(x)")
    assert lines[0].startswith("adcompiler: error: ")
    assert (
        f"model.py:{line}:" in lines[0]
        and "np.median has no derivative rule" in lines[0]
    )
    assert lines[1].strip() == "return np.sum(np.median(x) * x)"
    assert lines[2].startswith("hint: use a supported function")
    assert len(lines) == 3


def test_the_command_line_names_no_call_site_of_its_own(model, capsys):
    assert cli.main(["show", f"{model.__file__}:scale", "--wrt", "q"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == (
        "adcompiler: error: wrt='q': scale has no parameter 'q' (parameters: x, n)"
    )
    assert lines[1:] == ["hint: name one of its parameters, or give its index"]
