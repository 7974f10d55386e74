"""What the fuzzer's parts hand each other: a generated :class:`Program` and
the :class:`Outcome` of checking it."""

from __future__ import annotations

from dataclasses import dataclass

Shape = tuple[int, ...]


@dataclass
class Program:
    """A generated module: its source, and the shapes of ``f``'s arguments
    (``y`` is a Python float when its shape is ``()``)."""

    source: str
    x_shape: Shape
    y_shape: Shape
    seed: int = 0

    def header(self) -> str:
        """The ``# fuzz:`` line a corpus file starts with (empty for a
        program without argument shapes)."""
        return (
            f"# fuzz: x={self.x_shape} y={self.y_shape} seed={self.seed}\n"
            if self.x_shape
            else ""
        )


@dataclass
class Outcome:
    """The result of checking one program."""

    #: ok, mismatch, crash, unsupported, skipped, invalid; or died: the
    #: process checking the program died (a crash of the interpreter itself,
    #: such as a segmentation fault in NumPy or in an oracle)
    kind: str
    detail: str = ""
    oracles: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        """Whether the outcome is a failure of adcompiler (mismatch, crash,
        died), as opposed to a refusal, a skip or a generator bug."""
        return self.kind in ("mismatch", "crash", "died")
