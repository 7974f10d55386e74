"""A first look at adcompiler: a gradient, its generated code, and a check.

Run: python examples/quickstart.py
"""

import numpy as np

import adcompiler


@adcompiler.grad(wrt=("W", "b"))
def loss(W, b, x, y):
    """Mean squared error of a one-layer tanh network."""
    h = np.tanh(x @ W + b)
    return np.mean((h - y) ** 2)


def main() -> None:
    rng = np.random.default_rng(0)
    W = rng.normal(size=(3, 2))
    b = np.zeros(2)
    x = rng.normal(size=(8, 3))
    y = rng.normal(size=(8, 2))

    print("Generated code for the gradient of loss:\n")
    adcompiler.show(loss)

    d_W, d_b = loss(W, b, x, y)
    print("dL/dW =\n", d_W)
    print("dL/db =", d_b)

    adcompiler.check_grad(loss.__wrapped__, W, b, x, y, wrt=("W", "b"))
    print("check_grad: adcompiler agrees with central finite differences")


if __name__ == "__main__":
    main()
