# Found by: python -m adcompiler.tools.fuzz --seed 2024 (program 206), minimized.
# fuzz: x=(3, 4) y=(4,) seed=1975485991
# fixed: z = (4,); z -= x[2] (z becomes an array); z[3] *= 1.0; then z rebound in a while loop: crashed in zero_at (0-d array indexed): the loop gave z the adjoint 0.0, not zeros of its shape
# found: crash:
#   IndexError: too many indices for array: array is 0-dimensional, but 1 were indexed
# expected: the gradient: dx = 1 everywhere
import numpy as np


def f(x, y):
    z1 = (4,)
    z1 -= x[2]
    z1[3,] *= 1.0
    k2 = 0
    while k2 < 2:
        z1 = x.T
        k2 += 1
    return np.sum(z1)
