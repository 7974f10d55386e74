"""What the soundness profile's parts hand each other: a :class:`SoundProgram`
(the source of ``f``, its arguments' specifications, the outcome expected,
and for the module-attribute family a settings module and its changes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..program import Shape

#: The placeholder a program's source uses for the settings module's name;
#: the checker writes the module under a unique name and substitutes it.
SETTINGS = "__SETTINGS__"


@dataclass
class Arg:
    """One argument of ``f``: a float64 array of ``shape``, or a Python float
    when ``shape`` is ``()``. ``zeros`` puts exact zeros at that many
    positions (the integer-power family evaluates ``x ** 0`` at 0); ``low``
    and ``high`` bound the uniform draw."""

    shape: Shape
    zeros: int = 0
    low: float = -1.5
    high: float = 1.5


@dataclass
class Change:
    """An assignment the checker carries out between two calls:
    ``setattr(<where>, attr, eval(value))``, ``where`` being ``"settings"``
    (the settings module), ``"module"`` (the program's own module) or the
    name of an object of the program's module (a class, a namespace,
    ``f`` itself for ``__defaults__``); or, with ``where == "reload"``, the
    settings module's file rewritten to ``value`` and reloaded."""

    where: str
    attr: str
    value: str


@dataclass
class SoundProgram:
    """A program of the soundness profile: ``f(*args)`` returns a scalar.

    ``expect`` is ``"result"`` (the value and gradient must equal plain
    Python's and central differences', or the call raises an ``ADError``) or
    ``"refusal"`` (only an ``ADError`` is right: the program has something
    adcompiler cannot differentiate yet, such as a complex intermediate)."""

    source: str
    family: str
    args: list[Arg]
    seed: int = 0
    expect: str = "result"
    settings_source: str = ""
    changes: list[Change] = field(default_factory=list)

    def header(self) -> str:
        """The ``# fuzz-soundness:`` comment lines (family, arguments, point
        seed, the settings module and its changes) that :meth:`show` puts
        before the source."""
        shapes = ", ".join(
            f"{a.shape}" + (f" zeros={a.zeros}" if a.zeros else "") for a in self.args
        )
        lines = [
            f"# fuzz-soundness: family={self.family} args=[{shapes}] "
            f"seed={self.seed} expect={self.expect}"
        ]
        if self.settings_source:
            lines.append(f"# settings module ({SETTINGS}):")
            lines += [f"#   {line}" for line in self.settings_source.splitlines()]
        for change in self.changes:
            if change.where == "reload":
                lines.append("# then the file becomes, and importlib.reload:")
                lines += [f"#   {line}" for line in change.value.splitlines()]
            else:
                lines.append(f"# then: {change.where}.{change.attr} = {change.value}")
        return "\n".join(lines) + "\n"
