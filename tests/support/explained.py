"""A five-line function whose explained view is committed (tests/data)."""

import numpy as np


def logistic_loss(w, x, y):
    z = x @ w
    p = 1.0 / (1.0 + np.exp(-z))
    loss = -(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
    total = np.mean(loss)
    return total
