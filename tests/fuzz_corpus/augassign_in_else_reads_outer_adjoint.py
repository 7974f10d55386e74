# Found by: python -m adcompiler.tools.fuzz --seed 1 (program 3195), minimized.
# fuzz: x=(4, 4) y=(4,) seed=1076996940
# fixed: the backward of h5 /= x[3, 0] in an else branch assigned d_h5 under the name of the if's incoming adjoint, which the rule for the divisor still read: wrong dx
# found: mismatch:
#   gradient vs finite differences: dx[3, 0]: adcompiler 34.03816397852972, expected 10.554069167945102
# expected: the gradient of the program, as finite differences give it
# (helper used to return b[3, -3], which may be a view of x: `h5 /=` is refused
# since calls' results are followed to their arguments; `* 1.0` keeps the program
# about the adjoint of h5 in the else branch)
import numpy as np


def helper(a, b):
    return b[3, -3] * 1.0


def f(x, y):
    h5 = helper(y, b=x.T)
    if h5 > 0.0:
        pass
    else:
        h5 /= x[3, 0]
    return h5
