# Found by: python -m adcompiler.tools.fuzz --seed 2024 (program 333), minimized.
# fuzz: x=(2, 3) y=(3,) seed=155626546
# fixed: in-place updates (v *= v; v[:, :2] = ...) in the branches of an if inside a while loop: the backward multiplies by None (TypeError)
# found: crash:
#   TypeError: unsupported operand type(s) for *: 'float' and 'NoneType'
# expected: the gradient of the program, as finite differences give it
import numpy as np


def f(x, y):
    v1 = np.concatenate([x])
    k2 = 0
    while k2 < 2:
        if x[1, k2] < 0.5:
            v1 *= v1
        elif x[k2, k2] > 0.5:
            v1[:, :2] = v1[:, ::2]
        k2 += 1
    return np.sum(v1)
