# Found by: python -m adcompiler.tools.fuzz --seed 13 (program 1299), minimized.
# fuzz: x=(4, 2) y=(2,) seed=1116429074
# fixed: a helper's forward half keeps its argument v1 for its backward, and the caller then changes v1 in place: no restore was kept for it (the restore pass did not see that a call's saved values may be its arguments), so the helper's backward read the changed array
# found: mismatch:
#   gradient vs finite differences: dx[0, 1]: adcompiler 0.12239111610379122, expected -0.6649889880571384
# expected: dx = 1 on rows 1-3; row 0 gets 2 * d var(v1)/dx, with v1 as it was before the assignment
import numpy as np


def helper(a, b):
    return a.var()


def f(x, y):
    v1 = np.concatenate([x])
    v1[0] = helper(v1, x)
    return v1.sum()
