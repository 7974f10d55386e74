# Found by: python -m adcompiler.tools.fuzz --seed 2024 (program 367), minimized.
# fuzz: x=(4, 3) y=(3,) seed=1273348664
# fixed: np.vstack of a list of lists built in loops gets the adjoint of one item only
# found: mismatch:
#   gradient vs finite differences: dx[1, 2]: adcompiler 4.0, expected 16.000000002236447
# expected: dx is 16 everywhere (4 x 4 copies of x are summed)
import numpy as np


def f(x, y):
    acc1 = []
    for i2 in range(4):
        acc1.append(x)
    v3 = acc1
    acc4 = []
    for i5 in range(4):
        acc4.append(v3)
    v6 = np.vstack(acc4)
    return v6.sum()
