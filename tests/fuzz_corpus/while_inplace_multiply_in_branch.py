# Found by: python -m adcompiler.tools.fuzz --seed 2 (program 167), minimized.
# fuzz: x=(2, 4) y=() seed=1046813956
# fixed: v6[:,] *= 1.0 in one branch and v6 = np.sin(v6) in the other, inside a while loop: wrong gradient
# found: mismatch:
#   gradient vs finite differences: dx[1, 3]: adcompiler -1.0361935891318657, expected 0.6633016937828252
# expected: the gradient of the program, as finite differences give it
import numpy as np


def f(x, y):
    v5 = np.arctan(0.25)
    v6 = np.einsum("ij,jk->ik", x[:, :2], x)
    k7 = 0
    while k7 < 3 and (y > 0.0 and v5 < 0.5):
        if np.sin(0.3) < x[0, 0]:
            v6[:,] *= 1.0
        else:
            v6 = np.sin(v6)
        k7 += 1
    return np.sum(v6)
