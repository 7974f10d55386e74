"""Importing a module written from source text, under a name of its own
(compiled gradients are cached per function: a fresh import gives fresh
functions, and generated code names the module's file)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import FunctionType, ModuleType


def load_module(path: Path, source: str, name: str) -> ModuleType:
    """Write ``source`` to ``path`` and import it as module ``name``."""
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def uncompiled(fn: FunctionType) -> FunctionType:
    """A new function object with ``fn``'s code and globals: nothing compiled
    for ``fn`` is cached for it (to compile it again under other settings)."""
    fresh = FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__)
    fresh.__qualname__ = fn.__qualname__
    return fresh
