"""Objects as people write them: bound methods differentiated, methods and
attributes of user objects in differentiated code, dataclasses and
NamedTuples (and classes registered with register_tree) as parameter
trees whose gradients come back as the same class.

Every gradient is compared with central finite differences in float64
(:func:`fd`, perturbing one element of one leaf at a time) or a closed form.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pytest

import adcompiler as ad
from adcompiler import UnsupportedSyntaxError
from adcompiler.errors import ADError, ArgumentError

RNG = np.random.default_rng(16)


# -- an independent oracle -------------------------------------------------


def _children(obj):
    """(rebuild, children) of a dataclass, NamedTuple, list, tuple or dict."""
    if dataclasses.is_dataclass(obj):
        names = [f.name for f in dataclasses.fields(obj)]
        return (
            lambda values: dataclasses.replace(obj, **dict(zip(names, values))),
            [getattr(obj, n) for n in names],
        )
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return (lambda values: type(obj)(*values)), list(obj)
    if isinstance(obj, (list, tuple)):
        return (lambda values: type(obj)(values)), list(obj)
    if isinstance(obj, dict):
        keys = list(obj)
        return (lambda values: dict(zip(keys, values))), list(obj.values())
    return None


def fd(f, args, index=0, eps=1e-6):
    """Central differences of scalar ``f(*args)`` with respect to
    ``args[index]``: its float leaves; other leaves (ints, strings) are
    returned as they are, like static fields."""

    def numerical(evaluate, x):
        found = _children(x)
        if found is not None:
            rebuild, items = found

            def at(k):
                return lambda v: evaluate(rebuild(items[:k] + [v] + items[k + 1 :]))

            return rebuild([numerical(at(k), item) for k, item in enumerate(items)])
        if isinstance(x, (bool, int, str)) or x is None or callable(x):
            return x
        if isinstance(x, float):
            h = eps * max(1.0, abs(x))
            return (evaluate(x + h) - evaluate(x - h)) / (2 * h)
        x = np.array(x, dtype=np.float64)
        out = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            h = eps * max(1.0, abs(x[i]))
            saved = x[i]
            x[i] = saved + h
            up = evaluate(x.copy())
            x[i] = saved - h
            down = evaluate(x.copy())
            x[i] = saved
            out[i] = (up - down) / (2 * h)
        return out

    def evaluate(value):
        call = list(args)
        call[index] = value
        return float(f(*copy.deepcopy(call)))  # f may change its arrays

    return numerical(evaluate, args[index])


def assert_same_tree(got, want, rtol=1e-6, atol=1e-8):
    """``got`` has ``want``'s classes and structure, and its float leaves
    are close to ``want``'s (static leaves equal)."""
    assert type(got) is type(want), (type(got), type(want))
    found = _children(want)
    if found is not None:
        _, items = found
        assert len(_children(got)[1]) == len(items)
        for a, b in zip(_children(got)[1], items):
            assert_same_tree(a, b, rtol, atol)
        return
    if isinstance(want, (bool, int, str)) or want is None:
        assert got == want
        return
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


# -- the must-show example: a class-based model trained with grad ------------


@dataclass
class Params:
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray


class MLP:
    """A two-layer perceptron whose parameters are a Params."""

    def __init__(self, sizes, act=np.tanh):
        self.sizes = sizes
        self.act = act

    def init(self, rng):
        n_in, n_hidden, n_out = self.sizes
        return Params(
            W1=rng.normal(size=(n_in, n_hidden)) * 0.5,
            b1=np.zeros(n_hidden),
            W2=rng.normal(size=(n_hidden, n_out)) * 0.5,
            b2=np.zeros(n_out),
        )

    def __call__(self, params, x):
        hidden = self.act(x @ params.W1 + params.b1)
        return hidden @ params.W2 + params.b2

    def loss(self, params, x, y):
        pred = self(params, x)
        return np.mean((pred - y) ** 2)


def test_training_loop_of_a_class_based_model():
    model = MLP((3, 8, 1))
    params = model.init(np.random.default_rng(0))
    x = RNG.normal(size=(32, 3))
    y = np.sin(x @ np.array([[1.0], [-0.5], [0.25]]))
    loss_grad = ad.grad(model.loss)

    first = loss_grad(params, x, y)
    assert isinstance(first, Params)
    assert_same_tree(first, fd(model.loss, (params, x, y)), rtol=1e-5, atol=1e-8)

    losses = [model.loss(params, x, y)]
    for _ in range(25):
        g = loss_grad(params, x, y)
        params = Params(
            *(
                getattr(params, f) - 0.1 * getattr(g, f)
                for f in ("W1", "b1", "W2", "b2")
            )
        )
        losses.append(model.loss(params, x, y))
    assert losses[-1] < 0.8 * losses[0]
    assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:]))


