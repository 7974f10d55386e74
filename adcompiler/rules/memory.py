"""Which primitives return memory their first argument may share.

NumPy knowledge the compiler needs to keep in-place changes honest: after
``y[i] = v`` or ``y += v``, every value that may share ``y``'s memory has
changed too.
"""

from __future__ import annotations

import operator

import numpy as np

from .. import runtime

#: Results that are views of the first argument (or the argument itself,
#: changed in place).
VIEWS = frozenset(
    {
        operator.getitem,
        runtime.list_append,
        runtime.set_item,
        np.reshape,
        np.ravel,
        np.transpose,
        np.swapaxes,
        np.moveaxis,
        np.squeeze,
        np.expand_dims,
        np.broadcast_to,
        np.atleast_1d,
        np.atleast_2d,
        np.flip,
    }
)

#: Results that may be the argument itself rather than a copy.
SHARES_MEMORY = frozenset({np.asarray, runtime.list_item})


def shares_first_argument(fn: object) -> bool:
    """Whether the result of ``fn`` may share memory with its first argument."""
    return fn in VIEWS or fn in SHARES_MEMORY
