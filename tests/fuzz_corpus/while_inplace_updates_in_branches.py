# Found by: python -m adcompiler.tools.fuzz --seed 2 (program 334), minimized.
# fuzz: x=(3, 2) y=(2,) seed=1393020799
# fixed: v2[:, -2] += ... in one branch and v2 -= ... in the other, inside a while loop: wrong gradient
# found: mismatch:
#   gradient vs finite differences: dx[2, 0]: adcompiler 1.1929567503712641, expected 1.4277055064293442
# expected: the gradient of the program, as finite differences give it
import numpy as np


def f(x, y):
    v2 = x
    k3 = 0
    while k3 < 3:
        v2 = np.tanh(v2)
        if k3 > 0.5:
            v2[:, -2] += x[0:3, -2]
        else:
            v2 -= np.einsum("ij,j->i", x.T, v2[:, 1] > -1.1)
        k3 += 1
    return np.sum(v2)