# -- bound methods as the differentiated function ---------------------------


class Scaled:
    def __init__(self, scale, offset):
        self.scale = scale
        self.offset = offset

    def loss(self, w, x):
        return np.sum(np.tanh(w * x) * self.scale) + self.offset * np.sum(w)

    def vector(self, w):
        return np.sin(w) * self.scale

    @staticmethod
    def static_loss(w):
        return np.sum(w**3)

    @classmethod
    def class_loss(cls, w):
        return np.sum(w**2) * cls.FACTOR

    FACTOR = 1.5


W = RNG.normal(size=4)
X = RNG.normal(size=4)


def test_grad_of_a_bound_method():
    m = Scaled(2.0, 0.5)
    g = ad.grad(m.loss)(W, X)
    np.testing.assert_allclose(g, fd(m.loss, (W, X)), rtol=1e-6)
    value, g2 = ad.value_and_grad(m.loss, wrt=(0, 1))(W, X)
    assert value == pytest.approx(m.loss(W, X))
    np.testing.assert_allclose(g2[1], fd(m.loss, (W, X), 1), rtol=1e-6)


def test_changing_an_attribute_recompiles():
    m = Scaled(2.0, 0.5)
    g = ad.grad(m.loss)
    before = g(W, X)
    m.scale = 3.0  # read while compiling: the compiled code is stale
    after = g(W, X)
    np.testing.assert_allclose(after, fd(m.loss, (W, X)), rtol=1e-6)
    assert not np.allclose(before, after)


def test_bound_method_through_vjp_jvp_jacobian_hessian():
    m = Scaled(2.0, 0.5)
    value, pullback = ad.vjp(m.vector, W)
    np.testing.assert_allclose(value, m.vector(W))
    np.testing.assert_allclose(pullback(np.ones(4))[0], np.cos(W) * 2.0)
    t = RNG.normal(size=4)
    _, tangent = ad.jvp(m.vector, (W,), (t,))
    np.testing.assert_allclose(tangent, np.cos(W) * 2.0 * t)
    np.testing.assert_allclose(ad.jacobian(m.vector)(W), np.diag(np.cos(W) * 2.0))
    hessian = ad.hessian(m.loss)(W, X)
    closed = np.diag(-2 * np.tanh(W * X) / np.cosh(W * X) ** 2 * X**2 * 2.0)
    np.testing.assert_allclose(hessian, closed, rtol=1e-6, atol=1e-12)


def test_staticmethod_and_classmethod_access():
    m = Scaled(1.0, 0.0)
    np.testing.assert_allclose(ad.grad(Scaled.static_loss)(W), 3 * W**2)
    np.testing.assert_allclose(ad.grad(m.static_loss)(W), 3 * W**2)
    np.testing.assert_allclose(ad.grad(Scaled.class_loss)(W), 3.0 * W)
    np.testing.assert_allclose(ad.grad(m.class_loss)(W), 3.0 * W)


# -- methods and attributes of objects inside differentiated code -----------


class Layer:
    def __init__(self, W, act=np.tanh):
        self.W = W
        self.act = act

    def forward(self, x, params):
        return self.act(self.linear(x) * params["gain"])

    def linear(self, x):
        return x @ self.W


LAYER = Layer(RNG.normal(size=(4, 3)))


class Config:
    def __init__(self, power):
        self.power = power
        self.layer = LAYER


CONFIG = Config(2.0)


def through_a_layer(x, gain):
    h = LAYER.forward(x, {"gain": gain})
    return np.sum(h**CONFIG.power) + np.sum(CONFIG.layer.linear(x))


def test_methods_of_a_global_object():
    g = ad.grad(through_a_layer, wrt=(0, 1))(X, 0.7)
    np.testing.assert_allclose(g[0], fd(through_a_layer, (X, 0.7)), rtol=1e-6)
    assert g[1] == pytest.approx(fd(through_a_layer, (X, 0.7), 1), rel=1e-6)


def test_changing_a_global_objects_array_or_function_recompiles():
    g = ad.grad(through_a_layer)
    g(X, 0.7)
    saved = LAYER.W, LAYER.act
    try:
        LAYER.W = RNG.normal(size=(4, 3))
        np.testing.assert_allclose(g(X, 0.7), fd(through_a_layer, (X, 0.7)), rtol=1e-6)
        LAYER.act = np.sin
        np.testing.assert_allclose(g(X, 0.7), fd(through_a_layer, (X, 0.7)), rtol=1e-6)
    finally:
        LAYER.W, LAYER.act = saved


