# Found by: python -m adcompiler.tools.fuzz --seed 2024 (program 320), minimized.
# fuzz: x=(2, 3) y=(3,) seed=802307443
# fixed: a helper ignoring its first argument: np.tensordot's backward gets a scalar 0.0 adjoint (einsum ValueError)
# found: crash:
#   ValueError: einstein sum subscripts string contains too many subscripts for operand 0
# expected: dx[1, 2] = 1, all else 0
import numpy as np


def helper(a, b):
    return b


def f(x, y):
    h2 = helper(np.tensordot(x[:, ::2], x, axes=1), x[1, 2])
    return h2
