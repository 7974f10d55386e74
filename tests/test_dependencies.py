"""The dependency model: everything a compilation read from outside the
function (names, attribute chains of modules, classes and objects, defaults,
closure cells, callees' code) is checked before each reuse of the compiled
code, so a change after compiling gives the new value and gradient, for a
gradient function made before the change and for a new one alike.

Each test changes one thing after compiling and compares against Python's
own value and central finite differences (float64), for grad,
value_and_grad, vjp, jvp and the Hessian.
"""

from __future__ import annotations

import importlib
import os
import sys
import types

import numpy as np
import pytest

import adcompiler.pipeline as pipeline
from adcompiler import grad, hessian, jvp, numerical_grad, value_and_grad, vjp
from support.modules import load_module

X = np.array([0.3, 1.1])


def direction(x):
    """A tangent direction for ``x``."""
    return np.linspace(0.7, -0.4, x.size)


def numerical_hessian(f, x, eps=1e-4):
    """Central second differences of ``f`` at ``x`` (float64)."""
    n = x.size
    out = np.zeros((n, n))
    basis = np.eye(n) * eps
    for i in range(n):
        for j in range(n):
            out[i, j] = (
                f(x + basis[i] + basis[j])
                - f(x + basis[i] - basis[j])
                - f(x - basis[i] + basis[j])
                + f(x - basis[i] - basis[j])
            ) / (4 * eps * eps)
    return out


def assert_right(f, old=None, x=X, every=True):
    """``f``'s value and derivatives at ``x`` are what Python and central
    differences give now: through ``old`` (gradient functions made before a
    change, called again) and through new ones; with ``every``, through
    vjp, jvp and the Hessian too."""
    value = f(x)
    numeric = numerical_grad(f, x)
    for g in old or ():
        np.testing.assert_allclose(g(x), numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(grad(f)(x), numeric, rtol=1e-6, atol=1e-8)
    v, gradient = value_and_grad(f)(x)
    np.testing.assert_allclose(v, value, rtol=1e-12)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-8)
    if not every:
        return
    out, pullback = vjp(f, x)
    np.testing.assert_allclose(out, value, rtol=1e-12)
    np.testing.assert_allclose(pullback(1.0)[0], numeric, rtol=1e-6, atol=1e-8)
    out, tangent = jvp(f, (x,), (direction(x),))
    np.testing.assert_allclose(out, value, rtol=1e-12)
    np.testing.assert_allclose(tangent, numeric @ direction(x), rtol=1e-6, atol=1e-8)
    expected = numerical_hessian(f, x)
    np.testing.assert_allclose(hessian(f)(x), expected, rtol=1e-4, atol=1e-5)


def compile_all(f, x=X, every=True):
    """Compile (and run) every transformation of ``f`` (with ``every``;
    else grad and value_and_grad); the gradient functions made, to call
    again after a change."""
    g, vg = grad(f), value_and_grad(f)
    g(x), vg(x)
    if every:
        vjp(f, x)[1](1.0)
        jvp(f, (x,), (direction(x),))
        hessian(f)(x)
    return [g, lambda x: vg(x)[1]]


@pytest.fixture
def settings(tmp_path, monkeypatch):
    """A module ``settings`` (written to a file, imported) as a global here."""
    module = load_module(
        tmp_path / "dep_settings.py",
        "SCALE = 2.0\nMODE = 'sin'\nWEIGHTS = [1.0, 2.0]\n",
        "dep_settings",
    )
    monkeypatch.setitem(globals(), "settings", module)
    yield module
    sys.modules.pop("dep_settings", None)


def uses_module_attribute(x):
    return np.sum(settings.SCALE * np.sin(x) ** 2)


def test_module_attribute_changed(settings):
    old = compile_all(uses_module_attribute)
    settings.SCALE = 3.0
    assert_right(uses_module_attribute, old)
    np.testing.assert_allclose(
        grad(uses_module_attribute)(X), 3.0 * 2 * np.sin(X) * np.cos(X)
    )


def branches_on_module_attribute(x):
    if settings.MODE == "sin":
        return np.sum(np.sin(x) * x)
    return np.sum(np.cos(x) * x)


def test_module_attribute_deciding_a_branch(settings):
    old = compile_all(branches_on_module_attribute)
    settings.MODE = "cos"
    assert_right(branches_on_module_attribute, old)


def uses_module_list(x):
    return np.sum(settings.WEIGHTS[0] * x**2 + settings.WEIGHTS[1] * x**3)


def test_module_list_item_changed_in_place(settings):
    # the list's items were spelled as constants: changing one in place
    # must compile again
    old = compile_all(uses_module_list)
    settings.WEIGHTS[1] = -4.0
    assert_right(uses_module_list, old)


