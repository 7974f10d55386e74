"""Tracebacks that point at the user's code, not at adcompiler's.

An exception leaving a public entry point (a transformation, a call of a
function it made, a pullback) passes through :class:`Boundary`, which
guarantees:

* its type and identity are kept: a NumPy shape error stays the
  ``ValueError`` it was (``except ValueError`` still catches it), an
  :class:`~adcompiler.errors.ADError` its own subclass;
* after each frame of generated code (file ``<adcompiler: ...>``) the
  traceback holds a frame at the user's line that code was generated from
  (found from the generated source's ``# line N:`` comments), in the user's
  file, so ``traceback``, pytest, IPython and Python's own handler print
  ``File "model.py", line 4`` and that line;
* the frames of adcompiler's own modules are left out (as JAX filters its
  own): the user sees their call, the generated code and their line;
* an exception raised in generated code gets a note (``add_note``) naming
  the user's ``file:line`` and the derivative it was raised in;
* an :class:`~adcompiler.errors.ADError` with no location is given one:
  the user's line of the generated code it was raised in, else the user's
  call of the entry point.

``ADCOMPILER_TRACEBACK_FILTERING=off`` in the environment keeps every frame
(for debugging adcompiler itself); notes and locations are added still.

:func:`checked_arguments` makes a public function an entry point;
:func:`user_place` maps a line of generated code to the user's line.
"""

from __future__ import annotations

import ast
import functools
import linecache
import os
import re
import sys
import types
from typing import Any, Callable

from .errors import ADError, SourceLoc
from .errors import checked_arguments as _checked_arguments

#: adcompiler's own directory: frames of files in it are left out
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep

#: a global of the frames made here, so that they are made once
_MARK = "__adcompiler_user_frame__"

_GENERATED = "<adcompiler:"

#: the command line and other tools: a call from them is no user's line
_TOOLS = os.path.join(_PACKAGE, "tools") + os.sep


#: ``# line 12: text`` (``# line 5 in layer (model.py): text`` for a line of
#: a function inlined from another file): what generated code comes from.
_LINE_COMMENT = re.compile(r"# line (\d+)(?: in ([^:(]+?))?(?: \(([^)]*)\))?: ?(.*)$")


def origin_of(filename: str) -> str | None:
    """The file a generated file was generated from: ``FILE`` in
    ``<adcompiler: grad of f wrt x from FILE:12>``."""
    inner = re.sub(r"( \[\d+\])?( \(result\))?>$", "", filename)
    at = inner.find(" from ")
    if not inner.startswith("<adcompiler: ") or at < 0:
        return None
    return inner[at + len(" from ") :].rpartition(":")[0] or None


def user_place(loc: SourceLoc) -> SourceLoc | None:
    """The user's line a place in generated code comes from, following the
    ``# line N:`` comments through code generated from generated code
    (``within`` names the function inlined it is a line of)."""
    file, line, text = loc.file, loc.line, loc.text
    for _ in range(32):
        if not file.startswith("<adcompiler:"):
            return SourceLoc(file, line, 0, text)
        lines = linecache.getlines(file)
        found = None
        for k in range(min(line, len(lines)) - 1, -1, -1):
            found = _LINE_COMMENT.search(lines[k])
            if found is not None:
                break
        origin = origin_of(file)
        if found is None or origin is None:
            return None
        line, text = int(found.group(1)), found.group(4)
        if found.group(3):  # inlined from another file, known by its base name
            return SourceLoc(found.group(3), line, 0, text, found.group(2) or "")
        file = origin
    return None


def filtering() -> bool:
    """Whether adcompiler's own frames are left out of tracebacks."""
    return os.environ.get("ADCOMPILER_TRACEBACK_FILTERING", "on").lower() not in (
        "off",
        "0",
        "no",
        "false",
    )


def _internal(code: types.CodeType) -> bool:
    return code.co_filename.startswith(_PACKAGE)


class _Raised(Exception):
    """Raised by a frame made at the user's line, to capture that frame."""


def _user_frame(file: str, line: int, name: str) -> types.FrameType | None:
    """A frame whose code is at ``file:line``, in a function named ``name``:
    a one-statement ``raise`` compiled at that line (with the columns of the
    line's text, so no caret marks a part of it), run once."""
    text = linecache.getline(file, line).rstrip()
    start = len(text) - len(text.lstrip())
    end = max(len(text), start + 1)
    name_node = ast.Name(id="_adcompiler_raised", ctx=ast.Load())
    statement = ast.Raise(exc=name_node)
    for node in (name_node, statement):
        node.lineno = node.end_lineno = 1
        node.col_offset, node.end_col_offset = start, end
    module = ast.Module(body=[statement], type_ignores=[])
    try:
        code = compile(module, file, "exec")
    except (SyntaxError, ValueError):
        return None
    # compiled at line 1, then moved: the code starts at the user's line, so
    # a tool showing the frame's code from its first line (pytest) shows it
    code = code.replace(co_name=name, co_firstlineno=line)
    namespace = {"_adcompiler_raised": _Raised(), _MARK: True}
    try:
        exec(code, namespace)
    except _Raised as raised:
        tb = raised.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        return tb.tb_frame
    return None  # pragma: no cover


