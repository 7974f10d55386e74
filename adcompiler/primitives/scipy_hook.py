"""SciPy, an optional dependency: its records are registered on demand.

Importing adcompiler never imports SciPy (``import scipy.stats`` alone
takes longer than importing adcompiler). Instead :func:`load` is one of
the registry's :data:`~.record.ON_MISS` hooks: the first time a lookup
finds no record and ``scipy.special`` (or ``scipy.stats``) is already
imported, by the user's code or a library it uses, the records of
:mod:`.scipy_special` (or :mod:`.scipy_stats`) are registered, and the
lookup is tried again. Code that differentiates a SciPy function has
imported SciPy to call it, so its records are always there when needed;
code that never imports SciPy pays two dictionary look-ups per miss.

:func:`scipy_name` names SciPy objects as user code writes them
(``scipy.special.gammaln``, ``scipy.stats.norm.logpdf``) for error
messages; it imports nothing either.
"""

from __future__ import annotations

import sys
from typing import Any

from . import record

#: the families already registered (each at most once)
_LOADED: set[str] = set()

#: SciPy's modules, and the module of adcompiler holding their records
_FAMILIES = (
    ("scipy.special", "scipy_special"),
    ("scipy.stats", "scipy_stats"),
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
    return len(_LOADED) < len(_FAMILIES) and load()


record.ON_MISS.append(_hook)


def _from_scipy(obj: Any) -> bool:
    """Whether ``obj`` may be SciPy's: defined in a SciPy module, a method of
    or an instance of a SciPy class, or a ufunc (SciPy's have no module)."""
    if type(obj).__name__ == "ufunc":
        return True
    owner = getattr(obj, "__self__", None)
    return any(
        (module or "").startswith("scipy")
        for module in (
            getattr(obj, "__module__", None),
            type(obj).__module__,
            type(owner).__module__ if owner is not None else None,
        )
    )


def _attribute_of(module: Any, obj: Any) -> str | None:
    """The public name under which ``module`` holds ``obj``, or None."""
    name = getattr(obj, "__name__", None)
    if name is not None and getattr(module, name, None) is obj:
        return name
    for name in dir(module):  # an alias (scipy.special.jn is jv), an instance
        if not name.startswith("_") and getattr(module, name, None) is obj:
            return name
    return None


def scipy_name(obj: Any) -> str | None:
    """``scipy.special.gammaln``, ``scipy.stats.norm.logpdf``,
    ``scipy.stats.norm``, ``scipy.linalg.expm``: how user code names
    ``obj``, a SciPy function, a SciPy distribution or one of its methods;
    None for anything else (the lowering never reads SciPy's source: a
    SciPy function without a record is refused with this name)."""
    if "scipy" not in sys.modules or not _from_scipy(obj):
        return None
    owner = getattr(obj, "__self__", None)
    method = getattr(obj, "__name__", None)
    special, stats = sys.modules.get("scipy.special"), sys.modules.get("scipy.stats")
    if owner is not None and stats is not None and method is not None:
        name = _attribute_of(stats, owner)  # a distribution's method
        if name is not None:
            return f"scipy.stats.{name}.{method}"
    if type(obj).__name__ == "ufunc":
        name = None if special is None else _attribute_of(special, obj)
        return None if name is None else f"scipy.special.{name}"
    if method is None:  # an instance: a distribution
        name = None if stats is None else _attribute_of(stats, obj)
        return None if name is None else f"scipy.stats.{name}"
    module_name = getattr(obj, "__module__", None) or ""
    if not module_name.startswith("scipy"):
        return None
    # its public module: scipy.special._logsumexp -> scipy.special
    public = ".".join(p for p in module_name.split(".") if not p.startswith("_"))
    module = sys.modules.get(public)
    if module is not None and getattr(module, method, None) is obj:
        return f"{public}.{method}"
    return f"{module_name}.{method}"
