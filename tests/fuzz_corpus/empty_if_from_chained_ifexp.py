# Found by: python -m adcompiler.tools.fuzz --seed 2 (program 207), minimized.
# fuzz: x=(4, 4) y=() seed=2080563270
# fixed: a chained conditional expression whose value is unused generates an if statement with an empty body (IndentationError)
# found: crash:
#   IndentationError: expected an indented block after 'if' statement on line 17 (adfuzz_15555_7.py:4>, line 18)
# expected: the gradient is computed: dx = 0, dy = 0
import numpy as np


def f(x, y):
    h3 = x[2, 3]
    h5 = x.T if h3 < 0.5 else x if h3 > 0.2 else x
    return 0.5
