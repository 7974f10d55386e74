# Found by: python -m adcompiler.tools.fuzz --seed 2024 (program 42), minimized.
# fuzz: x=(4, 2) y=(2,) seed=631880782
# fixed: np.sum / np.mean / np.array / np.vstack of a list built by a loop or a comprehension gets the adjoint of its last item only
# found: mismatch:
#   gradient vs finite differences: dx[1, 0]: adcompiler 1.0, expected 2.000000000279556
# expected: the gradient counts every appended item: d/dx np.sum([x, x]) is 2 everywhere
import numpy as np


def f(x, y):
    acc8 = []
    for i9 in range(2):
        acc8.append(x)
    v10 = acc8
    return np.sum(v10)
