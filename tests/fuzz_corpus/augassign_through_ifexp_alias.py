# Found by: python -m adcompiler.tools.fuzz --seed 13 (program 4272), minimized.
# fuzz: x=(4, 2) y=(2,) seed=708592735
# refused: `v5` may share memory with `w6`
# found: mismatch:
#   value: adcompiler 3.5955750384028526, f gives -21.988366915035535
# expected: an ADError: w6 is v5 when y[0] <= 0.5, so `v5 -=` changes w6 in Python, while generated code makes v5 a new array; the alias check followed only the first branch of the conditional expression
import numpy as np


def f(x, y):
    v5 = np.tile(x, (4,))
    if not y[0] > 0.2:
        pass
    else:
        w6 = x if y[0] > 0.5 else v5
        v5 -= np.var(x)
    return np.sum(w6)
