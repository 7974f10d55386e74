# Found by: python -m adcompiler.tools.fuzz --seed 2 (program 9), minimized.
# fuzz: x=(4, 3) y=(3,) seed=833416007
# fixed: a loop whose body has nothing left to compute generates a for statement with an empty body (IndentationError)
# found: crash:
#   IndentationError: expected an indented block after 'for' statement on line 13 (adfuzz_15555_5.py:4>, line 17)
# expected: the gradient is computed: dx = 0, dy = 0
import numpy as np


def f(x, y):
    if np.mean(x) >= 0.0:
        for r5 in x:
            pass
    return 2.0
