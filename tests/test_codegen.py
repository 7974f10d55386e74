"""Generated source: valid, black-formatted, deterministic, readable, debuggable."""

import ast
import inspect
import subprocess
import sys
import textwrap
import traceback

import black
import numpy as np
import pytest

from adcompiler import check_grad, grad


def layer_loss(W, b, x, y):
    h = np.tanh(x @ W + b)
    p = 1.0 / (1.0 + np.exp(-h.sum(axis=1)))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def test_source_is_valid_black_formatted_python():
    source = grad(layer_loss, wrt=(0, 1)).source
    ast.parse(source)
    assert black.format_str(source, mode=black.Mode()) == source


def test_source_has_comments_pointing_to_user_lines():
    source = grad(layer_loss).source
    lines, first = inspect.getsourcelines(layer_loss)
    assert f"# line {first + 1}: h = np.tanh(x @ W + b)" in source
    assert f"# line {first + 3}: return -np.mean(" in source
    assert "# forward sweep" in source
    assert "# backward sweep: adjoints, in reverse order" in source


def test_one_operation_per_line():
    source = grad(layer_loss).source
    for stmt in ast.parse(source).body[0].body:
        if isinstance(stmt, ast.Assign):
            operations = [
                node
                for node in ast.walk(stmt.value)
                if isinstance(node, (ast.Call, ast.BinOp, ast.UnaryOp, ast.Compare))
            ]
            assert len(operations) == 1, ast.unparse(stmt)


SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from test_codegen import layer_loss
    from adcompiler import grad
    print(grad(layer_loss, wrt=(0, 1)).source)
    """)


def test_source_is_identical_in_separate_processes():
    import os

    tests = os.path.dirname(__file__)
    runs = [
        subprocess.run(
            [sys.executable, "-c", SCRIPT.format(tests=tests)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1]
    assert runs[0].strip() == grad(layer_loss, wrt=(0, 1)).source.strip()


def test_generated_names_never_collide_with_user_names():
    def f(x, d_x, np_, grad_x):
        mul = x * d_x
        shape = mul + np_
        seed_adjoint = np.sin(shape)
        unbroadcast = seed_adjoint * grad_x
        d_mul = unbroadcast.sum()
        return d_mul

    rng = np.random.default_rng(0)
    args = [rng.normal(size=3) for _ in range(4)]
    check_grad(f, *args, wrt=(0, 1, 2, 3))
    source = grad(f).source
    ast.parse(source)
    assert "def grad_f_2(x, d_x, np_, grad_x):" in source or "def grad_f(" in source


def test_user_variable_named_np_does_not_shadow_numpy():
    def f(x):
        np_ = 2.0
        return np.sum(np.exp(x) * np_)

    check_grad(f, np.array([0.1, 0.2]))


def test_tracebacks_and_inspect_show_generated_lines():
    def f(x, y):
        return np.sum(x @ y)

    g = grad(f)
    with pytest.raises(ValueError) as info:
        g(np.ones((2, 3)), np.ones((4, 2)))
    text = "".join(traceback.format_exception(info.value))
    assert "<adcompiler: grad of" in text
    assert "matmul = x @ y" in text
    generated = g._compiled().generated.fn
    assert inspect.getsource(generated) == g._compiled().generated.raw_source


def test_readable_backward_names():
    def f(x, w):
        h = np.tanh(x * w)
        return np.sum(h)

    source = grad(f, wrt=(0, 1)).source
    assert "d_h = " in source
    assert "d_x = " in source and "d_w = " in source
    assert "grad_x = fit_gradient(d_x, x)" in source


def test_generated_code_is_inside_the_accepted_subset():
    """Every generated function lowers again: the road to grad(grad(f))."""
    from adcompiler.frontend import parse_function
    from adcompiler.lower import lower
    from adcompiler.pipeline import CALL_SITES

    def indexing(x, idx):
        return np.sum(x[1:, None] * x[idx].sum() + np.concatenate([x, x * 2.0]).mean())

    cases = [
        (layer_loss, (0, 1)),
        (indexing, (0,)),
    ]
    for fn, wrt in cases:
        generated = grad(fn, wrt=wrt)._compiled().generated.fn
        graph = lower(parse_function(generated), (), False, CALL_SITES).graph
        assert graph.params[0].name == fn.__code__.co_varnames[0]


def test_array_constants_made_by_rules_live_in_the_namespace():
    from adcompiler.primitives.registry import defvjp

    def doubled(x):
        return 2.0 * x

    # a rule whose constant part is an array: generated code cannot spell
    # the array in place, so it must refer to it by name
    defvjp(doubled, lambda g, ans, x: g * 2.0 * np.ones(3))

    def f(x):
        return np.sum(doubled(x) * np.arange(3.0))

    np.testing.assert_allclose(grad(f)(np.ones(3)), 2.0 * np.arange(3.0))
    assert "array(" not in grad(f).source


def test_namer_takes_the_smallest_free_suffix_even_after_frees():
    from adcompiler.ir import Namer

    namer = Namer(reserved={"x"})
    assert [namer.claim("a") for _ in range(3)] == ["a", "a_2", "a_3"]
    namer.taken.discard("a_2")
    assert namer.claim("a") == "a_2"
    assert namer.claim("a") == "a_4"
    namer.taken.discard("a")
    assert namer.claim("a") == "a"
    assert namer.claim("x") == "x_2"  # reserved: the user's name
    assert namer.claim("sum") == "sum_2"  # a builtin's name is for the builtin
    assert namer.claim("sum", builtin=True) == "sum"
