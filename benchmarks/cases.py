"""The benchmark cases: each a loss, its forward, a hand-written NumPy
backward, and inputs. adcompiler differentiates the losses as they are.

(a) 2-layer MLP softmax loss, batch 256, 784 -> 256 -> 10
(b) a scalar loop of 200 iterations with math.sin
(c) the same loop with np.sin on Python floats
(d) an elementwise chain on 10**6 elements
(e) a tanh RNN, 50 steps, batch 32, hidden 64
(f) an LSTM of the same size
"""

from __future__ import annotations

import math

import numpy as np

from adcompiler import checkpoint

RNG = np.random.default_rng(0)


# (a) ------------------------------------------------------------------------
def mlp_loss(W1, b1, W2, b2, x, y):
    h = np.maximum(x @ W1 + b1, 0.0)
    logits = h @ W2 + b2
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(logp * y, axis=1))


def mlp_hand(W1, b1, W2, b2, x, y):
    a = x @ W1 + b1
    h = np.maximum(a, 0.0)
    logits = h @ W2 + b2
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    e = np.exp(shifted)
    s = np.sum(e, axis=1, keepdims=True)
    logp = shifted - np.log(s)
    n = x.shape[0]
    loss = -np.sum(logp * y) / n
    d_logits = (e / s * np.sum(y, axis=1, keepdims=True) - y) / n
    d_W2 = h.T @ d_logits
    d_b2 = d_logits.sum(axis=0)
    d_h = d_logits @ W2.T
    d_a = d_h * (a > 0)
    return loss, (x.T @ d_a, d_a.sum(axis=0), d_W2, d_b2)


def mlp_inputs():
    return (
        RNG.normal(size=(784, 256)) * 0.05,
        np.zeros(256),
        RNG.normal(size=(256, 10)) * 0.05,
        np.zeros(10),
        RNG.normal(size=(256, 784)),
        np.eye(10)[RNG.integers(0, 10, 256)],
    )


# (b), (c) ------------------------------------------------------------------
def loop_math(x, a):
    s = 0.0
    for i in range(200):
        s = s + math.sin(x * a + s * 0.01)
    return s


def loop_hand(sin, cos):
    """The hand-written gradient of the loop with these sine and cosine."""

    def hand(x, a):
        s = 0.0
        saved = []
        for i in range(200):
            z = x * a + s * 0.01
            saved.append(z)
            s = s + sin(z)
        d_s, d_x, d_a = 1.0, 0.0, 0.0
        for z in reversed(saved):
            d_z = d_s * cos(z)
            d_x += d_z * a
            d_a += d_z * x
            d_s = d_s + d_z * 0.01
        return s, (d_x, d_a)

    return hand


loop_math_hand = loop_hand(math.sin, math.cos)


def loop_np(x, a):
    s = 0.0
    for i in range(200):
        s = s + np.sin(x * a + s * 0.01)
    return s


loop_np_hand = loop_hand(np.sin, np.cos)


def loop_inputs():
    return (0.3, 1.7)


# (d) ------------------------------------------------------------------------
def chain(x):
    y = np.sin(x) * np.exp(-x * x)
    z = np.tanh(y * 3.0 + x)
    return np.sum(z * z)


def chain_hand(x):
    s, e = np.sin(x), np.exp(-x * x)
    y = s * e
    z = np.tanh(y * 3.0 + x)
    loss = np.sum(z * z)
    d_u = 2.0 * z * (1.0 - z * z)
    d_y = d_u * 3.0
    d_x = d_u + d_y * (np.cos(x) * e - 2.0 * x * y)
    return loss, (d_x,)


def chain_inputs():
    return (RNG.normal(size=10**6),)