class Affine:
    def __init__(self, a, b):
        self.a = a
        self.b = b

    def __call__(self, w):
        return self.a * w + self.b


class Chain:
    def __init__(self):
        self.first = Affine(2.0, 1.0)
        self.second = Affine(-0.5, 0.25)

    def __call__(self, w):
        return self.second(np.sin(self.first(w)))

    def loss(self, w):
        return np.sum(self(w) ** 2)


def test_calling_objects_with_dunder_call_nested():
    chain = Chain()
    np.testing.assert_allclose(ad.grad(chain.loss)(W), fd(chain.loss, (W,)), rtol=1e-6)

    def outside(w):
        return np.sum(chain(w) * w)

    np.testing.assert_allclose(ad.grad(outside)(W), fd(outside, (W,)), rtol=1e-6)


# -- dataclasses and NamedTuples as parameter trees -------------------------


@dataclass
class P:
    a: np.ndarray
    b: float


@dataclass
class Mixed:
    w: np.ndarray
    power: int
    name: str = "mixed"
    note: object = None


class Pair(NamedTuple):
    left: np.ndarray
    right: float


def quadratic(p):
    return np.sum(p.a**2) * p.b


def test_grad_of_a_dataclass_is_a_dataclass():
    p = P(a=np.array([1.0, 2.0]), b=2.0)
    g = ad.grad(quadratic)(p)
    assert_same_tree(g, P(a=2 * p.a * p.b, b=float(np.sum(p.a**2))))
    assert_same_tree(g, fd(quadratic, (p,)))


def powered(m, x):
    if m.name == "mixed":
        return np.sum((m.w * x) ** m.power)
    return 0.0


def test_static_fields_are_constants_kept_in_the_gradient():
    m = Mixed(w=RNG.normal(size=3), power=3)
    x = RNG.normal(size=3)
    gp = ad.grad(powered)
    g = gp(m, x)
    # not differentiated: None, so that m.power - lr * g.power fails loudly
    assert (g.power, g.name, g.note) == (None, None, None)
    np.testing.assert_allclose(g.w, fd(powered, (m, x)).w, rtol=1e-6)
    # a new static value compiles again (it is part of the call key)
    m2 = Mixed(w=m.w, power=2)
    np.testing.assert_allclose(gp(m2, x).w, 2 * m.w * x**2, rtol=1e-12)


def namedtuple_uses(t):
    left, right = t
    return np.sum(t.left * t[1]) + right * np.sum(left**2)


def test_namedtuple_by_name_index_and_unpacking():
    t = Pair(RNG.normal(size=3), 1.5)
    g = ad.grad(namedtuple_uses)(t)
    assert isinstance(g, Pair)
    assert_same_tree(g, fd(namedtuple_uses, (t,)))


def nested_trees(tree, x):
    inner = tree["p"]
    return np.sum(inner.a * x) * inner.b + np.sum(tree["pairs"][1].left)


def test_objects_nested_in_containers():
    tree = {
        "p": P(RNG.normal(size=3), 0.5),
        "pairs": [Pair(np.zeros(2), 1.0), Pair(RNG.normal(size=2), 2.0)],
    }
    x = RNG.normal(size=3)
    g = ad.grad(nested_trees)(tree, x)
    assert_same_tree(g, fd(nested_trees, (tree, x)))


def build_and_read(w):
    p = P(a=w * 2.0, b=3.0)
    for _ in range(2):
        p = P(a=np.sin(p.a), b=p.b * 0.5)
    return np.sum(p.a) * p.b


def test_building_a_dataclass_inside():
    np.testing.assert_allclose(
        ad.grad(build_and_read)(W), fd(build_and_read, (W,)), rtol=1e-6
    )


def with_aux(w):
    state = Mixed(w=w * 2.0, power=1, name="aux")
    return np.sum(state.w**2), state


def test_returning_a_dataclass_as_aux():
    (value, aux), g = ad.value_and_grad(with_aux, has_aux=True)(W)
    assert isinstance(aux, Mixed) and (aux.power, aux.name) == (1, "aux")
    np.testing.assert_allclose(aux.w, 2 * W)
    assert value == pytest.approx(np.sum(4 * W**2))
    np.testing.assert_allclose(g, 8 * W)


def calls_a_big_helper(p, x):
    return helper_with_a_loop(p, x) + p.b


def helper_with_a_loop(p, x):
    total = 0.0
    for k in range(3):
        total = total + np.sum(np.tanh(p.a * x + k)) * p.b
    return total


def test_dataclass_passed_to_a_called_function():
    p = P(RNG.normal(size=3), 0.5)
    x = RNG.normal(size=3)
    assert_same_tree(ad.grad(calls_a_big_helper)(p, x), fd(calls_a_big_helper, (p, x)))


