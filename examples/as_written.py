"""Python as numerical programmers write it, differentiated as written.

Five small programs of the kinds people write, none rewritten for the
compiler: a class-based model whose parameters are a dataclass, trained by
SGD; a variational objective that draws its noise inside (the
reparameterisation trick); an objective handed to SciPy's optimiser as a
lambda; a hand-written Runge-Kutta integrator taking the vector field as a
parameter; and a tree-flattening helper built on ``isinstance``. Each
gradient is checked against central finite differences.

Run: python examples/as_written.py [--quick]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import lecture
from adcompiler import grad, value_and_grad

# -- 1. a class-based model, its parameters a dataclass --------------------------


@dataclass
class Params:
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray


class MLP:
    """A two-layer perceptron; ``act`` is any elementwise function."""

    def __init__(self, sizes: tuple[int, int, int], act=np.tanh):
        self.sizes = sizes
        self.act = act

    def init(self, rng: np.random.Generator) -> Params:
        n_in, n_hidden, n_out = self.sizes
        # Glorot initialisation: variance 2 / (fan_in + fan_out)
        s1 = np.sqrt(2.0 / (n_in + n_hidden))
        s2 = np.sqrt(2.0 / (n_hidden + n_out))
        return Params(
            rng.normal(0.0, s1, (n_in, n_hidden)),
            np.zeros(n_hidden),
            rng.normal(0.0, s2, (n_hidden, n_out)),
            np.zeros(n_out),
        )

    def __call__(self, params: Params, x: np.ndarray) -> np.ndarray:
        h = self.act(x @ params.W1 + params.b1)
        return h @ params.W2 + params.b2

    def loss(self, params: Params, x: np.ndarray, y: np.ndarray) -> float:
        return np.mean((self(params, x) - y) ** 2)


def train_mlp(steps: int) -> list[float]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    y = np.sin(x @ np.array([[1.0], [-2.0], [0.5]]))
    model = MLP((3, 16, 1))
    params = model.init(rng)
    step = grad(model.loss)
    check(lambda p: model.loss(p, x, y), step(params, x, y), params)
    losses = [model.loss(params, x, y)]
    for _ in range(steps):
        g = step(params, x, y)  # a Params of gradients
        params = Params(*(p - 0.1 * d for p, d in zip(_fields(params), _fields(g))))
        losses.append(model.loss(params, x, y))
    return losses


def _fields(p: Params) -> list[np.ndarray]:
    return [p.W1, p.b1, p.W2, p.b2]


# -- 2. a variational objective drawing its noise inside -------------------------


def negative_elbo(mu, log_sigma, data, seed=0):
    rng = np.random.default_rng(seed)
    eps = rng.standard_normal(mu.shape)  # drawn once, kept for the backward
    z = mu + np.exp(log_sigma) * eps  # the reparameterisation trick
    log_likelihood = -0.5 * np.sum((data - z) ** 2)
    entropy = np.sum(log_sigma)
    return -(log_likelihood + entropy)


# -- 3. an objective for scipy.optimize, as a lambda -----------------------------


def least_squares(w, X, y):
    r = X @ w - y
    return 0.5 * r @ r


# -- 4. Runge-Kutta with the vector field as a parameter -------------------------


def rk4(f, y0, dt, n, k):
    y = y0
    for _ in range(n):
        a = f(y, k)
        b = f(y + 0.5 * dt * a, k)
        c = f(y + 0.5 * dt * b, k)
        d = f(y + dt * c, k)
        y = y + dt / 6.0 * (a + 2.0 * b + 2.0 * c + d)
    return y


def pendulum(y, k):
    return np.array([y[1], -k * np.sin(y[0])])


def final_angle_squared(y0, k):
    y = rk4(pendulum, y0, 0.01, 100, k)
    return y[0] ** 2


# -- 5. a tree-flattening helper built on isinstance -----------------------------


def squared_norm(tree):
    if isinstance(tree, dict):
        return sum([squared_norm(v) for v in tree.values()])
    if isinstance(tree, (list, tuple)):
        return sum([squared_norm(v) for v in tree])
    return np.sum(tree**2)


def penalised(params):
    return squared_norm(params) + np.sum(np.sin(params["w"][0]))


# -- checks ----------------------------------------------------------------------


def check(f, gradient, at) -> float:
    """The largest difference between ``gradient`` and central differences of
    ``f`` at ``at`` (a dataclass, dict, list or array); raises if above 1e-5."""
    worst = 0.0
    for leaf, numeric in zip(_leaves(gradient), _numerical(f, at)):
        worst = max(worst, float(np.max(np.abs(leaf - numeric), initial=0.0)))
    if worst > 1e-5:
        raise AssertionError(f"gradient differs from finite differences by {worst}")
    return worst


def _leaves(tree):
    if isinstance(tree, Params):
        return _fields(tree)
    if isinstance(tree, dict):
        return [leaf for v in tree.values() for leaf in _leaves(v)]
    if isinstance(tree, (list, tuple)):
        return [leaf for v in tree for leaf in _leaves(v)]
    return [np.asarray(tree, dtype=float)]


def _numerical(f, at, eps=1e-6):
    leaves = _leaves(at)
    out = []
    for leaf in leaves:
        d = np.zeros(leaf.shape)
        for i in np.ndindex(leaf.shape):
            keep = leaf[i]
            leaf[i] = keep + eps
            up = f(at)
            leaf[i] = keep - eps
            down = f(at)
            leaf[i] = keep
            d[i] = (up - down) / (2 * eps)
        out.append(d)
    return out


def main() -> None:
    args = lecture.parse_args(__doc__.splitlines()[0])

    losses = train_mlp(50 if args.quick else 500)
    first, last = losses[0], losses[-1]
    print(f"1. MLP with dataclass parameters: loss {first:.4f} -> {last:.4f}")
    fig, ax = lecture.plt.subplots(figsize=(5, 3.5))
    ax.plot(losses)
    ax.set_xlabel("SGD step")
    ax.set_ylabel("mean squared error")
    ax.set_title("grad(model.loss): a class-based MLP, dataclass parameters")
    lecture.save(fig, args, "as_written_mlp_loss")

    rng = np.random.default_rng(1)
    mu, log_sigma, data = rng.normal(size=3), rng.normal(size=3) * 0.1, np.ones(3)
    value, (d_mu, d_log_sigma) = value_and_grad(negative_elbo, wrt=(0, 1))(
        mu, log_sigma, data
    )
    check(lambda m: negative_elbo(m, log_sigma, data), d_mu, mu.copy())
    check(lambda s: negative_elbo(mu, s, data), d_log_sigma, log_sigma.copy())
    print(f"2. VAE-style objective {value:.4f}, d/dmu = {np.round(d_mu, 4)}")

    import scipy.optimize

    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    result = scipy.optimize.minimize(
        lambda w: least_squares(w, X, y),
        np.zeros(3),
        jac=grad(lambda w: least_squares(w, X, y)),
        method="BFGS",
    )
    exact = np.linalg.lstsq(X, y, rcond=None)[0]
    print(
        f"3. BFGS with jac=grad(lambda ...): distance to lstsq {np.max(abs(result.x - exact)):.2e}"
    )

    y0, k = np.array([1.0, 0.0]), 2.0
    d_y0, d_k = grad(final_angle_squared, wrt=(0, 1))(y0, k)
    check(lambda v: final_angle_squared(v, k), d_y0, y0.copy())
    check(lambda v: final_angle_squared(y0, float(v)), d_k, np.array(k))
    print(f"4. RK4 of a pendulum: d/dy0 = {np.round(d_y0, 4)}, d/dk = {d_k:.4f}")

    params = {
        "w": [rng.normal(size=2), rng.normal(size=(2, 2))],
        "b": rng.normal(size=2),
    }
    g = grad(penalised)(params)
    worst = check(penalised, g, params)
    print(
        f"5. isinstance tree walk: largest difference from finite differences {worst:.1e}"
    )
    print(f"loss_decrease: {first - last:.4f}")


if __name__ == "__main__":
    main()
