# Found by: reading the alias check (not the fuzzer), 2026-11-27.
# fuzz: x=(4, 4) y=(4,) seed=1
# refused: `h` may share memory with `v`
# found: mismatch (before the fix): the value and gradient of the program without its in-place change
# expected: an ADError: row returns a row of v, a view, so `h *=` changes v in Python, while generated code makes h a new array; the alias check took the result of a call for new memory
import numpy as np


def row(b, k):
    if k > 0:
        return b[k]
    return b[0]


def f(x, y):
    v = x * 2.0
    h = row(v, 1)
    h *= y[0]
    return np.sum(v * v) + np.sum(h)
