# Found by: python -m adcompiler.tools.fuzz --seed 1 (program 4560), minimized.
# fuzz: x=(4, 5) y=(5,) seed=256267311
# refused: the right side is a view of the array being assigned into
# found: mismatch:
#   gradient vs finite differences: dy[2]: adcompiler -1.9551462278214369, expected -2.32433547919797
# expected: an ADError: NumPy writes w1[:, 2] reading w1[k8, 0:4] as it goes, so w1[2, 2] gets the w1[1, 2] it has just written (k8 = 1); the gradient assumed the row as it was
import numpy as np


def f(x, y):
    if y[3] > 0.5:
        w1 = y[1:5][:, None] * x
    k8 = 0
    while k8 < 3:
        w1[:, 2] = w1[k8, 0:4]
        k8 += 1
    return w1.sum()