@dataclass
class Quad:
    w: np.ndarray
    c: float

    @property
    def scaled(self):
        return self.w * self.c

    def energy(self, x):
        return np.sum(self.scaled * x) ** 2


def method_of_a_parameter(q, x):
    return q.energy(x)


def test_methods_and_properties_of_a_dataclass_argument():
    q = Quad(RNG.normal(size=3), 0.8)
    x = RNG.normal(size=3)
    assert_same_tree(
        ad.grad(method_of_a_parameter)(q, x), fd(method_of_a_parameter, (q, x))
    )


def test_dataclass_through_vjp_jvp_jacobian_hessian():
    p = P(np.array([0.5, -1.0, 2.0]), 1.5)
    value, pullback = ad.vjp(quadratic, p)
    assert value == pytest.approx(quadratic(p))
    assert_same_tree(pullback(1.0)[0], fd(quadratic, (p,)))
    t = P(np.array([1.0, 0.0, -1.0]), 0.5)
    _, tangent = ad.jvp(quadratic, (p,), (t,))
    closed = np.sum(2 * p.a * p.b * t.a) + np.sum(p.a**2) * t.b
    assert tangent == pytest.approx(closed)
    jac, want = ad.jacobian(quadratic)(p), fd(quadratic, (p,))
    assert isinstance(jac, P)  # (a scalar leaf's block is a 0-d array)
    np.testing.assert_allclose(jac.a, want.a, rtol=1e-6)
    np.testing.assert_allclose(jac.b, want.b, rtol=1e-6)
    h = ad.hessian(quadratic)(p)
    assert isinstance(h, P) and isinstance(h.a, P)
    np.testing.assert_allclose(h.a.a, 2 * p.b * np.eye(3))
    np.testing.assert_allclose(h.a.b, 2 * p.a)
    np.testing.assert_allclose(h.b.a, 2 * p.a)
    assert h.b.b == pytest.approx(0.0)


# -- register_tree --------------------------------------------------------


class Linear:
    """A class registered by hand: children W, b; aux its label."""

    def __init__(self, W, b, label="linear"):
        self.W, self.b, self.label = W, b, label

    def apply(self, x):
        return x @ self.W + self.b


ad.register_tree(
    Linear,
    lambda obj: ({"W": obj.W, "b": obj.b}, obj.label),
    lambda label, children: Linear(children["W"], children["b"], label),
)


class Box:
    """Registered with positional children: passed through, not read."""

    def __init__(self, items):
        self.items = items


ad.register_tree(Box, lambda box: (box.items, None), lambda aux, items: Box(items))


def linear_loss(layer, x):
    return np.sum(np.tanh(layer.apply(x)) ** 2) + np.sum(layer.W**2) * 0.1


def test_registered_class_gradient_and_transforms():
    layer = Linear(RNG.normal(size=(3, 2)), RNG.normal(size=2), "first")
    x = RNG.normal(size=(5, 3))
    g = ad.grad(linear_loss)(layer, x)
    assert isinstance(g, Linear) and g.label == "first"  # aux: unflatten's
    want = fd(lambda W, b: linear_loss(Linear(W, b), x), (layer.W, layer.b), 0)
    np.testing.assert_allclose(g.W, want, rtol=1e-6)
    value, g2 = ad.value_and_grad(linear_loss, wrt=(0, 1))(layer, x)
    assert value == pytest.approx(linear_loss(layer, x))
    np.testing.assert_allclose(g2[1], fd(linear_loss, (layer, x), 1), rtol=1e-6)
    _, pullback = ad.vjp(linear_loss, layer, x)
    np.testing.assert_allclose(pullback(1.0)[0].b, g.b, rtol=1e-12)
    t = Linear(np.ones((3, 2)), np.zeros(2), "first")
    _, tangent = ad.jvp(linear_loss, (layer, x), (t, np.zeros_like(x)))
    assert tangent == pytest.approx(np.sum(g.W))


def test_registered_class_with_positional_children_refuses_attributes():
    def reads(box):
        return np.sum(box.items[0])

    with pytest.raises(UnsupportedSyntaxError, match="no field `items`") as info:
        ad.grad(reads)(Box([np.ones(2), np.ones(2)]))
    assert "flatten a dict" in str(info.value)


def test_register_tree_checks_its_arguments():
    with pytest.raises(ArgumentError, match="takes a class"):
        ad.register_tree(Linear(1.0, 1.0), lambda o: ((), None), lambda a, c: None)
    with pytest.raises(ArgumentError, match="flatten"):
        ad.register_tree(dict, lambda o: ((), None), lambda a, c: None)


