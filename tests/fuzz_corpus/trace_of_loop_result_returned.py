# Found by: python -m adcompiler.tools.fuzz --seed 1 (program 282), minimized.
# fuzz: x=(3, 4) y=(4,) seed=672861095
# fixed: np.trace's rule indexed its adjoint (g[..., None, None]), a Python float when the trace is returned: 'float' object is not subscriptable
# found: crash:
#   TypeError: 'float' object is not subscriptable
# expected: dx is 1 on the diagonal, 0 elsewhere
import numpy as np


def f(x, y):
    z6 = np.ones((4,))
    for i7 in range(4):
        z6 = x
    else:
        w8 = np.trace(z6)
    return w8
