"""Whole models from the lecture, end to end against finite differences."""

import numpy as np

from adcompiler import check_grad, grad

RNG = np.random.default_rng(2018)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_loss(params, xs, target):
    """An LSTM over the sequence xs (T, d), hidden size H, squared error at the end."""
    Wx, Wh, b, Wy = params["Wx"], params["Wh"], params["b"], params["Wy"]
    H = Wh.shape[0]
    h = np.zeros(H)
    c = np.zeros(H)
    hs = []
    for t in range(xs.shape[0]):
        z = xs[t] @ Wx + h @ Wh + b
        i = sigmoid(z[:H])
        f = sigmoid(z[H : 2 * H])
        o = sigmoid(z[2 * H : 3 * H])
        g = np.tanh(z[3 * H :])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
    y = np.stack(hs) @ Wy
    return np.mean((y[-1] - target) ** 2) + 1e-3 * np.sum(y**2)


def lstm_params(d, H):
    return {
        "Wx": RNG.normal(size=(d, 4 * H)) * 0.3,
        "Wh": RNG.normal(size=(H, 4 * H)) * 0.3,
        "b": RNG.normal(size=4 * H) * 0.1,
        "Wy": RNG.normal(size=(H, 1)) * 0.5,
    }


def with_leaf(params, key, xs, target):
    """The loss as a function of one parameter (a closure over the others)."""

    def f(leaf):
        return lstm_loss({**params, key: leaf}, xs, target)

    return f


def test_lstm_over_20_time_steps():
    params = lstm_params(2, 3)
    xs = RNG.normal(size=(20, 2))
    target = np.array([0.3])
    d = grad(lstm_loss)(params, xs, target)

    for key in params:
        check_grad(with_leaf(params, key, xs, target), params[key])
        assert d[key].shape == params[key].shape
    source = grad(lstm_loss).source
    flat = "".join(source.split())
    assert "for t in range(" in source and "inreversed(tape)" in flat


def test_lstm_gradient_wrt_the_inputs():
    params = lstm_params(2, 3)

    def f(xs):
        return lstm_loss(params, xs, np.array([0.1]))

    check_grad(f, RNG.normal(size=(20, 2)))
