"""Error classes.

Every error adcompiler raises derives from :class:`ADError`. Errors about the
user's code carry a :class:`SourceLoc`, and their message names the construct,
gives ``file:line:col`` with the offending source line, and says what to do.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class SourceLoc:
    """A position in the user's source: file, 1-based line, 0-based column."""

    file: str
    line: int
    col: int
    text: str = ""
    #: the function a line belongs to when it was inlined into another
    within: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    @property
    def line_label(self) -> str:
        """``12``, or ``5 in layer`` for a line of a function inlined."""
        return f"{self.line} in {self.within}" if self.within else str(self.line)


class ADError(Exception):
    """Base class of every error raised by adcompiler."""

    def __init__(self, message: str, loc: SourceLoc | None = None, hint: str = ""):
        self.message = message
        self.loc = loc
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        parts = []
        if self.loc is not None:
            parts.append(f"{self.loc}: {self.message}")
            if self.loc.text:
                parts.append(f"    {self.loc.text.strip()}")
        else:
            parts.append(self.message)
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class UnsupportedSyntaxError(ADError):
    """A Python construct that adcompiler does not accept in differentiated code."""


class StaticArgumentNeeded(UnsupportedSyntaxError):
    """A run-time value reached a static parameter of a rule (``axis=``,
    ``ord=``, ...). ``params`` names the parameters of ``function`` (the
    function lowered) it was computed from; ``slot`` is ``(rule, parameter)``.
    A transformation called with values for them specialises its code on
    those values and compiles again (:mod:`adcompiler.specialise`); when it
    cannot, it raises this error, or a clearer one naming the parameter."""

    params: tuple = ()
    function: object = None
    slot: tuple = ("", "")


class NoRuleError(ADError):
    """A function call with no derivative rule registered for it."""


class NonDifferentiableError(ADError):
    """A value the gradient depends on flows into an argument with no derivative."""


class SourceUnavailableError(ADError):
    """The source of a function cannot be read (REPL, builtin, C extension)."""


class WrtError(ADError):
    """A ``wrt`` that names no argument, or an argument that cannot be differentiated."""


class OutputError(ADError):
    """The differentiated function returned something other than a real scalar."""


class ArgumentError(ADError, TypeError):
    """A transformation or the function it made was called with arguments
    it cannot take: a wrong number of them, an unknown keyword, a value of
    the wrong kind (a bare array where a tuple of primals is expected, a
    cotangent of another structure). A ``TypeError`` too, so code catching
    Python's own error for a bad call keeps working."""


def checked_arguments(fn: Callable) -> Callable:
    """``fn``, raising :class:`ArgumentError` where calling it with
    arguments its signature does not take raises Python's ``TypeError``.

    Free on a good call: the error is recognised after the fact, as a
    ``TypeError`` raised by the call itself, before ``fn``'s body ran.
    """

    @functools.wraps(fn)
    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TypeError as exc:
            if isinstance(exc, ADError) or exc.__traceback__.tb_next is not None:
                raise
            name = fn.__name__
            raise ArgumentError(
                f"{name}{inspect.signature(fn)} cannot be called so: {exc}",
                hint=f"see help(adcompiler.{name})",
            ) from None

    return checked