# -- what is refused, with file:line and a hint -----------------------------


def sets_self_attribute(w):
    CONFIG.power = 3.0
    return np.sum(w)


def sets_a_field(p):
    p.a = p.a * 2.0
    return np.sum(p.a)


def writes_into_a_field(p):
    p.a[0] = 1.0
    return np.sum(p.a)


def adds_to_a_field(p):
    p.b += 1.0
    return p.b


class Counter:
    def __init__(self):
        self.calls = 0

    def step(self, w):
        self.calls = self.calls + 1
        return np.sum(w)


COUNTER = Counter()


def calls_a_mutating_method(w):
    return COUNTER.step(w)


@pytest.mark.parametrize(
    "fn, arg, text",
    [
        (sets_self_attribute, W, "CONFIG.power"),
        (sets_a_field, P(W, 1.0), "p.a"),
        (writes_into_a_field, P(W, 1.0), "p.a[0]"),
        (adds_to_a_field, P(W, 1.0), "p.b"),
        (calls_a_mutating_method, W, "self.calls"),
    ],
)
def test_attribute_writes_are_refused(fn, arg, text):
    with pytest.raises(UnsupportedSyntaxError) as info:
        ad.grad(fn)(arg)
    message = str(info.value)
    assert f"changing `{text}` (an attribute of an object)" in message
    assert "test_frontend_objects.py:" in message
    assert "objects are read, not changed" in message


def indexes_a_dataclass(p):
    return p[1]


def unpacks_a_dataclass(p):
    a, b = p
    return b


def test_dataclasses_are_not_sequences():
    for fn, what in (
        (indexes_a_dataclass, "indexing"),
        (unpacks_a_dataclass, "unpacking"),
    ):
        with pytest.raises(UnsupportedSyntaxError, match=f"{what} a P") as info:
            ad.grad(fn)(P(W, 1.0))
        assert "make it a NamedTuple" in str(info.value)


PLAIN = Counter()


def calls_an_object_without_call(w):
    return PLAIN(w)


class Stack:
    def __init__(self):
        self.layers = [Affine(2.0, 0.0), Affine(3.0, 0.0)]

    def loss(self, w):
        for layer in self.layers:
            w = layer(w)
        return np.sum(w)

    def pick(self, w, i):
        return np.sum(self.layers[i](w))  # an item chosen at run time

    def early(self, w):
        for layer in self.layers:
            w = layer(w)
            if np.sum(w) > 100.0:
                break
        return np.sum(w)


class Recursive:
    def depth(self, w, n):
        if n == 0:
            return w
        return self.depth(np.sin(w), n - 1)

    def loss(self, w):
        return np.sum(self.depth(w, 2))


def test_a_loop_over_objects_runs_each():
    np.testing.assert_allclose(ad.grad(Stack().loss)(W), np.full(4, 6.0))


def test_other_refusals_name_the_line():
    with pytest.raises(UnsupportedSyntaxError, match="calling a Counter object"):
        ad.grad(calls_an_object_without_call)(W)
    with pytest.raises(UnsupportedSyntaxError, match="list of objects") as info:
        ad.grad(Stack().pick)(W, 1)
    assert "test_frontend_objects.py:" in str(info.value)
    with pytest.raises(UnsupportedSyntaxError, match="break, continue") as info:
        ad.grad(Stack().early)(W)
    assert "unrolled" in str(info.value)
    with pytest.raises(UnsupportedSyntaxError, match="recursive method call"):
        ad.grad(Recursive().loss)(W)


class Tagged:
    def __init__(self, w, tags):
        self.w, self.tags = w, tags


ad.register_tree(
    Tagged, lambda t: ((t.w,), t.tags), lambda tags, children: Tagged(children[0], tags)
)


def test_unhashable_aux_is_an_argument_error():
    def f(t):
        return 0.0

    with pytest.raises(ArgumentError, match="neither data"):
        ad.grad(f)(Tagged(W, ["a", "b"]))  # a list: unhashable
    # an object in a dataclass field is static, compared by identity
    assert ad.grad(reads_a_static_object)(WithKnob(W, Knob(1.0))).knob is None


def test_int_array_field_is_not_differentiated():
    @dataclass
    class WithIndex:
        w: np.ndarray
        idx: np.ndarray

    def f(obj):
        return np.sum(obj.w[obj.idx])

    with pytest.raises(ADError, match="dtype int"):
        ad.grad(f)(WithIndex(W, np.array([0, 2])))


# -- more of what real code does ---------------------------------------------


