# Found by: python -m adcompiler.tools.fuzz --seed 2024 (program 357), minimized.
# fuzz: x=(2, 3) y=() seed=1553596438
# fixed: a helper returning its default argument: the adjoint of the unused array argument is a scalar 0.0 and np.cumsum's backward cannot reshape it
# found: crash:
#   ValueError: cannot reshape array of size 1 into shape (2,3)
# expected: dx = 0, dy = 0
import numpy as np


def helper(a, b, c=0.5):
    return c


def f(x, y):
    v1 = x
    h6 = helper(v1, np.cumsum(x))
    return h6
