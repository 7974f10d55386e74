"""The program generator: :func:`generate` writes program ``index`` of the
campaign ``seed``, deterministically, from the construct families of
:data:`FAMILIES` composed by :class:`~.core.Generator`.

Each family is one module of this package (a :class:`~.core.Family`
subclass); the core holds the shared state (variables and their shapes,
loop counters, the helper), the random choices, the leaves and the
dispatchers, which collect the families' weighted offers in the order of
:data:`FAMILIES` and draw one. See the fuzzer package's docstring for how
to add a family.
"""

from __future__ import annotations

import numpy as np

from ..program import Program
from .arrays import Arrays
from .assignments import Assignments
from .broadcast import Broadcasting
from .calls import Calls
from .conditionals import Conditionals
from .containers import Containers
from .control import ControlFlow
from .core import Family, Generator
from .coverage17 import ENTRIES, Coverage17, Entry
from .elementwise import BINARY, UNARY, Elementwise
from .inplace import InPlace
from .linalg import Linalg
from .reductions import REDUCTIONS, Reductions
from .scalars import MATH, Scalars
from .views import Views

#: The construct families, in the order their offers are collected. The
#: order and the weights decide every generated program: appending a family
#: changes the programs of existing seeds too (its offers take part in the
#: draws); reordering families changes them all.
FAMILIES: list[type[Family]] = [
    Broadcasting,
    Elementwise,
    Reductions,
    Linalg,
    Arrays,
    Scalars,
    Views,
    Conditionals,
    Assignments,
    InPlace,
    Containers,
    Calls,
    ControlFlow,
]


#: The coverage profile's families (``--profile coverage``, issue #17): the
#: table of :mod:`.coverage17` mixed with elementwise functions (whose
#: operands :class:`Broadcasting` and :class:`Reductions` offer) and
#: assignments. Not in :data:`FAMILIES`: the default programs stay as they are.
COVERAGE_FAMILIES: list[type[Family]] = [
    Broadcasting,
    Elementwise,
    Reductions,
    Coverage17,
    Assignments,
]


def generate(seed: int, index: int = 0) -> Program:
    """Program ``index`` of the campaign with ``seed`` (deterministic: the
    same arguments give the same source, shapes and point seed)."""
    rng = np.random.default_rng([seed, index])
    source, x_shape, y_shape = Generator(rng, FAMILIES).program()
    return Program(source, x_shape, y_shape, seed=_point_seed(seed, index))


def _point_seed(seed: int, index: int) -> int:
    return int(np.random.default_rng([seed, index, 7]).integers(2**31))


__all__ = [
    "BINARY",
    "COVERAGE_FAMILIES",
    "ENTRIES",
    "Entry",
    "FAMILIES",
    "MATH",
    "REDUCTIONS",
    "UNARY",
    "Family",
    "Generator",
    "generate",
]
