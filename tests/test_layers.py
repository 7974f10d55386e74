"""The package's layers import one way.

Each module of ``adcompiler`` belongs to one layer; a module imports only
from its own layer or the layers below, never above; no two modules import
each other, directly or through others (counting imports inside functions,
which is how cycles hide); and no module imports a module of the package
inside a function (a sign of a cycle broken by hand). Imports of modules
outside the package (optional dependencies such as graphviz, black,
autograd) may stay local.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import adcompiler

PACKAGE = Path(adcompiler.__file__).parent

#: The layers, lowest first. A module is named by its dotted path inside the
#: package; a name ending in ".*" covers a subpackage.
LAYERS = [
    ("base", ["errors", "tracebacks", "trees", "options", "runtime"]),
    ("ir", ["ir"]),
    ("primitives", ["primitives", "primitives.*"]),
    ("frontend", ["lambdas", "frontend", "callables"]),
    ("lower", ["lower", "lower.*"]),
    ("passes", ["passes", "passes.*"]),
    ("ad", ["reverse", "forward"]),
    ("codegen", ["codegen"]),
    ("pipeline", ["pipeline"]),
    ("api", ["api", "boundary", "specialise", "testing"]),
    ("tools", ["tools", "tools.*"]),
    ("package", ["__init__", "__main__"]),
]


def _modules() -> dict[str, Path]:
    """Every module of the package, by dotted name inside it."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if len(parts) > 1 and parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _layer_of(module: str) -> int:
    for index, (_, names) in enumerate(LAYERS):
        for name in names:
            if name == module or (name.endswith(".*") and module.startswith(name[:-1])):
                return index
    raise AssertionError(f"module {module!r} belongs to no layer: add it to LAYERS")


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py" and module != "__init__"


def _imports(module: str) -> list[tuple[str, int, bool]]:
    """``(imported module, line, inside a function)`` for each import of a
    module of the package in ``module``."""
    tree = ast.parse(MODULES[module].read_text())
    package = module if _is_package(module) else module.rpartition(".")[0]
    if module in ("__init__", "__main__"):
        package = ""
    found = []

    def visit(node: ast.AST, local: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = local or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            )
            if isinstance(child, ast.ImportFrom):
                for name in _targets_of(child, package):
                    found.append((name, child.lineno, inner))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("adcompiler."):
                        found.append(
                            (
                                _resolve(alias.name[len("adcompiler.") :]),
                                child.lineno,
                                inner,
                            )
                        )
            visit(child, inner)

    visit(tree, False)
    return found


def _resolve(dotted: str) -> str:
    """The module a dotted name inside the package refers to (the longest
    prefix that is a module)."""
    parts = dotted.split(".")
    while parts and ".".join(parts) not in MODULES:
        parts.pop()
    return ".".join(parts) or "__init__"


def _targets_of(node: ast.ImportFrom, package: str) -> list[str]:
    if node.level == 0:
        if not (node.module or "").startswith("adcompiler"):
            return []
        base = (node.module or "")[len("adcompiler") :].lstrip(".")
    else:
        parts = package.split(".") if package else []
        parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
        base = ".".join(parts + ([node.module] if node.module else []))
    targets = []
    for alias in node.names:
        full = f"{base}.{alias.name}" if base else alias.name
        targets.append(full if full in MODULES else _resolve(base))
    return targets


def _edges() -> dict[str, list[tuple[str, int, bool]]]:
    return {module: _imports(module) for module in MODULES}


def test_every_module_is_in_a_layer():
    for module in MODULES:
        _layer_of(module)


def test_no_module_imports_from_a_layer_above_its_own():
    wrong = []
    for module, imports in _edges().items():
        for target, line, _ in imports:
            if target in ("__init__", module):
                if target == "__init__" and module not in ("__init__", "__main__"):
                    wrong.append(f"{module}:{line} imports the package facade")
                continue
            if _layer_of(target) > _layer_of(module):
                wrong.append(
                    f"{module}:{line} ({LAYERS[_layer_of(module)][0]}) imports "
                    f"{target} ({LAYERS[_layer_of(target)][0]})"
                )
    assert not wrong, "\n".join(wrong)


def test_no_function_level_imports_of_the_package():
    local = [
        f"{module}:{line} imports {target} inside a function"
        for module, imports in _edges().items()
        for target, line, inner in imports
        if inner
    ]
    assert not local, "\n".join(local)


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(edges):
        if module not in state:
            found = visit(module)
            if found:
                return found
    return None


def test_no_import_cycles_counting_function_level_imports():
    edges = {
        module: {
            target
            for target, _, _ in imports
            if target != module
            and target != "__init__"
            and not (_is_package(module) and target.startswith(module + "."))
        }
        for module, imports in _edges().items()
    }
    found = _cycle(edges)
    assert found is None, "import cycle: " + " -> ".join(found)


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


@pytest.mark.parametrize(
    "source, expected",
    [
        ("def f():\n    from . import api\n", [("api", 2, True)]),
        ("from .passes.scalars import X\n", [("passes.scalars", 1, False)]),
        ("from .primitives import registry\n", [("primitives.registry", 1, False)]),
        ("import adcompiler.api as api\n", [("api", 1, False)]),
    ],
)
def test_imports_are_read_with_their_place(tmp_path, monkeypatch, source, expected):
    path = tmp_path / "probe.py"
    path.write_text(source)
    monkeypatch.setitem(MODULES, "probe", path)
    assert _imports("probe") == expected
