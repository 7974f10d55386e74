# Found by: python -m adcompiler.tools.fuzz --seed 2 (program 241), minimized.
# fuzz: x=(2, 4) y=(4,) seed=1918795177
# fixed: a helper ignoring an np.hstack argument: hstack's backward indexes a scalar 0.0 adjoint
# found: crash:
#   TypeError: 'float' object is not subscriptable
# expected: dx = 1 everywhere
import numpy as np


def helper(a, b):
    return b


def f(x, y):
    h5 = helper(np.hstack([x]), b=[x])
    return np.sum(h5)
