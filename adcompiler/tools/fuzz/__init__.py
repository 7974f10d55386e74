"""Differential fuzzing of adcompiler's gradients.

:func:`generate` writes a random numeric Python module, deterministic in its
seed, whose function ``f(x, y)`` mixes the syntax adcompiler accepts:
arithmetic and broadcasting, NumPy calls with rules (elementwise functions,
reductions with axes and ``keepdims``, ``@``, ``einsum``, stacking, ...),
indexing and slicing (integers, slices, ``None``, integer lists, masks),
``if``/``elif``/``else`` on data, ``for`` loops over ranges and rows with
carried state, ``while`` loops with bounded counters, ``break``, calls of a
generated helper (with a default argument), subscript assignment into
``np.zeros`` arrays, augmented assignment, and lists built with ``append``
and stacked. Values stay in safe domains by construction (``log`` and
``sqrt`` of ``1 + e**2``, ``exp`` of bounded values, divisions by ``1 +
e**2``), so every program runs without warnings at any input.

:func:`check` writes a program to a real file (adcompiler reads source),
imports it and compares ``adcompiler.value_and_grad`` with central finite
differences at a random point, and with autograd or JAX when they are
installed and can run the program. A point where the finite differences
depend on the step (a kink, a branch boundary) is replaced by another one.

Outcomes: ``ok``; ``mismatch`` (a wrong value or gradient, or an argument
written); ``crash`` (adcompiler raised something that is not an
:class:`~adcompiler.ADError`); ``unsupported`` (an ``ADError``: the program
uses something adcompiler refuses); ``skipped`` (no smooth point found);
``invalid`` (the program itself fails: a bug of the generator).

Run a campaign with::

    python -m adcompiler.tools.fuzz --count 3000 --seed 1 --save-failures fuzz-failures

which prints ``programs: N, mismatches: M, crashes: C, unsupported: U``.

The modules:

- :mod:`.program`: :class:`Program` and :class:`Outcome`, what the parts
  hand each other;
- :mod:`.generator`: :func:`generate`; :mod:`.generator.core` holds the
  generator's state, random choices, leaves and dispatchers, and each other
  module of the subpackage is one construct family (elementwise,
  reductions, linalg, arrays, scalars, views, conditionals, assignments,
  in-place updates, containers, calls, control flow; broadcasting offers
  operands to the others), registered in ``generator.FAMILIES``;
- :mod:`.oracles`: autograd and JAX;
- :mod:`.checker`: :func:`check`, against finite differences and the oracles;
- :mod:`.minimizer`: :func:`minimize`, :func:`minimize_failure`,
  :func:`same_failure`;
- :mod:`.corpus`: the ``# fuzz:`` header of corpus files;
- :mod:`.campaign`: :func:`run`, :func:`run_parallel`, :class:`Summary`;
- :mod:`.cli`: :func:`main`, the command line (``__main__`` runs it);
- :mod:`.soundness`: the soundness profile (``--profile soundness``):
  families of programs where a compiler is silently wrong (aliases and
  views written, container items, list ``+=``, module attributes changed
  between calls, reshape orders, ``%``, powers at 0, complex values), with
  :func:`~.soundness.generate_sound` and :func:`~.soundness.check_sound`
  (plain Python and central differences); docs/fuzzing.md, "Soundness
  profile".
- :mod:`.frontend`: the front-end profile (``--profile frontend``, issue
  #16): families of Python as people write it (lambdas, callables as
  values, objects and parameter trees, seeded random draws, prints and
  asserts, type tests, dicts, variadics, generators, ``grad`` inside,
  size-1 outputs), checked by :func:`~.frontend.check_front` through the
  soundness checker, the refusals grouped by message
  (:meth:`.campaign.Summary.refusals`); docs/fuzzing.md, "The front-end
  profile".
- :mod:`.coverage`: the coverage profile (``--profile coverage``, issue
  #17): programs drawn from the table of #17's functions
  (``generator/coverage17.py``, ``ENTRIES``: add a row for a new function)
  with :func:`~.coverage.generate_coverage`, checked at orders 1 and 2 by
  :func:`~.coverage.check_coverage`; docs/fuzzing.md, "The coverage
  profile (issue #17)".

Adding a construct family (say, lambdas):

1. Write ``generator/lambdas.py`` with a subclass of
   :class:`~.generator.core.Family`. Override the offers it makes, each a
   list of ``(weight, construct)``: ``expressions(shape, fresh)``
   (constructs of signature ``(shape, depth) -> str`` that return an
   expression of exactly ``shape``, and only fresh arrays when ``fresh``),
   ``statements(depth)`` (anywhere), ``top_level_statements(depth)`` (not
   in nested blocks), ``compound_statements(depth)`` (statements with
   blocks, offered while ``depth < 2``), all of signature
   ``(depth) -> list[str]``, and ``definitions()`` (module-level lines
   before ``f``). A construct builds its parts with ``self.g.expr(...)``,
   ``self.g.statement(...)``, ``self.g.leaf(...)``, draws only through
   ``self.g`` (``chance``, ``pick``, ``weighted``, ``rng``), keeps
   ``self.g.vars`` (shapes, and whether an array may be written in place)
   up to date, and reaches another family with ``self.g.family(Other)``
   (import it: families must not import each other in a cycle).
2. Import the class in ``generator/__init__.py`` and append it to
   ``FAMILIES`` there (``tests/test_fuzz.py`` fails on a family left out).

Offers are collected in the order of ``FAMILIES`` and every draw goes
through the generator's one random stream, so a new family changes the
programs of existing seeds (that is expected: record ``PROGRAMS_DIGEST`` in
``tests/test_fuzz.py`` and the campaign figures again), while the existing
families' code stays as it is. Keep values in safe domains as the other
families do, and run a campaign of a few thousand programs: ``invalid``
outcomes are bugs of the new family.
"""

from __future__ import annotations

from .campaign import Summary, run, run_parallel
from .checker import check
from .cli import main
from .corpus import corpus_header, load_corpus_file
from .generator import BINARY, FAMILIES, MATH, REDUCTIONS, UNARY, generate
from .minimizer import minimize, minimize_failure, same_failure
from .oracles import Oracle, available_oracles
from .program import Outcome, Program, Shape

__all__ = [
    "BINARY",
    "FAMILIES",
    "MATH",
    "REDUCTIONS",
    "UNARY",
    "Oracle",
    "Outcome",
    "Program",
    "Shape",
    "Summary",
    "available_oracles",
    "check",
    "corpus_header",
    "generate",
    "load_corpus_file",
    "main",
    "minimize",
    "minimize_failure",
    "run",
    "run_parallel",
    "same_failure",
]