# (e) ------------------------------------------------------------------------
def rnn_loss(W, U, b, xs):
    h = np.zeros((xs.shape[1], W.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(h @ W + xs[t] @ U + b)
    return np.mean(h**2)


def rnn_hand(W, U, b, xs):
    T, B, _ = xs.shape
    h = np.zeros((B, W.shape[0]))
    hs = [h]
    for t in range(T):
        h = np.tanh(h @ W + xs[t] @ U + b)
        hs.append(h)
    loss = np.mean(h**2)
    d_h = 2.0 * h / h.size
    d_W, d_U, d_b = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    for t in reversed(range(T)):
        d_a = d_h * (1.0 - hs[t + 1] ** 2)
        d_W += hs[t].T @ d_a
        d_U += xs[t].T @ d_a
        d_b += d_a.sum(axis=0)
        d_h = d_a @ W.T
    return loss, (d_W, d_U, d_b)


def rnn_inputs():
    H, D = 64, 64
    return (
        RNG.normal(size=(H, H)) * 0.1,
        RNG.normal(size=(D, H)) * 0.1,
        np.zeros(H),
        RNG.normal(size=(50, 32, D)),
    )


# (f) ------------------------------------------------------------------------
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_loss(Wx, Wh, b, xs):
    H = Wh.shape[0]
    h = np.zeros((xs.shape[1], H))
    c = np.zeros((xs.shape[1], H))
    for t in range(xs.shape[0]):
        z = xs[t] @ Wx + h @ Wh + b
        i = sigmoid(z[:, :H])
        f = sigmoid(z[:, H : 2 * H])
        o = sigmoid(z[:, 2 * H : 3 * H])
        g = np.tanh(z[:, 3 * H :])
        c = f * c + i * g
        h = o * np.tanh(c)
    return np.mean(h**2)


def lstm_hand(Wx, Wh, b, xs):
    T, B, _ = xs.shape
    H = Wh.shape[0]
    h, c = np.zeros((B, H)), np.zeros((B, H))
    saved = []
    for t in range(T):
        z = xs[t] @ Wx + h @ Wh + b
        i = 1.0 / (1.0 + np.exp(-z[:, :H]))
        f = 1.0 / (1.0 + np.exp(-z[:, H : 2 * H]))
        o = 1.0 / (1.0 + np.exp(-z[:, 2 * H : 3 * H]))
        g = np.tanh(z[:, 3 * H :])
        c_prev, h_prev = c, h
        c = f * c + i * g
        tc = np.tanh(c)
        h = o * tc
        saved.append((h_prev, c_prev, i, f, o, g, tc))
    loss = np.mean(h**2)
    d_h = 2.0 * h / h.size
    d_c = np.zeros_like(c)
    d_Wx, d_Wh, d_b = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    for t in reversed(range(T)):
        h_prev, c_prev, i, f, o, g, tc = saved[t]
        d_o = d_h * tc
        d_c = d_c + d_h * o * (1.0 - tc * tc)
        d_i, d_f, d_g = d_c * g, d_c * c_prev, d_c * i
        d_z = np.concatenate(
            [
                d_i * i * (1 - i),
                d_f * f * (1 - f),
                d_o * o * (1 - o),
                d_g * (1 - g * g),
            ],
            axis=1,
        )
        d_Wx += xs[t].T @ d_z
        d_Wh += h_prev.T @ d_z
        d_b += d_z.sum(axis=0)
        d_h = d_z @ Wh.T
        d_c = d_c * f
    return loss, (d_Wx, d_Wh, d_b)


def lstm_inputs():
    H, D = 64, 64
    return (
        RNG.normal(size=(D, 4 * H)) * 0.1,
        RNG.normal(size=(H, 4 * H)) * 0.1,
        np.zeros(4 * H),
        RNG.normal(size=(50, 32, D)),
    )


# (f) with the step as a function, stored or recomputed (checkpoint) ---------
def lstm_step(x, h, c, Wx, Wh, b):
    H = Wh.shape[0]
    z = x @ Wx + h @ Wh + b
    i = sigmoid(z[:, :H])
    f = sigmoid(z[:, H : 2 * H])
    o = sigmoid(z[:, 2 * H : 3 * H])
    g = np.tanh(z[:, 3 * H :])
    c = f * c + i * g
    h = o * np.tanh(c)
    return h, c


def lstm_over(step):
    """The loss of (f) with each time step a call of ``step``."""

    def loss(Wx, Wh, b, xs):
        H = Wh.shape[0]
        h = np.zeros((xs.shape[1], H))
        c = np.zeros((xs.shape[1], H))
        for t in range(xs.shape[0]):
            h, c = step(xs[t], h, c, Wx, Wh, b)
        return np.mean(h**2)

    return loss


# (g) -----------------------------------------------------------------------
#: the step of the integration, a module constant (the cliff of issue 18: a
#: float global read in the loop once made every step's shapes unknown)
DT = 0.005


def lorenz_rk4(sigma, rho, beta):
    """x + y + z after 500 RK4 steps of the Lorenz system, on Python floats."""
    x, y, z = 1.0, 1.0, 1.0
    for i in range(500):
        a1, b1, c1 = sigma * (y - x), x * (rho - z) - y, x * y - beta * z
        x2, y2, z2 = x + 0.5 * DT * a1, y + 0.5 * DT * b1, z + 0.5 * DT * c1
        a2, b2, c2 = sigma * (y2 - x2), x2 * (rho - z2) - y2, x2 * y2 - beta * z2
        x3, y3, z3 = x + 0.5 * DT * a2, y + 0.5 * DT * b2, z + 0.5 * DT * c2
        a3, b3, c3 = sigma * (y3 - x3), x3 * (rho - z3) - y3, x3 * y3 - beta * z3
        x4, y4, z4 = x + DT * a3, y + DT * b3, z + DT * c3
        a4, b4, c4 = sigma * (y4 - x4), x4 * (rho - z4) - y4, x4 * y4 - beta * z4
        x = x + DT / 6.0 * (a1 + 2.0 * a2 + 2.0 * a3 + a4)
        y = y + DT / 6.0 * (b1 + 2.0 * b2 + 2.0 * b3 + b4)
        z = z + DT / 6.0 * (c1 + 2.0 * c2 + 2.0 * c3 + c4)
    return x + y + z


def _field_vjp(x, y, z, ga, gb, gc, sigma, rho, beta):
    """Adjoints of the state and of sigma, rho, beta through the Lorenz
    vector field at (x, y, z), for the adjoint (ga, gb, gc) of its value."""
    return (
        -ga * sigma + gb * (rho - z) + gc * y,
        ga * sigma - gb + gc * x,
        -gb * x - gc * beta,
        ga * (y - x),
        gb * x,
        -gc * z,
    )


def lorenz_rk4_hand(sigma, rho, beta):
    """The hand-written gradient: each step's four stage states saved, then
    the chain rule through the stages in reverse, on floats throughout."""
    h = DT
    x, y, z = 1.0, 1.0, 1.0
    saved = []
    for i in range(500):
        a1, b1, c1 = sigma * (y - x), x * (rho - z) - y, x * y - beta * z
        x2, y2, z2 = x + 0.5 * h * a1, y + 0.5 * h * b1, z + 0.5 * h * c1
        a2, b2, c2 = sigma * (y2 - x2), x2 * (rho - z2) - y2, x2 * y2 - beta * z2
        x3, y3, z3 = x + 0.5 * h * a2, y + 0.5 * h * b2, z + 0.5 * h * c2
        a3, b3, c3 = sigma * (y3 - x3), x3 * (rho - z3) - y3, x3 * y3 - beta * z3
        x4, y4, z4 = x + h * a3, y + h * b3, z + h * c3
        a4, b4, c4 = sigma * (y4 - x4), x4 * (rho - z4) - y4, x4 * y4 - beta * z4
        saved.append((x, y, z, x2, y2, z2, x3, y3, z3, x4, y4, z4))
        x = x + h / 6.0 * (a1 + 2.0 * a2 + 2.0 * a3 + a4)
        y = y + h / 6.0 * (b1 + 2.0 * b2 + 2.0 * b3 + b4)
        z = z + h / 6.0 * (c1 + 2.0 * c2 + 2.0 * c3 + c4)
    value = x + y + z
    dx, dy, dz = 1.0, 1.0, 1.0
    ds = dr = db = 0.0
    for x, y, z, x2, y2, z2, x3, y3, z3, x4, y4, z4 in reversed(saved):
        w1, w2 = h / 6.0, h / 3.0
        # k4 = f(p4), p4 = p + h k3
        ex, ey, ez, es, er, eb = _field_vjp(
            x4, y4, z4, w1 * dx, w1 * dy, w1 * dz, sigma, rho, beta
        )
        ds, dr, db = ds + es, dr + er, db + eb
        px, py, pz = ex, ey, ez
        # k3 = f(p3), p3 = p + h/2 k2
        ex, ey, ez, es, er, eb = _field_vjp(
            x3,
            y3,
            z3,
            w2 * dx + h * ex,
            w2 * dy + h * ey,
            w2 * dz + h * ez,
            sigma,
            rho,
            beta,
        )
        ds, dr, db = ds + es, dr + er, db + eb
        px, py, pz = px + ex, py + ey, pz + ez
        # k2 = f(p2), p2 = p + h/2 k1
        ex, ey, ez, es, er, eb = _field_vjp(
            x2,
            y2,
            z2,
            w2 * dx + 0.5 * h * ex,
            w2 * dy + 0.5 * h * ey,
            w2 * dz + 0.5 * h * ez,
            sigma,
            rho,
            beta,
        )
        ds, dr, db = ds + es, dr + er, db + eb
        px, py, pz = px + ex, py + ey, pz + ez
        # k1 = f(p)
        ex, ey, ez, es, er, eb = _field_vjp(
            x,
            y,
            z,
            w1 * dx + 0.5 * h * ex,
            w1 * dy + 0.5 * h * ey,
            w1 * dz + 0.5 * h * ez,
            sigma,
            rho,
            beta,
        )
        ds, dr, db = ds + es, dr + er, db + eb
        dx, dy, dz = dx + px + ex, dy + py + ey, dz + pz + ez
    return value, (ds, dr, db)


def lorenz_inputs():
    return (10.0, 28.0, 8.0 / 3.0)


# (h) -----------------------------------------------------------------------
def softmax_ce(W, X, Y):
    """Mean cross-entropy of a linear softmax classifier, with the usual max
    shift (its adjoint, exactly 0, is not computed: passes/fused.py)."""
    z = X @ W
    shifted = z - np.max(z, axis=1, keepdims=True)
    logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * logp, axis=1))


