"""One record per primitive, and the queries the compiler asks of them.

A *primitive* is a Python callable (a NumPy function, a ``math`` function, a
builtin, an operator, a runtime helper or a user function) that the compiler
does not look inside. Everything the compiler knows about one is on its
:class:`Primitive` record: its reverse rules (one per positional parameter),
its tangent rules or an explicit reverse-only mark, whether its result may
share memory with an argument, which parameters only ever hold integers,
how array methods and attributes spell it, and its categories for the
passes. The tables other modules used to keep side by side (views, method
names, integer parameters, categories) are queries over these records
(:func:`views_of`, :func:`method_primitive`, :func:`attribute_primitive`,
:func:`category`, ...), so a declaration exists once and
:func:`problems` can check each record is complete.

This module imports nothing else of the package: a primitive called on
symbolic values hands the call to the active recorder (see
:data:`RECORDER`, set by :class:`adcompiler.primitives.symbolic.Emitter`).
"""

from __future__ import annotations

import contextvars
import inspect
import sys
import types
from typing import Any, Callable, Iterable, Sequence

import numpy as np

#: How an op is written in generated code.
#:   ("call", root, path)  root(.path...)(args)   root: object bound in the namespace
#:   ("binop", ast.Add())  a + b
#:   ("unaryop", ast.USub())  -a
#:   ("compare", ast.Lt())  a < b
#:   ("subscript",)  a[index]
#:   ("method", name)  a.name(args); ("method_spread", name)  a.name(*b)
#:   ("matmul_transposed",)  a @ b.T; ("transposed_matmul",)  a.T @ b
Render = tuple

# -- memory: what a result may share with an argument ----------------------

#: The result is memory the primitive allocates (or an immutable number).
NEW = "new"
#: The result may be a view of an argument's memory.
VIEW = "view"
#: The result may be an argument itself (changed in place, or returned as is).
ITSELF = "itself"
MEMORY = (NEW, VIEW, ITSELF)

#: The categories the passes ask about.
CATEGORIES = frozenset(
    {
        "elementwise",  # one array operand keeps its shape, several broadcast
        "arithmetic",  # + - * / ** and unary - + abs: scalar for scalar operands
        "negation",  # -x, as an operator or a ufunc
        "comparison",  # a bool, or an array of bools
        "reduction",  # of a whole array (no axis), a NumPy scalar
        "shape",  # the result holds the argument's values in another shape
        "shape query",  # a pure function of shapes, ranks and dtypes
        "metadata",  # reads only its arguments' shapes, dtypes or lengths
        "decomposition",  # a pure, costly function of arrays (an SVD's U)
    }
)

#: The names :func:`defvjp` takes for integer parameters when a user's
#: rules do not declare them (built-in records declare theirs). A parameter
#: that only ever holds integers (shapes, axes, repetition counts,
#: subscripts) has a piecewise-constant effect, so its derivative is zero:
#: when a value reaching one is marked active anyway (activity is tracked
#: per container: a shape saved on a loop's tape shares the tape with
#: arrays), the contribution is dropped instead of reported as a missing
#: rule. Only parameters without a rule qualify.
INTEGER_PARAMETERS = frozenset(
    {"shape", "newshape", "reps", "repeats", "axis", "axes", "spec", "k", "kind"}
)

#: The tangent-rule mark of a primitive with reverse rules only.
REVERSE_ONLY = "reverse only"


