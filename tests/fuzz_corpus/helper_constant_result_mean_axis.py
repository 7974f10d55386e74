# Found by: python -m adcompiler.tools.fuzz --seed 2024 (program 13), minimized.
# fuzz: x=(3, 4) y=(4,) seed=53898888
# fixed: a helper whose result does not depend on an argument gives that argument a scalar 0.0 adjoint, and the backward of x.mean(axis=1) fails on it (AxisError)
# found: crash:
#   AxisError: axis 1 is out of bounds for array of dimension 1
# expected: dx = 0, dy = 0
import numpy as np


def helper(a, b, c=0.5):
    return np.linspace(1.0, 1.0, 4)


def f(x, y):
    h5 = helper(x.mean(axis=(1,)), x)
    z6 = h5
    return np.sum(z6)
