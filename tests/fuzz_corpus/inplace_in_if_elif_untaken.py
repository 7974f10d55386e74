# Found by: python -m adcompiler.tools.fuzz --seed 2024 (program 23), minimized.
# fuzz: x=(2, 4) y=(4,) seed=932627115
# fixed: an in-place update in an elif branch that is not taken changes the gradient through a view taken in the else branch
# found: mismatch:
#   gradient vs finite differences: dx[0, 1]: adcompiler 0.8258731765268867, expected 0.0
# expected: dx = 0: v5 is a row of x / x, a constant
import numpy as np


def f(x, y):
    v3 = np.stack([y])
    v4 = np.divide(x, x)
    if y[2] < 0.5:
        pass
    elif v3.mean() > 0.7:
        v4[0] += x
    else:
        v5 = v4[0,]
        v4 = np.concatenate((np.eye(2, 4),))
    return np.mean(v5)
