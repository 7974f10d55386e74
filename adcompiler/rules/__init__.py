"""Derivative rules, one table per family of functions.

Importing this package registers every built-in rule in
:mod:`adcompiler.rules.registry`. The runtime helpers come first, since the
other tables' rules call them.
"""

from . import runtime_rules  # noqa: F401  (registers; must come first)
from . import numpy_rules  # noqa: F401
from . import math_rules  # noqa: F401
from . import tangent_rules  # noqa: F401  (after the tables it completes)
from .registry import defvjp, lookup, nondifferentiable, registered

__all__ = ["defvjp", "lookup", "nondifferentiable", "registered"]