class Net:
    """Control flow in methods, on attributes read while compiling."""

    def __init__(self):
        self.depth = 3
        self.W = np.eye(2) * 0.9
        self.mode = "tanh"

    def step(self, h):
        if self.mode == "tanh":
            return np.tanh(h @ self.W)
        return np.sin(h @ self.W)

    def forward(self, x):
        h = x
        for _ in range(self.depth):
            h = self.step(h) + 0.1 * h
        total = 0.0
        for k in range(2):
            if k > 0:
                total = total + np.sum(h**2)
            else:
                total = total - np.sum(h)
        return total


def test_methods_with_loops_and_branches_recompile_on_attribute_changes():
    net = Net()
    x = np.array([0.3, -0.7])
    g = ad.grad(net.forward)
    np.testing.assert_allclose(g(x), fd(net.forward, (x,)), rtol=1e-6)
    net.mode = "sin"
    np.testing.assert_allclose(g(x), fd(net.forward, (x,)), rtol=1e-6)
    net.depth = 1
    np.testing.assert_allclose(g(x), fd(net.forward, (x,)), rtol=1e-6)

    def in_a_loop(x, n):
        s = 0.0
        for i in range(n):
            s = s + net.forward(x * i)
        return s

    np.testing.assert_allclose(
        ad.grad(in_a_loop)(x, 3), fd(in_a_loop, (x, 3)), rtol=1e-6
    )


@dataclass
class Activated:
    w: np.ndarray
    act: object = np.tanh

    def loss(self, x):
        return np.sum(self.act(self.w * x))


def calls_a_static_field(q, x):
    return np.sum(q.act(q.w * x))


def test_static_field_holding_a_function_and_bound_dataclass_method():
    q = Activated(RNG.normal(size=3))
    g = ad.grad(calls_a_static_field)(q, 2.0)
    assert isinstance(g, Activated) and g.act is None
    np.testing.assert_allclose(g.w, fd(calls_a_static_field, (q, 2.0)).w, rtol=1e-6)
    # grad of a bound method of a dataclass: self is a compile-time object
    assert ad.grad(q.loss)(2.0) == pytest.approx(fd(q.loss, (2.0,)), rel=1e-6)


@dataclass
class Decorated:
    w: np.ndarray

    @ad.grad
    def grad_wrt_self(self, x):
        return np.sum(self.w**2 * x)


def test_grad_decorating_a_dataclass_method_differentiates_self():
    d = Decorated(RNG.normal(size=3))
    g = d.grad_wrt_self(3.0)
    assert isinstance(g, Decorated)
    np.testing.assert_allclose(g.w, 6.0 * d.w)


class NotATree:
    def __init__(self):
        self.w = np.ones(2)


def reads_a_plain_argument(obj, x):
    return np.sum(obj.w * x)


def builds_a_plain_object(x):
    return np.sum(Affine(2.0, 0.0)(x))


def test_plain_objects_as_arguments_or_built_inside_are_refused():
    with pytest.raises(UnsupportedSyntaxError, match="register_tree") as info:
        ad.grad(reads_a_plain_argument, wrt=1)(NotATree(), 2.0)
    assert "test_frontend_objects.py:" in str(info.value)
    with pytest.raises(UnsupportedSyntaxError, match="building a Affine object"):
        ad.grad(builds_a_plain_object)(W)


def test_tangent_of_an_object_with_static_fields():
    m = Mixed(w=np.array([0.5, 1.5]), power=2)
    x = np.array([1.0, -2.0])
    t = Mixed(w=np.array([1.0, 1.0]), power=None, name=None)  # like a gradient
    value, tangent = ad.jvp(powered, (m, x), (t, np.zeros(2)))
    assert value == pytest.approx(powered(m, x))
    assert tangent == pytest.approx(np.sum(2 * m.w * x**2))


class Coefficients:
    def __init__(self):
        self.coefs = [1.0, 2.0]
        self.nested = ([1.0], 2.0)

    def f(self, x):
        return x * self.coefs[0] + x * self.nested[0][0]


def test_a_list_attribute_changed_in_place_recompiles():
    c = Coefficients()
    g = ad.grad(c.f)
    assert g(1.0) == pytest.approx(2.0)
    c.coefs[0] = 5.0  # its items were constants of the code
    assert g(1.0) == pytest.approx(6.0)
    c.nested[0][0] = 10.0
    assert g(1.0) == pytest.approx(15.0)


@dataclass
class Sized:
    w: np.ndarray
    sizes: tuple = (2, 3)


def uses_static_sizes(s):
    n, m = s.sizes
    return np.sum(np.reshape(s.w, (n, m)) ** 2) * len(s.sizes)


def test_a_tuple_of_ints_is_a_static_field():
    s = Sized(RNG.normal(size=6))
    g = ad.grad(uses_static_sizes)(s)
    assert g.sizes is None
    np.testing.assert_allclose(g.w, 4 * s.w)


