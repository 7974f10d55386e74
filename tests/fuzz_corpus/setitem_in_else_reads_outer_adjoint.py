# Found by: python -m adcompiler.tools.fuzz --seed 1 (program 1152), minimized.
# fuzz: x=(4, 4) y=(4,) seed=1862880135
# fixed: the backward of an if: the else branch's zero_at(d_v2) took the name of d_v2 (the if's adjoint output shares it) while written_items(d_v2) still read it after: dx = 0
# found: mismatch:
#   gradient vs finite differences: dx[0, 0]: adcompiler 0.0, expected 16.000000002236447
# expected: dx = 16 everywhere when max(y) > 0.2 (v2 is filled with np.sum(x))
import numpy as np


def f(x, y):
    v1 = y.max()
    v2 = np.where(y > 2.0, x, y)
    if not v1 > 0.2:
        pass
    else:
        v2[:] = np.sum([x])
    return np.sum(v2)
