"""SciPy, an optional dependency: its records are registered on demand.

Importing adcompiler never imports SciPy (``import scipy.stats`` alone
takes longer than importing adcompiler). Instead :func:`load` is one of
the registry's :data:`~.record.ON_MISS` hooks: the first time a lookup
finds no record and ``scipy.special`` (``scipy.stats``, ``scipy.linalg``,
``scipy.signal``, ``scipy.integrate``) is already imported, by the user's
code or a library it uses, the records of :mod:`.scipy_special`
(:mod:`.scipy_stats`, :mod:`.scipy_linalg`, :mod:`.scipy_signal`,
:mod:`.scipy_integrate`) are registered, and the lookup is tried again.
Code that differentiates a SciPy function has
imported SciPy to call it, so its records are always there when needed;
code that never imports SciPy pays two dictionary look-ups per miss.

Error messages name SciPy objects as user code writes them
(``scipy.special.gammaln``, ``scipy.stats.norm.logpdf``,
``scipy.linalg.expm``) through
:func:`.record.public_name`.
"""

from __future__ import annotations

import sys


from . import record

#: the families already registered (each at most once)
_LOADED: set[str] = set()

#: SciPy's modules, and the module of adcompiler holding their records
_FAMILIES = (
    ("scipy.special", "scipy_special"),
    ("scipy.stats", "scipy_stats"),
    ("scipy.linalg", "scipy_linalg"),
    ("scipy.signal", "scipy_signal"),
    ("scipy.integrate", "scipy_integrate"),
)


def load(force: bool = False) -> bool:
    """Register the records of each SciPy family whose module is imported
    (with ``force``, import it first; ImportError when SciPy is absent).
    True if any family was registered by this call."""
    done = False
    for module, family in _FAMILIES:
        if family in _LOADED or (module not in sys.modules and not force):
            continue
        _LOADED.add(family)  # before importing: its records look names up
        try:
            __import__(module)
            __import__(f"{__package__}.{family}")
        except BaseException:
            _LOADED.discard(family)
            raise
        done = True
    return done


def _hook() -> bool:
    # every registry miss calls it (a user function's lookup, at each call
    # of its gradient): without SciPy imported, one dictionary look-up
    return "scipy" in sys.modules and len(_LOADED) < len(_FAMILIES) and load()


record.ON_MISS.append(_hook)