class Base:
    def __init__(self):
        self.k = 2.0

    def f(self, x):
        return np.sin(x) * self.k


class Derived(Base):
    def f(self, x):
        return super().f(x) + x**2


def apply(model, x):
    return model.f(x) * 3.0


class Wrapper:
    def __init__(self):
        self.inner = Derived()

    def loss(self, x):
        return apply(self.inner, x)


DERIVED = Derived()


def passes_a_global_object(x):
    return apply(DERIVED, x)


def test_super_and_objects_passed_to_functions():
    d = Derived()
    assert ad.grad(d.f)(0.3) == pytest.approx(fd(d.f, (0.3,)), rel=1e-6)
    w = Wrapper()
    assert ad.grad(w.loss)(0.3) == pytest.approx(fd(w.loss, (0.3,)), rel=1e-6)
    g = ad.grad(passes_a_global_object)
    assert g(0.3) == pytest.approx(fd(passes_a_global_object, (0.3,)), rel=1e-6)
    DERIVED.k = -1.0  # read through the function it was passed to
    try:
        assert g(0.3) == pytest.approx(fd(passes_a_global_object, (0.3,)), rel=1e-6)
    finally:
        DERIVED.k = 2.0


def test_hvp_and_forward_jacobian_of_a_dataclass():
    p = Mixed(w=np.array([0.5, -1.0]), power=3)
    x = np.array([1.0, 2.0])
    v = Mixed(w=np.array([1.0, 2.0]), power=None, name=None)
    hv = ad.hvp(powered)(p, x, v)
    assert isinstance(hv, Mixed) and hv.power is None
    # powered = sum((w x)^3): H = diag(6 w x^3)
    np.testing.assert_allclose(hv.w, 6 * p.w * x**3 * v.w)
    jac = ad.jacobian(powered, mode="fwd")(p, x)
    np.testing.assert_allclose(jac.w, fd(powered, (p, x)).w, rtol=1e-6)


def test_check_grad_and_numerical_grad_take_objects_and_bound_methods():
    model = MLP((3, 4, 1))
    params = model.init(np.random.default_rng(2))
    x, y = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 1))
    ad.check_grad(model.loss, params, x, y, order=2)
    numeric = ad.numerical_grad(model.loss, params, x, y)
    assert isinstance(numeric, Params)
    assert_same_tree(numeric, fd(model.loss, (params, x, y)), rtol=1e-6)
    # wrt by name counts the parameters after self
    m = Scaled(2.0, 0.5)
    np.testing.assert_allclose(
        ad.numerical_grad(m.loss, W, X, wrt="x"), fd(m.loss, (W, X), 1), rtol=1e-6
    )
    ad.check_grad(powered, Mixed(np.array([0.5, 1.0]), 3), X[:2], wrt=(0, 1))
    with pytest.raises(AssertionError, match=r"with respect to m\.w\[0\]"):
        ad.check_grad(
            powered, Mixed(np.array([0.5, 1.0]), 3), X[:2], rtol=1e-30, atol=1e-30
        )


def test_a_method_without_source_is_refused_when_transformed():
    namespace = {"np": np}
    exec("class K:\n    def f(self, x):\n        return x * 2.0\n", namespace)
    with pytest.raises(
        ad.SourceUnavailableError, match="cannot read the source of K.f"
    ):
        ad.grad(namespace["K"]().f)


def built_then_written(x):
    y = x * 1.0
    p = P(a=y, b=2.0)
    y[0] = 5.0  # p.a is y: Python sees the write through p.a
    return np.sum(p.a * x) * p.b


def field_changed_in_place(p):
    a = p.a
    a += 1.0  # changes p.a too
    return np.sum(p.a**2) * p.b


def namedtuple_item_changed_in_place(t):
    left, right = t
    left *= 2.0
    return np.sum(t.left) * right


def test_writes_through_names_that_share_an_objects_array():
    x = RNG.normal(size=3)
    np.testing.assert_allclose(
        ad.grad(built_then_written)(x), fd(built_then_written, (x,)), rtol=1e-6
    )
    p = P(RNG.normal(size=3), 1.5)
    assert_same_tree(
        ad.grad(field_changed_in_place)(p), fd(field_changed_in_place, (p,))
    )
    t = Pair(RNG.normal(size=3), 2.0)
    assert_same_tree(
        ad.grad(namedtuple_item_changed_in_place)(t),
        fd(namedtuple_item_changed_in_place, (t,)),
    )


@dataclass
class CallableParams:
    w: np.ndarray
    SCALE = 3.0  # a class attribute, not a field

    def __call__(self, x):
        return np.tanh(self.w * x)


