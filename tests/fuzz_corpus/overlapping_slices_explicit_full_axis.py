# Found by: python -m adcompiler.tools.fuzz --seed 11 (program 1997), minimized.
# fuzz: x=(3, 2) y=(2,) seed=1397659111
# fixed: assemble took the interval of x[1:3, 0:2] from its last, full slice (0:2 of 2 columns) instead of its narrowed axis, so two overlapping pieces looked disjoint: wrong dx
# found: mismatch:
#   gradient vs finite differences: dx[2, 1]: adcompiler 0.054210803700217025, expected 1.0542108037636666
# expected: the gradient of the program, as finite differences give it
import numpy as np


def f(x, y):
    v4 = x[1:3, 0:2]
    v6 = np.concatenate([v4, np.einsum("i,j->ij", np.dot(x[2:3,], y), y)])
    return np.sum(v6)