class Primitive:
    """The record of a callable the compiler treats as one op.

    ``vjps`` holds one reverse rule per positional parameter (None: the
    result carries no derivative at all); ``jvps`` one tangent rule per
    parameter, or None with ``reverse_only`` set to why there is none.
    ``memory`` says what the result may share with argument
    ``memory_argument`` (:data:`NEW`, :data:`VIEW`, :data:`ITSELF`; None:
    not declared, which :func:`problems` reports where it matters).
    ``integers`` names the parameters that only ever hold integers (shapes,
    repetition counts): an active value reaching one without a rule
    contributes nothing. ``methods`` and ``attributes`` are the array
    spellings (``x.sum()``, ``x.T``) of this primitive; ``method_varargs``
    says its methods take a shape either as one tuple or spread out.
    """

    def __init__(
        self,
        fn: Callable,
        name: str,
        render: Render,
        vjps: Sequence[Callable | None] | None,
        static: Sequence[str] = (),
        signature: inspect.Signature | None = None,
        hint: str | None = None,
    ):
        self.fn = fn
        self.name = name
        self.render = render
        self.vjps = tuple(vjps) if vjps is not None else None
        self.static = frozenset(static)
        self.signature = signature
        self.hint = hint or name.split(".")[-1]
        #: whether results are lists/tuples: False (arrays, numbers), True,
        #: or None (unknown: an item of a list may be either)
        self.container: bool | None = False
        #: changes its first argument in place: kept even if its result is unused
        self.effect = False
        #: acts outside its arguments (draws from a random generator, prints,
        #: checks an assertion): runs exactly once per forward sweep, in
        #: program order; never folded at compile time, dropped, merged,
        #: moved or run again (see :mod:`adcompiler.primitives.effects`)
        self.impure = False
        #: written as a statement of its own (its result, None, is never read)
        self.statement = False
        #: what to write instead when a differentiated value reaches an
        #: argument without a rule (None: the general hint)
        self.no_rule_hint: str | None = None
        #: forward-mode rules, one per positional parameter (None: none yet)
        self.jvps: tuple | None = None
        #: why there are no tangent rules, when there are none on purpose
        self.reverse_only: str | None = None
        self.memory: str | None = NEW
        self.memory_argument = 0
        self.integers: frozenset[str] = frozenset()
        self.methods: tuple[str, ...] = ()
        self.method_varargs = False
        self.attributes: tuple[str, ...] = ()
        self.categories: frozenset[str] = frozenset()
        #: ``split(*args, **kwargs)``: None, or the calls ``[(fn, args,
        #: kwargs), ...]`` whose results, as a tuple, are this call's (a
        #: call returning a tuple is lowered as one primitive per item)
        self.split: Callable[..., list | None] | None = None
        #: the orders of derivative its rules reach, as docs/numpy-coverage.md
        #: lists them: "any" where every rule is made of records with rules
        #: (tests/test_every_rule_order2.py checks the second order of each,
        #: tests/test_orders.py the limits declared where they are lower)
        self.orders: str = "any"
        #: the NamedTuple class of a split call's results (NumPy's
        #: ``SVDResult``: ``r.S`` reads an item; ``solve_ivp``'s ``sol.y``), or None: a plain tuple
        self.split_result: type | None = None
        #: the parameters that take a function known at compile time (a
        #: vector field): see :mod:`.higher_order`
        self.functions: frozenset[str] = frozenset()

    @property
    def differentiable(self) -> bool:
        """False for primitives whose result never carries a derivative."""
        return self.vjps is not None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Inside a rule, a call on symbolic values records an op; otherwise it
        # is the function itself (constant folding at trace time).
        recorder = RECORDER.get()
        if recorder is None:
            return self.fn(*args, **kwargs)
        return recorder.record_call(self, args, kwargs)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


#: The active recorder of symbolic calls (an object with ``record_call(prim,
#: args, kwargs)``), or None outside of one.
RECORDER: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "adcompiler_recorder", default=None
)

_REGISTRY: dict[Any, Primitive] = {}