def calls_a_dataclass_argument(p, x):
    return np.sum(p(x) ** 2)


def reads_a_class_attribute_through_the_instance(p):
    return np.sum(p.w) * p.SCALE


def reads_aux_by_name(layer):
    return np.sum(layer.W) * layer.aux


def test_calling_a_dataclass_argument_and_attributes_that_are_not_fields():
    p = CallableParams(RNG.normal(size=3))
    x = RNG.normal(size=3)
    assert_same_tree(
        ad.grad(calls_a_dataclass_argument)(p, x),
        fd(calls_a_dataclass_argument, (p, x)),
    )
    with pytest.raises(UnsupportedSyntaxError, match="no field `SCALE`") as info:
        ad.grad(reads_a_class_attribute_through_the_instance)(p)
    assert "CallableParams.SCALE" in str(info.value)
    # a registered class's aux is not an attribute
    layer = Linear(np.ones((2, 2)), np.zeros(2), "aux-text")
    with pytest.raises(UnsupportedSyntaxError, match="no field `aux`"):
        ad.grad(reads_aux_by_name)(layer)


class Knob:
    """Equal to every other Knob: a static field is compared by identity."""

    def __init__(self, k):
        self.k = k

    def __eq__(self, other):
        return isinstance(other, Knob)

    def __hash__(self):
        return 0


@dataclass
class WithKnob:
    w: np.ndarray
    knob: object


def reads_a_static_object(p):
    return np.sum(p.w) * p.knob.k


def test_static_objects_are_compared_by_identity():
    g = ad.grad(reads_a_static_object)
    w = np.ones(3)
    np.testing.assert_allclose(g(WithKnob(w, Knob(2.0))).w, 2.0)
    np.testing.assert_allclose(g(WithKnob(w, Knob(5.0))).w, 5.0)


class Dense:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return np.tanh(x @ self.W)


class Sequential:
    def __init__(self, rng, depth=3):
        self.layers = [Dense(rng.normal(size=(3, 3)) * 0.5) for _ in range(depth)]

    def loss(self, x):
        for layer in self.layers:
            x = layer(x)
        return np.sum(x**2)

    def weighted(self, x, scales):
        total = 0.0
        for i, layer in enumerate(self.layers):
            x = layer(x) * scales[i]
            total = total + np.sum(x)
        return total


def test_a_loop_over_a_list_of_layers_is_unrolled():
    model = Sequential(np.random.default_rng(4))
    x = RNG.normal(size=3)
    g = ad.grad(model.loss)
    np.testing.assert_allclose(g(x), fd(model.loss, (x,)), rtol=1e-6)
    scales = np.array([1.0, 2.0, 3.0])
    both = ad.grad(model.weighted, wrt=(0, 1))(x, scales)
    np.testing.assert_allclose(both[0], fd(model.weighted, (x, scales)), rtol=1e-6)
    np.testing.assert_allclose(both[1], fd(model.weighted, (x, scales), 1), rtol=1e-6)
    # the list and its layers are read while compiling: changes recompile
    model.layers.append(Dense(np.eye(3) * 0.5))
    np.testing.assert_allclose(g(x), fd(model.loss, (x,)), rtol=1e-6)
    model.layers[0].W = np.eye(3)
    np.testing.assert_allclose(g(x), fd(model.loss, (x,)), rtol=1e-6)
    model.layers[1] = Dense(-np.eye(3))
    np.testing.assert_allclose(g(x), fd(model.loss, (x,)), rtol=1e-6)


# -- an instance with __call__ as the differentiated function -----------------


class CallableModel:
    def __init__(self, scale):
        self.scale = scale

    def __call__(self, w, x):
        return np.sum(np.tanh(w * x) * self.scale) + np.sum(w**2)


def test_an_instance_with_call_is_differentiated_as_its_call():
    model = CallableModel(2.0)
    w, x = np.array([0.3, -0.2, 0.9]), np.array([1.0, 2.0, -0.5])
    assert_same_tree(ad.grad(model)(w, x), fd(model, (w, x)))
    value, g = ad.value_and_grad(model, wrt=1)(w, x)
    assert value == pytest.approx(model(w, x), rel=1e-12)
    assert_same_tree(g, fd(model, (w, x), index=1))
    hessian = ad.hessian(model)(w, x)
    assert_same_tree(
        hessian,
        np.diag(-2.0 * model.scale * x**2 * np.tanh(w * x) / np.cosh(w * x) ** 2 + 2),
    )
    model.scale = 3.0  # read while compiling: compiled again
    assert_same_tree(ad.grad(model)(w, x), fd(model, (w, x)))
