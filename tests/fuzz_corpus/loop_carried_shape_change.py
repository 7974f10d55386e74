# Found by: python -m adcompiler.tools.fuzz --seed 2 (program 43), minimized.
# fuzz: x=(2, 4) y=(4,) seed=1449148517
# fixed: a loop-carried variable whose shape changes in the loop ((n, n) before, (n,) inside) crashed in unbroadcast (IndexError): the backward loop gave the rebound variable the adjoint 0.0, which the rule of y[:, None] * y broadcast to the shape of y, not of v1 before the loop
# found: crash:
#   IndexError: tuple index out of range
# expected: dy = 1 everywhere
import numpy as np


def f(x, y):
    v1 = y[:, None] * y
    for i6 in range(2, 1, -1):
        for i7 in range(2, 1, -1):
            v1 = y
    return np.sum(v1)
