# Found by: python -m adcompiler.tools.fuzz --seed 2024 (program 117), minimized.
# fuzz: x=(2, 3) y=() seed=754452527
# fixed: a scalar 0.0 adjoint from a helper call reaches the backward of np.trace ('float' object is not subscriptable)
# found: crash:
#   TypeError: 'float' object is not subscriptable
# expected: dx = 0, dy = 0 when y > 0
import numpy as np


def helper(a, b):
    return np.arange(3)


def f(x, y):
    v5 = x
    h6 = helper(np.trace(v5), b=v5)
    if y > 0.0:
        pass
    else:
        h2 = h6[1]
    return h2
