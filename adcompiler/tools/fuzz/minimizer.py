"""The minimizer: :func:`minimize` reduces a program (lines and blocks
removed, expressions replaced by their parts) while a predicate holds;
:func:`minimize_failure` while it fails the same way (:func:`same_failure`)."""

from __future__ import annotations

import ast
import re
from typing import Any, Callable

from .checker import check
from .program import Outcome, Program


def same_failure(a: Outcome, b: Outcome) -> bool:
    """Whether ``b`` is the failure ``a`` is: the same kind, and for a crash
    the same exception, for a mismatch the same comparison (and NaN in both
    or in neither)."""
    if a.kind != b.kind:
        return False
    if a.kind == "crash":
        return a.detail.split(":")[0] == b.detail.split(":")[0]
    if a.kind == "mismatch":
        # the same comparison failing, and NaN where NaN was
        return a.detail.split(":")[0] == b.detail.split(":")[0] and (
            "adcompiler nan" in a.detail
        ) == ("adcompiler nan" in b.detail)
    return True


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    """Each line with the lines indented under it: removable units."""
    spans = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        j = i + 1
        while j < len(lines) and (
            not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent
        ):
            j += 1
        spans.append((i, j))
    return spans


def minimize(
    program: Program,
    keep: Callable[[Program], bool],
    budget: int = 400,
) -> Program:
    """Remove lines and blocks of ``program`` and replace expressions by
    their parts while ``keep`` holds (the same failure): greedy delta
    debugging, to a fixed point."""
    current = program
    for _ in range(4):
        smaller = _simplify_expressions(
            _remove_lines(current, keep, budget), keep, budget
        )
        if smaller.source == current.source:
            break
        current = smaller
    return current


def _remove_lines(
    program: Program, keep: Callable[[Program], bool], budget: int
) -> Program:
    current = program
    tries = 0
    changed = True
    while changed and tries < budget:
        changed = False
        lines = current.source.split("\n")
        # larger blocks first
        for start, end in sorted(_blocks(lines), key=lambda s: s[0] - s[1]):
            if tries >= budget:
                break
            text = lines[start].strip()
            if text.startswith(("def ", "import ")) or re.match(r"k\d+ \+= 1$", text):
                continue  # a while loop's counter stays: no infinite loops
            candidate = lines[:start] + lines[end:]
            # an emptied block gets a pass
            if start > 0 and lines[start - 1].rstrip().endswith(":"):
                indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
                following = lines[end] if end < len(lines) else ""
                following_indent = len(following) - len(following.lstrip())
                if not following.strip() or following_indent < len(indent):
                    candidate = lines[:start] + [indent + "pass"] + lines[end:]
            source = "\n".join(candidate)
            if source == current.source:
                continue
            try:
                compile(source, "<candidate>", "exec")
            except SyntaxError:
                continue
            tries += 1
            attempt = Program(source, current.x_shape, current.y_shape, current.seed)
            if keep(attempt):
                current = attempt
                changed = True
                break
    return _drop_unused_helper(current, keep)


def _replacements(node: Any) -> list[Any]:
    """Simpler expressions that could stand for ``node``."""
    out: list[Any] = []
    if isinstance(node, ast.BinOp):
        out += [node.left, node.right]
    elif isinstance(node, ast.UnaryOp):
        out.append(node.operand)
    elif isinstance(node, ast.Call):
        out += [a for a in node.args if not isinstance(a, (ast.Constant, ast.Starred))]
        if isinstance(node.func, ast.Attribute) and not (
            isinstance(node.func.value, ast.Name)
            and node.func.value.id in ("np", "math")
        ):
            out.append(node.func.value)  # e.clip(...) -> e
        if node.keywords:
            out.append(ast.Call(node.func, node.args, []))
    elif isinstance(node, ast.Subscript):
        out.append(node.value)
    elif isinstance(node, ast.IfExp):
        out += [node.body, node.orelse]
    elif isinstance(node, (ast.List, ast.Tuple)) and len(node.elts) > 1:
        out += [
            type(node)(node.elts[:1], node.ctx),
            type(node)(node.elts[1:], node.ctx),
        ]
    elif isinstance(node, ast.BoolOp):
        out += list(node.values)
    return out


def _simplify_expressions(
    program: Program, keep: Callable[[Program], bool], budget: int
) -> Program:
    """Replace expressions by their parts (``a + b`` by ``a``, ``np.sin(e)``
    by ``e``, ...) while ``keep`` holds."""
    current = program
    tries = 0
    changed = True
    while changed and tries < budget:
        changed = False
        nodes = _simplifiable(ast.parse(current.source))
        for position in range(len(nodes)):
            for choice in range(len(_replacements(nodes[position]))):
                if tries >= budget:
                    return current
                tree = ast.parse(current.source)
                node = _simplifiable(tree)[position]
                replacement = _replacements(node)[choice]
                parent = _parent_of(tree, node)
                if parent is None:
                    continue
                _replace_child(parent, node, replacement)
                try:
                    source = ast.unparse(tree) + "\n"
                except Exception:
                    continue
                header = "".join(
                    line + "\n"
                    for line in current.source.split("\n")
                    if line.startswith("# fuzz:")
                )
                source = _format(header + source)
                if source == current.source:
                    continue
                tries += 1
                attempt = Program(
                    source, current.x_shape, current.y_shape, current.seed
                )
                if keep(attempt):
                    current = attempt
                    changed = True
                    break
            if changed:
                break
    return current


def _simplifiable(tree: Any) -> list[Any]:
    """The expressions the minimizer may simplify: not a while loop's test
    (which could then loop forever)."""
    frozen = {
        id(n)
        for loop in ast.walk(tree)
        if isinstance(loop, ast.While)
        for n in ast.walk(loop.test)
    }
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.expr) and id(node) not in frozen and _replacements(node)
    ]


def _parent_of(tree: Any, child: Any) -> Any:
    for node in ast.walk(tree):
        for _, value in ast.iter_fields(node):
            if value is child or (
                isinstance(value, list) and any(v is child for v in value)
            ):
                return node
    return None


def _replace_child(parent: Any, old: Any, new: Any) -> None:
    for name, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, name, new)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new


def _format(source: str) -> str:
    """black, if it formats the source; else the source."""
    try:
        import black

        return black.format_str(source, mode=black.Mode())
    except Exception:
        return source


def _drop_unused_helper(program: Program, keep: Callable[[Program], bool]) -> Program:
    source = program.source
    if "def helper(" in source and source.count("helper(") == 1:
        lines = source.split("\n")
        start = next(
            i for i, line in enumerate(lines) if line.startswith("def helper(")
        )
        end = start + 1
        while end < len(lines) and (
            lines[end].startswith(" ") or not lines[end].strip()
        ):
            end += 1
        attempt = Program(
            "\n".join(lines[:start] + lines[end:]),
            program.x_shape,
            program.y_shape,
            program.seed,
        )
        if keep(attempt):
            return attempt
    return program


def minimize_failure(program: Program, outcome: Outcome, budget: int = 400) -> Program:
    """``program`` reduced while it fails the same way as ``outcome``."""

    def keep(candidate: Program) -> bool:
        return same_failure(check(candidate, time_limit=10.0), outcome)

    return minimize(program, keep, budget)