class _Changes:
    """How many times a rule was registered or replaced: a compilation
    records the count, and compiled code is compiled again after a rule is
    added or changed (``defvjp`` after compiling code that calls ``fn``)."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


#: the registry's changes (see :class:`_Changes`)
CHANGES = _Changes()


def _key(fn: Any) -> Any:
    try:
        hash(fn)
        return fn
    except TypeError:
        return id(fn)


#: Called, in order, when :func:`lookup` finds no record: each registers
#: the records of a family loaded on demand (SciPy's, when SciPy has been
#: imported: :mod:`.scipy_hook`) and returns True if it registered any, and
#: the lookup is then tried again.
ON_MISS: list[Callable[[], bool]] = []


def lookup(fn: Any) -> Primitive | None:
    """The primitive registered for ``fn`` (or ``fn`` itself, a primitive), or None."""
    if isinstance(fn, Primitive):
        return fn
    try:
        key = _key(fn)
        prim = _REGISTRY.get(key)
        if prim is None:
            for hook in ON_MISS:  # a family loaded on demand (SciPy's)
                if hook():
                    return _REGISTRY.get(key)
        return prim
    except TypeError:
        return None


def add(prim: Primitive) -> Primitive:
    """Register ``prim`` as the record of ``prim.fn`` (replacing any earlier one)."""
    _REGISTRY[_key(prim.fn)] = prim
    CHANGES.count += 1
    return prim


def registered() -> list[Primitive]:
    """Every registered primitive, in registration order."""
    return list(_REGISTRY.values())


# -- queries -----------------------------------------------------------------


def views_of(fn: Any) -> int | None:
    """The position of the argument whose memory the result of ``fn`` may
    share (a view of it, or the argument itself), or None: new memory, or
    not a primitive."""
    prim = lookup(fn)
    if prim is None or prim.memory not in (VIEW, ITSELF):
        return None
    return prim.memory_argument


def shares_first_argument(fn: Any) -> bool:
    """Whether the result of ``fn`` may share memory with its first argument."""
    return views_of(fn) == 0


def category(name: str) -> frozenset[Any]:
    """The functions whose records are in category ``name`` (of :data:`CATEGORIES`)."""
    if name not in CATEGORIES:
        raise KeyError(f"no category {name!r}")
    return frozenset(p.fn for p in _REGISTRY.values() if name in p.categories)


def method_primitive(name: str) -> Primitive | None:
    """The primitive that the array method ``x.name(...)`` is, or None."""
    for prim in _REGISTRY.values():
        if name in prim.methods:
            return prim
    return None


def attribute_primitive(name: str) -> Primitive | None:
    """The primitive that the array attribute ``x.name`` is, or None."""
    for prim in _REGISTRY.values():
        if name in prim.attributes:
            return prim
    return None


def attribute_functions() -> dict[str, Callable]:
    """Every array attribute spelling, as the function that computes it."""
    return {name: p.fn for p in _REGISTRY.values() for name in p.attributes}


def method_functions(kind: str) -> dict[str, Callable]:
    """Array method spellings of one ``kind``, as the function each one is:
    ``"function"`` (``x.sum()`` is ``np.sum(x)``), ``"varargs"`` (a shape as
    one tuple or spread out: ``x.reshape(2, 3)``) or ``"method"`` (stays a
    method in generated code: ``x.astype(t)``)."""
    found = {}
    for prim in _REGISTRY.values():
        for name in prim.methods:
            if prim.render[0] == "method":
                spelled = "method"
            elif prim.method_varargs:
                spelled = "varargs"
            else:
                spelled = "function"
            if spelled == kind:
                found[name] = prim.fn
    return found


# -- completeness ------------------------------------------------------------


def _parameter_names(prim: Primitive) -> list[str]:
    return list(prim.signature.parameters) if prim.signature is not None else []


def problems(prim: Primitive) -> list[str]:
    """What the record of ``prim`` lacks or gets inconsistent, as sentences
    (empty: complete). Checked: a tangent rule for every reverse rule or a
    reverse-only mark; a memory declaration for shape functions; declared
    integer parameters that exist and have no reverse rule, and parameters
    without a rule named like integers (``shape``, ``axis``, ...) declared
    as such (the name is only a hint to this check: the compiler reads the
    declaration); known categories."""
    found = []
    if prim.vjps is not None:
        if prim.jvps is None and not prim.reverse_only:
            found.append(
                f"{prim.name} has reverse rules but no tangent rules and no "
                "reverse-only mark"
            )
        if prim.jvps is not None and len(prim.jvps) < len(prim.vjps):
            found.append(
                f"{prim.name} has {len(prim.vjps)} reverse rules but only "
                f"{len(prim.jvps)} tangent rules"
            )
    if prim.memory not in MEMORY:
        found.append(f"{prim.name} does not declare what memory its result shares")
    if "shape" in prim.categories and prim.memory == NEW and not prim.reverse_only:
        # a shape function whose result is new memory says so by copying
        found.append(
            f"{prim.name} is a shape function declared to return new memory: "
            "NumPy returns views for most (declare memory=VIEW)"
        )
    names = _parameter_names(prim)
    for name, rule in zip(names, prim.vjps or ()):
        if rule is None and name in INTEGER_PARAMETERS and name not in prim.integers:
            found.append(
                f"{prim.name}: {name!r} has no reverse rule and is named like an "
                "integer parameter, but is not declared one (integers=...)"
            )
    for name in sorted(prim.integers):
        if name not in names:
            found.append(
                f"{prim.name} declares integer parameter {name!r}, not one of its parameters"
            )
        elif prim.vjps is not None:
            index = names.index(name)
            if index < len(prim.vjps) and prim.vjps[index] is not None:
                found.append(
                    f"{prim.name} declares {name!r} an integer but gives it a reverse rule"
                )
    unknown = prim.categories - CATEGORIES
    if unknown:
        found.append(f"{prim.name} has unknown categories {sorted(unknown)}")
    return found


def spelling_problems(prims: Iterable[Primitive]) -> list[str]:
    """Method and attribute spellings claimed by two records, or that
    arrays do not have."""
    found = []
    seen: dict[tuple[str, str], str] = {}
    for prim in prims:
        for kind, names in (("method", prim.methods), ("attribute", prim.attributes)):
            for name in names:
                if not hasattr(np.ndarray, name):
                    found.append(f"{prim.name}: arrays have no {kind} {name!r}")
                if (kind, name) in seen:
                    found.append(
                        f"the {kind} {name!r} is claimed by {seen[kind, name]} and {prim.name}"
                    )
                seen[kind, name] = prim.name
    return found


def memory_problems(prim: Primitive, *args: Any) -> list[str]:
    """Runs ``prim.fn(*args)`` and reports a result that shares memory with
    an argument the record does not declare it may share (empty: the
    declaration covers what NumPy did). A result NumPy made new says
    nothing: a declared view is allowed to copy sometimes."""
    result = prim.fn(*args)
    declared = prim.memory_argument if prim.memory in (VIEW, ITSELF) else None
    found = []
    for k, arg in enumerate(args):
        if not isinstance(arg, np.ndarray) or not isinstance(result, np.ndarray):
            continue
        if np.shares_memory(result, arg) and declared != k:
            found.append(
                f"{prim.name}: its result shares memory with argument {k}, "
                f"which its record does not declare (memory={prim.memory!r})"
            )
    return found


#: the modules where a function of SciPy is found by its public name
_PUBLIC_MODULES = (
    "scipy.special",
    "scipy.linalg",
    "scipy.signal",
    "scipy.stats",
    "scipy",
)


def public_name(obj: Any) -> str | None:
    """``scipy.special.gammaln`` for a function or ufunc of a SciPy module
    (whose ``__module__`` is a private module, or None for a ufunc), found
    in the modules imported; None for another object."""
    name = getattr(obj, "__name__", None)
    if not name:
        return None
    owner = getattr(obj, "__self__", None)
    for module_name in _PUBLIC_MODULES:
        module = sys.modules.get(module_name)
        if module is None:
            continue
        if getattr(module, name, None) is obj:
            return f"{module_name}.{name}"
        if owner is not None and not isinstance(owner, types.ModuleType):
            # a method of an object of the module: scipy.stats.norm.logpdf
            for key, value in list(vars(module).items()):
                if value is owner and not key.startswith("_"):
                    return f"{module_name}.{key}.{name}"
    return None