def softmax_ce_hand(W, X, Y):
    """The gradient as written by hand: the softmax once, updated in place."""
    z = X @ W
    shifted = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(shifted)
    total = np.sum(e, axis=1, keepdims=True)
    labels = np.sum(Y, axis=1, keepdims=True)
    log_total = np.log(total)
    value = -np.mean(np.sum(Y * shifted, axis=1) - labels[:, 0] * log_total[:, 0])
    e /= total
    e *= labels
    e -= Y
    e /= X.shape[0]
    return value, (X.T @ e,)


def softmax_inputs():
    X = RNG.normal(size=(512, 100))
    W = RNG.normal(size=(100, 1000)) * 0.1
    Y = np.eye(1000)[RNG.integers(0, 1000, 512)]
    return (W, X, Y)


lstm_loss_steps = lstm_over(lstm_step)
lstm_loss_checkpointed = lstm_over(checkpoint(lstm_step))


#: name -> (loss, hand-written value and gradients, inputs, wrt)
CASES = {
    "(a) MLP 784-256-10, batch 256": (mlp_loss, mlp_hand, mlp_inputs, (0, 1, 2, 3)),
    "(b) scalar loop, math.sin": (loop_math, loop_math_hand, loop_inputs, (0, 1)),
    "(c) scalar loop, np.sin": (loop_np, loop_np_hand, loop_inputs, (0, 1)),
    "(d) elementwise chain, 10^6": (chain, chain_hand, chain_inputs, (0,)),
    "(e) tanh RNN, 50 x 32 x 64": (rnn_loss, rnn_hand, rnn_inputs, (0, 1, 2)),
    "(f) LSTM, 50 x 32 x 64": (lstm_loss, lstm_hand, lstm_inputs, (0, 1, 2)),
    "(g) Lorenz RK4 on floats, step a global": (
        lorenz_rk4,
        lorenz_rk4_hand,
        lorenz_inputs,
        (0, 1, 2),
    ),
    "(h) softmax cross-entropy 512 x 1000": (
        softmax_ce,
        softmax_ce_hand,
        softmax_inputs,
        (0,),
    ),
}
