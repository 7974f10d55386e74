"""Primitives: one record per function the compiler does not look inside.

Importing this package registers every built-in record
(:mod:`adcompiler.primitives.record`), family by family. The runtime
helpers come first, since the other families' rules call them. SciPy's
records are registered on demand, once SciPy is imported
(:mod:`adcompiler.primitives.scipy_hook`).
"""

from . import runtime_helpers  # noqa: F401  (registers; must come first)
from . import elementwise  # noqa: F401
from . import reductions  # noqa: F401
from . import shapes  # noqa: F401
from . import indexing  # noqa: F401
from . import linalg  # noqa: F401
from . import math_builtins  # noqa: F401
from . import effects  # noqa: F401
from . import arrays  # noqa: F401
from . import norms  # noqa: F401
from . import decompositions  # noqa: F401
from . import complex_numbers  # noqa: F401
from . import fft  # noqa: F401
from . import scipy_hook  # noqa: F401  (SciPy's records, once SciPy is imported)
from .registry import defvjp, lookup, nondifferentiable, registered

__all__ = ["defvjp", "lookup", "nondifferentiable", "registered"]
