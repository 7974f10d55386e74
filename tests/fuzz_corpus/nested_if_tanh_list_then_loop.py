# Found by: python -m adcompiler.tools.fuzz --seed 2 (program 213), minimized.
# fuzz: x=(4, 2) y=() seed=1266609425
# fixed: nested ifs with v5 = np.tanh([x]); v4 += np.sum(v5), then a loop rebinding v5: wrong gradient
# found: mismatch:
#   gradient vs finite differences: dx[1, 1]: adcompiler 1.534805432577556, expected 0.7334244869820212
# expected: the gradient of the program, as finite differences give it
import numpy as np


def f(x, y):
    v4 = np.einsum("i,i->", x[0:4, 0], x[0:4, 1])
    v5 = x.T
    if np.mean(v5) < 2:
        if np.mean([x.T]):
            v5 = np.tanh([x])
            v4 += np.sum(v5)
        for i7 in range(4):
            v5 = 0.5 * v5
    return v4