class Config:
    scale = 2.0


def uses_class_attribute(x):
    return np.sum(np.exp(Config.scale * x))


def test_class_attribute_changed(monkeypatch):
    old = compile_all(uses_class_attribute)
    monkeypatch.setattr(Config, "scale", 0.5)
    assert_right(uses_class_attribute, old)


namespace = types.SimpleNamespace(power=2.0, offset=1.0)


def uses_namespace_field(x):
    return np.sum((x + namespace.offset) ** namespace.power)


def test_simple_namespace_field_changed(monkeypatch):
    old = compile_all(uses_namespace_field)
    monkeypatch.setattr(namespace, "power", 3.0)
    assert_right(uses_namespace_field, old)
    monkeypatch.setattr(namespace, "offset", -2.0)
    assert_right(uses_namespace_field, old)


class Layer:
    def __init__(self, width):
        self.width = width


layer = Layer(2.0)


def uses_object_attribute(x):
    return np.sum(np.tanh(layer.width * x))


def test_attribute_of_a_global_object_changed(monkeypatch):
    old = compile_all(uses_object_attribute)
    monkeypatch.setattr(layer, "width", -0.7)
    assert_right(uses_object_attribute, old)


def test_global_object_replaced(monkeypatch):
    old = compile_all(uses_object_attribute)
    monkeypatch.setitem(globals(), "layer", Layer(1.5))
    assert_right(uses_object_attribute, old)