def _with_path(place: Any, generated: str) -> Any:
    """``place`` with the full path of its file, when it is known by its
    base name only (a line of a function inlined, ``# line 5 in helper
    (model.py):``): the file the generated code comes from, or a file of
    that name Python has read."""
    if os.path.dirname(place.file):
        return place
    candidates = [origin_of(generated) or ""] + [
        name for name in list(linecache.cache) if not name.startswith("<")
    ]
    for candidate in candidates:
        if candidate and os.path.basename(candidate) == place.file:
            return type(place)(
                candidate, place.line, place.col, place.text, place.within
            )
    return place


def _function_of(filename: str, fallback: str) -> str:
    """``f`` in ``<adcompiler: grad of f wrt x from FILE:12>``: the user's
    function, the innermost named in code generated from generated code
    (``<adcompiler: jvp of grad_f from <adcompiler: grad of f ...>>``)."""
    found = re.findall(r"\bof ([\w.<>]+)", filename)
    name = found[-1] if found else fallback
    return name.rpartition(".")[2] or fallback


def _derivative_of(filename: str) -> str:
    """``grad of f wrt x`` of a generated file name."""
    inner = filename[len(_GENERATED) :].strip(" >")
    return inner.split(" from ")[0]


class Boundary:
    """A public entry point: see the module's guarantees. Stateless; one
    instance serves every call (``with BOUNDARY: ...``)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False
        try:
            _rewrite(exc, tb)
        except Exception:  # pragma: no cover - never hide the user's error
            pass
        return False


BOUNDARY = Boundary()


def checked_arguments(fn: Callable) -> Callable:
    """:func:`adcompiler.errors.checked_arguments` of ``fn`` (an
    :class:`ArgumentError` where Python would raise ``TypeError`` for the
    call), run inside :data:`BOUNDARY`: a public entry point."""
    checked = _checked_arguments(fn)

    @functools.wraps(fn)
    def entry_point(*args: Any, **kwargs: Any) -> Any:
        with BOUNDARY:
            return checked(*args, **kwargs)

    return entry_point


def _rewrite(exc: Exception, tb: types.TracebackType | None) -> None:
    """Rewrite ``exc`` and its traceback ``tb`` as the module says."""
    entries = []
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    filter_frames = filtering()
    kept: list[tuple[types.FrameType, int, int]] = []
    innermost = None  # the user's place of the innermost generated frame
    for k, entry in enumerate(entries):
        frame, code = entry.tb_frame, entry.tb_frame.f_code
        if frame.f_globals.get(_MARK):
            kept.append((frame, entry.tb_lasti, entry.tb_lineno))
            continue
        if filter_frames and _internal(code):
            continue
        kept.append((frame, entry.tb_lasti, entry.tb_lineno))
        if not code.co_filename.startswith(_GENERATED):
            continue
        place = user_place(SourceLoc(code.co_filename, entry.tb_lineno, 0))
        if place is None:
            continue
        place = _with_path(place, code.co_filename)
        innermost = (place, code.co_filename)
        following = entries[k + 1] if k + 1 < len(entries) else None
        if following is not None and following.tb_frame.f_globals.get(_MARK):
            continue  # made by an inner boundary already
        if not filter_frames:
            continue
        name = place.within or _function_of(code.co_filename, code.co_name)
        user = _user_frame(place.file, place.line, name.rpartition(".")[2])
        if user is not None:
            kept.append((user, user.f_lasti, place.line))
    if isinstance(exc, ADError):
        if exc.loc is None:
            loc = innermost[0] if innermost is not None else _call_site()
            if loc is not None:
                exc.loc = loc
                exc.args = (exc._format(),)
    elif innermost is not None:
        place, filename = innermost
        note = (
            f"adcompiler: raised in the code generated for {place.file}:"
            f"{place.line} ({_derivative_of(filename)}): {place.text.strip()}"
        )
        if note not in getattr(exc, "__notes__", ()):
            exc.add_note(note)
    if filter_frames:
        rebuilt = None
        for frame, lasti, lineno in reversed(kept):
            rebuilt = types.TracebackType(rebuilt, frame, lasti, lineno)
        exc.__traceback__ = rebuilt


def _call_site() -> Any:
    """The user's line that called into adcompiler: the innermost frame on
    the stack outside adcompiler and its generated code."""
    frame = sys._getframe(2)
    while frame is not None:
        code = frame.f_code
        if code.co_filename.startswith(_TOOLS):
            return None  # the command line: no line of the user's called it
        if not _internal(code) and not code.co_filename.startswith(_GENERATED):
            if frame.f_globals.get(_MARK):
                frame = frame.f_back
                continue
            line = frame.f_lineno
            text = linecache.getline(code.co_filename, line)
            return SourceLoc(code.co_filename, line, 0, text)
        frame = frame.f_back
    return None
