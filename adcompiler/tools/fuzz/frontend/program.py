"""What the front-end profile's parts hand each other: a
:class:`FrontProgram`, a :class:`~..soundness.program.SoundProgram` that also
says which object of the module adcompiler differentiates (a lambda, a bound
method, an instance with ``__call__``, a function taking a tree of arrays),
while ``f`` stays the plain Python entry the reference runs."""

from __future__ import annotations

from dataclasses import dataclass

from ..soundness.program import SoundProgram


@dataclass
class FrontProgram(SoundProgram):
    """A program of the front-end profile.

    ``f(*args)`` is the plain Python reference (a scalar, or a size-1
    array). ``target`` is an expression, evaluated in the module's globals,
    of what goes to ``adcompiler.value_and_grad``: ``"f"`` itself, or a
    lambda's name, ``"model.loss"``, ``"model"`` (``__call__``), ...
    ``tree`` is empty when the target takes the arguments as they are, or a
    format string (``"Params(w={0}, b={1})"``) that builds the target's one
    argument from them: the gradient is then that tree's, flattened in the
    order of the arguments. ``nested`` names the module's ``grad`` when the
    program calls it inside: the reference replaces it, for the time of its
    call, with a complex-step gradient (independent of adcompiler)."""

    target: str = "f"
    tree: str = ""
    nested: str = ""

    def header(self) -> str:
        """The soundness header, then what is differentiated."""
        extra = f"# target: {self.target}"
        if self.tree:
            extra += f" of the tree {self.tree}"
        if self.nested:
            extra += f"; the reference's {self.nested} is a complex step"
        return super().header().replace("fuzz-soundness:", "fuzz-frontend:") + (
            extra + "\n"
        )
