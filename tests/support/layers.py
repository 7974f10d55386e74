"""Helpers in another module: the lowest levels of a three-level call chain."""

import numpy as np


def activation(z, slope=0.1):
    return np.where(z > 0, z, slope * z) + 0.5 * np.tanh(z)


def dense(x, W, b):
    return activation(x @ W + b)