@pytest.fixture
def model(tmp_path, monkeypatch):
    """A module ``model`` of functions, importable by name (for reload)."""
    path = tmp_path / "dep_model.py"
    path.write_text(
        "import numpy as np\n\nSCALE = 2.0\n\n\ndef act(z):\n    return np.sin(z)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("dep_model")
    monkeypatch.setitem(globals(), "model", module)
    yield module
    sys.modules.pop("dep_model", None)


def calls_module_function(x):
    return np.sum(model.act(x) * x)


def test_module_function_replaced(model, monkeypatch):
    old = compile_all(calls_module_function)
    monkeypatch.setattr(model, "act", np.cos)
    assert_right(calls_module_function, old)


def uses_reloaded_module(x):
    return np.sum(model.SCALE * model.act(x) ** 2)


def test_module_edited_and_reloaded(model):
    old = compile_all(uses_reloaded_module)
    old_act = model.act
    act = grad(old_act)
    act(0.4)
    path = model.__file__
    with open(path, "w") as file:
        file.write(
            "import numpy as np\n\nSCALE = 3.0\n\n\n"
            "def act(z):\n    return np.cos(z) * z\n"
        )
    stat = os.stat(path)  # a new mtime: the import system and linecache see the edit
    os.utime(path, (stat.st_atime + 10, stat.st_mtime + 10))
    importlib.invalidate_caches()
    importlib.reload(model)
    assert model.act is not old_act
    assert_right(uses_reloaded_module, old)
    # the reloaded module's own function: its new code
    np.testing.assert_allclose(
        grad(model.act)(1.3), numerical_grad(model.act, 1.3), rtol=1e-6
    )
    # the old function object is still Python's old function (sin)
    np.testing.assert_allclose(act(0.4), np.cos(0.4), rtol=1e-12)


def with_default(x, scale=2.0):
    return np.sum(scale * np.sin(x) * x)


def test_defaults_replaced(monkeypatch):
    # (vjp, jvp and hessian of a function with defaults: item "default
    # arguments in every transformation" of the issue, elsewhere)
    old = compile_all(with_default, every=False)
    monkeypatch.setattr(with_default, "__defaults__", (-3.0,))
    assert_right(with_default, old, every=False)


def with_keyword_default(x, *, scale=2.0):
    return np.sum(scale * np.sin(x) * x)


def test_keyword_defaults_changed(monkeypatch):
    g = grad(with_keyword_default)
    g(X)
    monkeypatch.setattr(with_keyword_default, "__kwdefaults__", {"scale": 5.0})
    expected = numerical_grad(with_keyword_default, X)
    np.testing.assert_allclose(g(X), expected, rtol=1e-6)
    np.testing.assert_allclose(grad(with_keyword_default)(X), expected, rtol=1e-6)
    # changed in place: the same dict, a new value
    with_keyword_default.__kwdefaults__["scale"] = -1.5
    expected = numerical_grad(with_keyword_default, X)
    np.testing.assert_allclose(g(X), expected, rtol=1e-6)
    assert_right(with_keyword_default, [g], every=False)


def helper_with_default(z, power=2.0):
    return z**power


def calls_helper_with_default(x):
    return np.sum(helper_with_default(x) * 3.0)


def test_callee_defaults_replaced(monkeypatch):
    old = compile_all(calls_helper_with_default)
    monkeypatch.setattr(helper_with_default, "__defaults__", (3.0,))
    assert_right(calls_helper_with_default, old)


def test_closure_cell_changed():
    def make():
        scale = 2.0

        def f(x):
            return np.sum(np.sin(scale * x))

        def set_scale(value):
            nonlocal scale
            scale = value

        return f, set_scale

    f, set_scale = make()
    old = compile_all(f)
    set_scale(-0.6)
    assert_right(f, old)


def cube(z):
    return z * z * z


def _square(z):
    return z * z


def calls_cube(x):
    return np.sum(cube(x) + x)


def test_callee_code_replaced(monkeypatch):
    old = compile_all(calls_cube)
    monkeypatch.setattr(cube, "__code__", _square.__code__)
    assert_right(calls_cube, old)


OFFSET = 1.0


def uses_global(x):
    return np.sum(np.log(x + OFFSET) * x)


def test_global_rebound(monkeypatch):
    old = compile_all(uses_global)
    monkeypatch.setitem(globals(), "OFFSET", 2.5)
    assert_right(uses_global, old)


def inlined_reads_module(z):
    return settings.SCALE * z * z


def calls_inlined_reader(x):
    return np.sum(inlined_reads_module(x) * np.sin(x))


def test_inlined_helper_reading_a_module_attribute(settings):
    old = compile_all(calls_inlined_reader)
    settings.SCALE = -1.25
    assert_right(calls_inlined_reader, old)


def called_reads_module(z):
    total = 0.0
    for i in range(2):  # a loop: called, not inlined
        total = total + settings.SCALE * z[i] ** 2
    return total


def calls_called_reader(x):
    return called_reads_module(x) * 2.0


def test_called_helper_reading_a_module_attribute(settings):
    old = compile_all(calls_called_reader)
    settings.SCALE = 4.0
    assert_right(calls_called_reader, old)


def nested_inlined(z):
    return inlined_reads_module(z) + z


def calls_nested(x):
    return np.sum(nested_inlined(x) ** 2)


def test_helper_of_a_helper_reading_a_module_attribute(settings):
    old = compile_all(calls_nested)
    settings.SCALE = 0.25
    assert_right(calls_nested, old)


WEIGHTS = np.array([1.0, -2.0])


def uses_global_array(x):
    return np.sum(WEIGHTS * x**2)


def test_global_array_contents_are_read_at_run_time():
    # the array is the same object: its items are read at each call
    old = compile_all(uses_global_array)
    saved = WEIGHTS.copy()
    try:
        WEIGHTS[:] = [3.0, 0.5]
        assert_right(uses_global_array, old)
    finally:
        WEIGHTS[:] = saved


def test_nothing_changed_compiles_once(settings, monkeypatch, model):
    def reads_everything(x):
        return np.sum(settings.SCALE * model.act(x) + np.linalg.norm(x))

    g = grad(reads_everything)
    g(X)
    monkeypatch.setattr(pipeline, "_compile", _fail)
    for _ in range(3):
        np.testing.assert_allclose(g(X), numerical_grad(reads_everything, X), rtol=1e-6)


def _fail(*args, **kwargs):
    raise AssertionError("compiled again though nothing changed")


def squared_scaled(x):
    return np.sum(settings.SCALE * x**2)


def calls_a_gradient_function(x):
    return np.sum(GRADIENT(x) * np.sin(x))


def test_gradient_function_called_from_compiled_code(settings, monkeypatch):
    # the caller was compiled from the gradient's generated code: a change
    # the gradient depends on compiles both again
    monkeypatch.setitem(globals(), "GRADIENT", grad(squared_scaled))
    old = compile_all(calls_a_gradient_function)
    settings.SCALE = -0.5
    assert_right(calls_a_gradient_function, old)


def checkpointed_reader(z):
    total = 0.0
    for i in range(2):
        total = total + settings.SCALE * np.sin(z[i]) * z[i]
    return total


def calls_checkpointed(x):
    return CHECKPOINTED(x) * 3.0


def test_checkpointed_callee_reading_a_module_attribute(settings, monkeypatch):
    from adcompiler import checkpoint

    monkeypatch.setitem(globals(), "CHECKPOINTED", checkpoint(checkpointed_reader))
    old = compile_all(calls_checkpointed)
    settings.SCALE = 1.75
    assert_right(calls_checkpointed, old)


class Scaled:
    def __init__(self, value):
        self.value = value

    @property
    def doubled(self):
        return self.value * 2.0  # a new float at each read


scaled = Scaled(0.5)


def uses_property(x):
    return np.sum(np.sin(scaled.doubled * x))


def test_property_read_again_each_call(monkeypatch):
    # an equal number read again is the same dependency: no recompilation
    g = grad(uses_property)
    g(X)
    calls = []
    original = pipeline._compile
    monkeypatch.setattr(
        pipeline, "_compile", lambda *a: calls.append(1) or original(*a)
    )
    np.testing.assert_allclose(g(X), numerical_grad(uses_property, X), rtol=1e-6)
    assert calls == []
    scaled.value = -1.5
    assert_right(uses_property, [g])
    assert calls  # a new value: compiled again


def clipped(z):
    return z * z


def calls_clipped(x):
    return np.sum(clipped(x) * 3.0)


def test_rule_registered_after_compiling():
    # the call was inlined and differentiated; a rule registered afterwards
    # for the callee is what its derivative is from then on
    from adcompiler import defvjp

    g = grad(calls_clipped)
    np.testing.assert_allclose(g(X), numerical_grad(calls_clipped, X), rtol=1e-6)
    defvjp(clipped, lambda g, ans, z: g * np.clip(2 * z, -1.0, 1.0))
    expected = 3.0 * np.clip(2 * X, -1.0, 1.0)  # the rule's closed form
    np.testing.assert_allclose(g(X), expected, rtol=1e-12)
    np.testing.assert_allclose(grad(calls_clipped)(X), expected, rtol=1e-12)


X3 = np.array([0.3, 1.1, -0.8, 0.5])


def loops_over_module_count(x):
    total = 0.0
    for i in range(settings.COUNT):
        total = total + np.sin(x[i]) * x[i]
    return total


def reshapes_by_module_shape(x):
    return np.sum(np.sum(x.reshape(settings.SHAPE), axis=0) ** 2)


def test_module_attributes_deciding_a_loop_count_and_a_shape(settings):
    settings.COUNT, settings.SHAPE = 2, (2, 2)
    old = compile_all(loops_over_module_count, X3)
    old += compile_all(reshapes_by_module_shape, X3)
    settings.COUNT, settings.SHAPE = 4, (1, 4)
    assert_right(loops_over_module_count, old[:2], X3)
    assert_right(reshapes_by_module_shape, old[2:], X3)


TABLE = [1.0, 2.0]


def uses_global_list(x):
    total = 0.0
    for weight in TABLE:
        total = total + weight * np.sum(x**2)
    return total


def test_global_list_changed_in_place(monkeypatch):
    # its items are read at each call; a new length compiles again
    monkeypatch.setitem(globals(), "TABLE", [1.0, 2.0])
    old = compile_all(uses_global_list)
    TABLE[1] = -3.0
    assert_right(uses_global_list, old)
    TABLE.append(0.5)
    assert_right(uses_global_list, old)


def uses_module_array(x):
    return np.sum(settings.ARRAY * np.cos(x))


def test_module_array_changed_in_place_and_rebound(settings):
    settings.ARRAY = np.array([1.0, 2.0])
    old = compile_all(uses_module_array)
    settings.ARRAY[0] = -4.0  # read at run time: the same array
    assert_right(uses_module_array, old)
    settings.ARRAY = np.array([0.5, 0.25])
    assert_right(uses_module_array, old)


def test_module_attribute_deleted_raises(settings):
    from adcompiler.errors import ADError

    g = grad(uses_module_attribute)
    g(X)
    del settings.SCALE
    with pytest.raises(ADError, match="SCALE"):
        g(X)


def uses_builtin_abs(x):
    return np.sum(abs(x) * x)


def test_builtin_shadowed_by_a_global(monkeypatch):
    old = compile_all(uses_builtin_abs)

    def abs(z):  # noqa: A001  (shadows the builtin, as a user's module might)
        return z * z

    monkeypatch.setitem(globals(), "abs", abs)
    assert_right(uses_builtin_abs, old)


def nested_def_reads_module(x):
    def scaled(z):
        return settings.SCALE * np.sin(z)

    return np.sum(scaled(x) * x)


def local_alias_of_module(x):
    s = settings
    return np.sum(s.SCALE * x**3)


def test_nested_def_and_local_alias_reading_a_module_attribute(settings):
    old = compile_all(nested_def_reads_module)
    old += compile_all(local_alias_of_module)
    settings.SCALE = -2.5
    assert_right(nested_def_reads_module, old[:2])
    assert_right(local_alias_of_module, old[2:])
