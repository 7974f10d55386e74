"""The passes that keep generated code lean: ``del`` of dead names
(passes.release), shape queries moved to the forward sweep (passes.shapes),
unbroadcasts proven needless (passes.same_shape), repeated arithmetic
computed once (passes.cse), composite adjoints (passes.fused), and
``checkpoint``. Each test checks the
generated code changed as the pass says, and that gradients still equal
central finite differences (or a closed form)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import adcompiler
from adcompiler import checkpoint, grad, value_and_grad
from adcompiler.passes.release import release_dead_names
from adcompiler.testing import check_grad
from support.modules import uncompiled

RNG = np.random.default_rng(11)


# -- release ----------------------------------------------------------------
def test_release_deletes_after_the_last_read_only_names_surely_bound():
    source = (
        "def f(x, n):\n"
        "    a = x * 2.0\n"
        "    b = a + 1.0\n"
        "    for i in range(n):\n"
        "        c = b * i\n"
        "    d = b * c\n"
        "    return d\n"
    )
    lines, f = _released(source)
    # a dies after b is made; b after d; c is bound only in the loop (maybe
    # never): no del; the parameters and the returned name: no del
    assert lines[lines.index("b = a + 1.0") + 1] == "del a"
    assert lines[lines.index("d = b * c") + 1] == "del b"
    assert not any(line.startswith("del") and "c" in line.split() for line in lines)
    assert f(1.0, 2) == (3.0 * 3.0 * 1)


def _released(source: str) -> tuple[list[str], object]:
    """The stripped lines of ``source`` with its ``del`` statements, and
    its function ``f`` as they define it."""
    out = release_dead_names(source)
    namespace: dict = {}
    exec(out, namespace)
    return [line.strip() for line in out.splitlines()], namespace["f"]


def test_release_leaves_small_names_and_nested_scopes_alone():
    source = (
        "def f(x):\n"
        "    s = x.shape\n"
        "    y = x * 2.0\n"
        "    g = lambda: y\n"
        "    return g() + s[0]\n"
    )
    out = release_dead_names(source, small={"s"})
    assert "del" not in out


def test_release_in_a_loop_body_frees_what_one_iteration_made():
    source = (
        "def f(x, n):\n"
        "    h = x\n"
        "    for i in range(n):\n"
        "        a = h * 2.0\n"
        "        b = a + 1.0\n"
        "        c = b\n"
        "        h = c * a\n"
        "        last = h\n"
        "    return h\n"
    )
    lines, f = _released(source)
    # a and c (b's second name) die in the iteration that made them; b
    # lives on as c (a rename frees nothing); h is carried; last is bound
    # only in the loop and never read
    assert lines[lines.index("h = c * a") + 1] == "del a, c"
    assert lines[lines.index("c = b") + 1] != "del b"
    assert not any(line.startswith("del") and "h" in line.split() for line in lines)
    assert f(1.0, 2) == (2.0 * 3.0 * 2.0 + 1.0) * (2.0 * 3.0 * 2.0)


def user_del_in_loop(x):
    for i in range(2):
        y = x * 2.0
        del y
    return np.sum(x)


def test_del_in_a_users_loop_is_still_refused():
    with pytest.raises(adcompiler.errors.UnsupportedSyntaxError, match="del inside"):
        grad(user_del_in_loop)(np.ones(2))


def test_generated_gradients_release_dead_arrays():
    def f(x):
        y = np.sin(x) * np.exp(-x * x)
        return np.sum(np.tanh(y * 3.0 + x) ** 2)

    g = grad(f)
    x = RNG.normal(size=50)
    assert "del " in g.source
    check_grad(f, x)


def test_gradients_of_generated_code_with_del_statements():
    def f(x):
        return np.sum(np.sin(x) * x * x)

    x = RNG.normal(size=4)
    h = adcompiler.hessian(f)(x)
    expected = np.diag(-np.sin(x) * x * x + 4.0 * np.cos(x) * x + 2.0 * np.sin(x))
    np.testing.assert_allclose(h, expected, rtol=1e-10, atol=1e-12)


# -- shapes read in the forward sweep --------------------------------------
def rnn(W, U, xs):
    h = np.zeros((xs.shape[1], W.shape[0]))
    for t in range(xs.shape[0]):
        a = h @ W
        h = np.tanh(a + xs[t] @ U)
    return np.mean(h**2)


def test_a_loop_tape_keeps_shapes_not_arrays_read_only_for_their_shape():
    g = grad(rnn, wrt=(0, 1))
    W, U = RNG.normal(size=(4, 4)) * 0.5, RNG.normal(size=(3, 4)) * 0.5
    xs = RNG.normal(size=(5, 2, 3))
    g(W, U, xs)
    source = g.source
    append = source[source.index("tape.append") :].split(")\n")[0]
    # the matmul results are read by the backward only through np.shape
    assert "matmul" not in append.replace("shape", "")
    assert "shape" in append
    check_grad(rnn, W, U, xs, wrt=(0, 1))


def test_tape_memory_is_smaller_than_forward_intermediates():
    W, U = RNG.normal(size=(64, 64)) * 0.1, RNG.normal(size=(64, 64)) * 0.1
    xs = RNG.normal(size=(50, 32, 64))
    g = grad(rnn, wrt=(0, 1))
    g(W, U, xs)
    tracemalloc.start()
    g(W, U, xs)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    step = 32 * 64 * 8
    # per step: the carried h and tanh's output (2 arrays), not the 4
    # intermediates of the step
    assert peak < 50 * step * 3.2


# -- unbroadcasts proven needless -------------------------------------------
def test_elementwise_chains_need_no_unbroadcast():
    def f(x):
        z = np.tanh(np.sin(x) * x + 1.0)
        return np.sum(z * z)

    g = grad(f)
    x = RNG.normal(size=(3, 4))
    g(x)
    assert "unbroadcast(" not in g.source
    np.testing.assert_allclose(
        g(x),
        2
        * np.tanh(np.sin(x) * x + 1.0)
        * (1 - np.tanh(np.sin(x) * x + 1.0) ** 2)
        * (np.cos(x) * x + np.sin(x)),
        rtol=1e-12,
    )


def test_keepdims_reductions_fit_into_their_operand():
    def f(x):
        shifted = x - np.max(x, axis=1, keepdims=True)
        return np.sum(np.exp(shifted) * shifted)

    g = grad(f)
    x = RNG.normal(size=(3, 5))
    g(x)
    # only the reduction's own adjoint is summed back
    assert g.source.count("unbroadcast(") == 1
    check_grad(f, x)


@pytest.mark.parametrize(
    "shapes", [((3, 1), (1, 4)), ((4,), (3, 4)), ((), (2, 3)), ((2, 3), (2, 3))]
)
def test_real_broadcasting_still_sums_back(shapes):
    def f(a, b):
        return np.sum(np.sin(a * b) + a)

    a = RNG.normal(size=shapes[0])
    b = RNG.normal(size=shapes[1])
    if not shapes[0]:
        a = np.float64(a)
    check_grad(f, a, b, wrt=(0, 1))


def test_a_loop_whose_carried_shape_grows_keeps_its_unbroadcast():
    def f(h, x):
        for i in range(3):
            h = h * x + 1.0
        return np.sum(h)

    h = RNG.normal(size=(1,))
    x = RNG.normal(size=(4,))
    check_grad(f, h, x, wrt=(0, 1))


def test_if_with_branches_of_different_shapes():
    def f(x, y, flag):
        if flag > 0:
            z = x * y
        else:
            z = x
        return np.sum(z * x)

    x = RNG.normal(size=(3, 1))
    y = RNG.normal(size=(1, 4))
    for flag in (1.0, -1.0):
        check_grad(f, x, y, flag, wrt=(0, 1))


A3 = np.array([1.0, 2.0, 3.0])


@pytest.mark.parametrize("s", [0.7, np.float64(-0.4), np.array(1.3)])
def test_an_adjoint_fanned_out_through_dropped_unbroadcasts_is_not_overwritten(s):
    # d(dy + m) hands one adjoint to both operands, then d(dy + m) again:
    # every unbroadcast of it is needless (one shape), so the replacement
    # stands for several values; it was given their storage as if read once,
    # and the sum into m's adjoint overwrote the one dy's rule still read
    # (a silently wrong gradient: 581.2 against 560.8 here at s = 0.7)
    def f(s):
        y = s * A3
        a = np.exp(y)
        dy = a / y
        m = a * y
        dy = dy + m
        dy = dy + m
        return np.sum(dy * A3)

    check_grad(f, s)
    check_grad(f, s, order=2)


# -- repeated arithmetic ------------------------------------------------------
def test_a_repeated_expression_is_computed_once():
    def f(x):
        return np.sum(np.exp(x) * np.exp(x))

    g = grad(f)
    x = RNG.normal(size=5)
    g(x)
    assert g.source.count("= np.exp(x)") == 1
    np.testing.assert_allclose(g(x), 2 * np.exp(2 * x), rtol=1e-12)


def test_a_value_changed_in_place_is_not_shared():
    def f(x):
        a = x * 2.0
        b = x * 2.0
        a[0] = 5.0
        return np.sum(a * b)

    x = RNG.normal(size=4)
    check_grad(f, x)


def test_a_square_adds_one_contribution_to_itself():
    def f(x):
        z = np.sin(x)
        return np.sum(np.cos(z * z))

    g = grad(f)
    x = RNG.normal(size=6)
    g(x)
    assert "d_z = d_z + d_z" in g.source
    z = np.sin(x)
    expected = -np.sin(z * z) * 2 * z * np.cos(x)
    np.testing.assert_allclose(g(x), expected, rtol=1e-12)


def test_a_square_under_a_sum_doubles_the_number_not_the_array():
    def f(x):
        z = np.sin(x)
        return np.sum(z * z) + np.sum(x + x)

    g = grad(f)
    x = RNG.normal(size=6)
    g(x)
    backward = g.source.split("# backward sweep")[1]
    # the sum's adjoint is a number spread over z: 2 * number, then one product
    assert "d_z + d_z" not in backward and "d_out + d_out" in backward
    assert "np.broadcast_to(add" in backward  # x + x: the doubled number, spread
    np.testing.assert_allclose(g(x), 2 * np.sin(x) * np.cos(x) + 2.0, rtol=1e-12)
    check_grad(f, x)


# -- checkpoint ---------------------------------------------------------------
def cell(h, x, W, U):
    a = np.tanh(h @ W + x @ U)
    return np.sin(a) * a + np.exp(-a * a)


checkpointed_cell = checkpoint(cell)


def unrolled(W, U, xs):
    h = np.zeros((xs.shape[1], W.shape[0]))
    for t in range(xs.shape[0]):
        h = cell(h, xs[t], W, U)
    return np.sum(h * h)


def unrolled_checkpointed(W, U, xs):
    h = np.zeros((xs.shape[1], W.shape[0]))
    for t in range(xs.shape[0]):
        h = checkpointed_cell(h, xs[t], W, U)
    return np.sum(h * h)


def test_checkpoint_gives_the_same_gradient_with_less_memory():
    W, U = RNG.normal(size=(64, 64)) * 0.1, RNG.normal(size=(64, 64)) * 0.1
    xs = RNG.normal(size=(30, 32, 64))
    plain = value_and_grad(unrolled, wrt=(0, 1))
    saving = value_and_grad(unrolled_checkpointed, wrt=(0, 1))
    value, grads = plain(W, U, xs)
    value_2, grads_2 = saving(W, U, xs)
    assert value == value_2
    for a, b in zip(grads, grads_2):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    peaks = []
    for fn in (plain, saving):
        tracemalloc.start()
        fn(W, U, xs)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 0.5 * peaks[0]
    assert "cell_checkpoint_backward" in saving.source


def test_checkpoint_against_finite_differences_and_called_directly():
    W, U = RNG.normal(size=(3, 3)), RNG.normal(size=(2, 3))
    xs = RNG.normal(size=(4, 2, 2))
    check_grad(unrolled_checkpointed, W, U, xs, wrt=(0, 1))
    h = np.ones((2, 3))
    np.testing.assert_array_equal(
        checkpointed_cell(h, xs[0], W, U), cell(h, xs[0], W, U)
    )


@checkpoint
def decorated(x, w):
    return np.tanh(x * w) * x


def test_checkpoint_as_a_decorator():
    def f(x, w):
        return np.sum(decorated(x, w) ** 2)

    x, w = RNG.normal(size=5), 0.7
    check_grad(f, x, w, wrt=(0, 1))
    assert repr(decorated) == "checkpoint(decorated)"


def test_checkpoint_of_a_non_function_is_an_error():
    with pytest.raises(TypeError, match="Python function"):
        checkpoint(np.sin)


def aliased_through_a_loop(x, n):
    v = np.sin(x)
    k = 0
    while k < n:
        v = v * 2.0
        k += 1
    v[0] = 5.0  # when the loop does not run, this changes np.sin(x) itself
    return np.sum(v * np.sin(x))


@pytest.mark.parametrize("n", [0, 1])
def test_an_expression_is_not_shared_with_an_array_changed_through_an_alias(n):
    # found by the fuzzer (seed 5, program 366): np.sin(x) computed again
    # after the loop was read from the first one, changed in place since
    x = RNG.normal(size=4)
    value, _ = value_and_grad(aliased_through_a_loop)(x, n)
    assert value == aliased_through_a_loop(x.copy(), n)
    check_grad(aliased_through_a_loop, x, n)


def test_a_function_of_a_keepdims_reduction_still_fits():
    def log_softmax_sum(x, y):
        logp = x - np.log(np.sum(np.exp(x), axis=1, keepdims=True))
        return np.sum(logp * y)

    g = grad(log_softmax_sum)
    x, y = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    g(x, y)
    # kept: logp * y (y's shape is unknown) and the log term's own sum
    assert g.source.count("unbroadcast(") == 2
    check_grad(log_softmax_sum, x, y)


def one_over(x):
    return np.sum(1.0 / (1.0 + np.exp(-x)))


def minus_three_over(x):
    return np.sum(-3.0 / (1.0 + np.exp(-x)))


def zero_over(x):
    return np.sum(0.0 / (1.0 + np.exp(-x)) + x)


@pytest.mark.parametrize("f", [one_over, minus_three_over, zero_over])
def test_a_constant_over_y_stores_only_its_result(f):
    g = grad(f)
    x = RNG.normal(size=5)
    check_grad(f, x)
    forward = g.source.split("# backward sweep")[0]
    # the backward reads the quotient, not its denominator (unless 0.0 / y)
    assert ("del add\n" in forward) == (f is not zero_over)


def test_second_derivatives_through_a_checkpoint():
    # differentiated again, a checkpointed call is an ordinary call
    def f(x, w):
        return np.sum(decorated(x, w))

    x = np.linspace(-1.0, 1.0, 4)
    w = 0.7
    h = adcompiler.hessian(f)(x, w)
    t = np.tanh(w * x)
    d1 = w * (1 - t**2)  # d tanh(wx)/dx
    d2 = -2 * w * t * d1  # d^2 tanh(wx)/dx^2
    np.testing.assert_allclose(h, np.diag(2 * d1 + x * d2), rtol=1e-10, atol=1e-12)


# -- composite adjoints -------------------------------------------------------
def sigmoid_sum(x):
    return np.sum(1.0 / (1.0 + np.exp(-x)))


def sigmoid_int_ones_swapped(x):
    return np.sum(1 / (np.exp(-x) + 1))


def sigmoid_of_a_product(x):
    s = 1.0 / (1.0 + np.exp(-(x * x)))
    return np.sum(s * np.cos(x))


def sigmoid_in_a_loop(x):
    h = x
    for _ in range(3):
        h = 1.0 / (1.0 + np.exp(-(0.5 * h)))
    return np.sum(h)


@pytest.mark.parametrize(
    "f",
    [sigmoid_sum, sigmoid_int_ones_swapped, sigmoid_of_a_product, sigmoid_in_a_loop],
)
def test_a_sigmoid_is_differentiated_as_a_whole(f):
    g = grad(f)
    x = RNG.normal(size=6)
    g(x)
    forward, backward = g.source.split("# backward sweep")
    # the backward reads only the result: np.exp's output is released in
    # the forward sweep, or not put on a loop's tape, and is not read backwards
    tape = [line for line in forward.splitlines() if "tape.append" in line]
    assert "del exp" in forward
    assert not any("exp" in line for line in tape)
    code = [line for line in backward.splitlines() if "#" not in line]
    assert not any("exp" in line for line in code)
    check_grad(f, x)
    with adcompiler.options.optimizations(False):
        plain = grad(uncompiled(f))(x)  # compiled code is cached per function
    np.testing.assert_allclose(g(x), plain, rtol=1e-12, atol=1e-15)


def test_a_sigmoid_whose_inner_values_are_read_elsewhere_is_taken_op_by_op():
    def f(x):
        e = np.exp(-x)
        s = 1.0 / (1.0 + e)
        return np.sum(s * e)

    g = grad(f)
    x = RNG.normal(size=5)
    g(x)
    assert "d_e" in g.source  # e's adjoint gets both contributions
    s, e = 1 / (1 + np.exp(-x)), np.exp(-x)
    # d/dx [s e] with s' = s(1 - s), e' = -e
    np.testing.assert_allclose(g(x), s * (1 - s) * e - s * e, rtol=1e-12)
    check_grad(f, x)


def gaussian_wave(x):
    y = np.sin(x) * np.exp(-x * x)
    return np.sum(y * y)


def scaled_exp(x):
    return np.sum(np.exp(x * 0.5) * 3.0)


def broadcast_exp(a, u):
    return np.sum(np.tanh(a * np.exp(u)))


def exp_divided(x):
    return np.sum(np.exp(np.sin(x)) / (x * x + 1.0))


def test_a_product_with_an_exponential_uses_the_product():
    # y = a * np.exp(u): d_u = (d_y * a) * np.exp(u) = d_y * y
    g = grad(gaussian_wave)
    x = RNG.normal(size=6)
    g(x)
    backward = g.source.split("# backward sweep")[1]
    assert "d_mul = d_y * y" in backward and "d_exp" not in backward
    check_grad(gaussian_wave, x)
    with adcompiler.options.optimizations(False):
        plain = grad(uncompiled(gaussian_wave))(x)
    np.testing.assert_allclose(g(x), plain, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "f, args",
    [
        (scaled_exp, (RNG.normal(size=5),)),
        # exp(u) broadcast against a: u's adjoint is summed back to u's shape
        (broadcast_exp, (RNG.normal(size=(3, 4)), RNG.normal(size=4))),
        (broadcast_exp, (RNG.normal(size=4), RNG.normal(size=(3, 4)))),
        # a quotient is not a product: taken op by op
        (exp_divided, (RNG.normal(size=5),)),
    ],
)
def test_products_with_an_exponential_keep_their_gradient(f, args):
    check_grad(f, *args)
    with adcompiler.options.optimizations(False):
        plain = grad(uncompiled(f), wrt=tuple(range(len(args))))(*args)
    optimised = grad(f, wrt=tuple(range(len(args))))(*args)
    for mine, theirs in zip(optimised, plain):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-15)


def test_a_saturated_sigmoid_has_a_zero_not_a_nan_derivative():
    x = np.array([-800.0, -40.0, 0.0, 40.0])
    with np.errstate(over="ignore"):
        d = grad(sigmoid_sum)(x)
    s = 1 / (1 + np.exp(-x[1:]))
    # exp(800) overflows to inf: sigma is 0 there and so is its slope
    np.testing.assert_allclose(d, np.concatenate([[0.0], s * (1 - s)]), rtol=1e-12)
