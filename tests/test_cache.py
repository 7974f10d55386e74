"""The compile cache: hits, and exactly what invalidates an entry."""

import gc
import importlib
import sys
import threading
import weakref

import numpy as np

import adcompiler.pipeline as pipeline
from adcompiler import grad

SCALE = 2.0


def scaled(x):
    return np.sum(x * SCALE)


def test_second_call_does_not_parse_again(monkeypatch):
    def f(x):
        return np.sum(np.sin(x))

    g = grad(f)
    x = np.ones(3)
    g(x)
    monkeypatch.setattr(pipeline, "parse_function", _fail)
    np.testing.assert_allclose(g(x), np.cos(x))
    # a new grad object for the same function and wrt shares the entry
    np.testing.assert_allclose(grad(f)(x), np.cos(x))


def _fail(*args, **kwargs):
    raise AssertionError("parsed again")


def test_different_wrt_compiles_separately():
    def f(x, y):
        return np.sum(x * y**2)

    x, y = np.ones(2), np.full(2, 3.0)
    np.testing.assert_allclose(grad(f, wrt=0)(x, y), y**2)
    np.testing.assert_allclose(grad(f, wrt=1)(x, y), 2 * x * y)


def test_replaced_code_object_recompiles():
    def f(x):
        return np.sum(x**2)

    def other(x):
        return np.sum(x**3)

    g = grad(f)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(g(x), 2 * x)
    f.__code__ = other.__code__
    # the stale entry must not run: the new code object is read and compiled
    np.testing.assert_allclose(g(x), 3 * x**2)


def test_rebound_global_recompiles():
    global SCALE
    g = grad(scaled)
    x = np.ones(2)
    np.testing.assert_allclose(g(x), [2.0, 2.0])
    SCALE = 5.0
    try:
        np.testing.assert_allclose(g(x), [5.0, 5.0])
    finally:
        SCALE = 2.0
    np.testing.assert_allclose(g(x), [2.0, 2.0])


def test_rebound_global_function_recompiles(monkeypatch):
    module = sys.modules[__name__]

    def f(x):
        return np.sum(activation(x))

    g = grad(f)
    x = np.array([0.1, 0.2])
    np.testing.assert_allclose(g(x), np.cos(x))
    monkeypatch.setattr(module, "activation", np.tanh)
    np.testing.assert_allclose(g(x), 1 - np.tanh(x) ** 2)


activation = np.sin


def test_closures_with_same_code_do_not_share_entries():
    def make(c):
        def f(x):
            return np.sum(x * c)

        return f

    x = np.ones(3)
    np.testing.assert_allclose(grad(make(2.0))(x), 2.0)
    np.testing.assert_allclose(grad(make(7.0))(x), 7.0)


def test_module_edit_and_reload_recompiles(tmp_path, monkeypatch):
    path = tmp_path / "reloaded_model.py"
    path.write_text("import numpy as np\n\ndef f(x):\n    return np.sum(x ** 2)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("reloaded_model")
    x = np.array([1.0, 3.0])
    np.testing.assert_allclose(grad(module.f)(x), 2 * x)
    path.write_text("import numpy as np\n\ndef f(x):\n    return np.sum(x ** 3)\n")
    importlib.invalidate_caches()
    import os

    os.utime(path, (path.stat().st_atime + 10, path.stat().st_mtime + 10))
    module = importlib.reload(module)
    np.testing.assert_allclose(grad(module.f)(x), 3 * x**2)
    sys.modules.pop("reloaded_model", None)


def test_cache_does_not_keep_dead_functions_alive():
    def make():
        def f(x):
            return np.sum(np.exp(x))

        return f

    f = make()
    g = grad(f)
    g(np.ones(2))
    ref = weakref.ref(f)
    del f, g
    gc.collect()
    assert ref() is None


def test_threads_compile_once_and_agree(monkeypatch):
    def f(x):
        return np.sum(np.tanh(x) ** 2)

    calls = []
    original = pipeline._compile

    def counting(*args):
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(pipeline, "_compile", counting)
    g = grad(f)
    x = np.linspace(-1, 1, 5)
    expected = 2 * np.tanh(x) * (1 - np.tanh(x) ** 2)
    results = [None] * 8
    barrier = threading.Barrier(8)

    def work(i):
        barrier.wait()
        results[i] = g(x)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    for r in results:
        np.testing.assert_allclose(r, expected)
