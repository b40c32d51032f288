"""The shape the code keeps (docs/architecture.md): sizes a newcomer can read, imports that run
one way, no cycles. Read from the source text, so it fails the moment a change breaks them."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("admission", "bot", "handlers", "forms", "storage")
MAX_HANDLER_FILE_LINES = 600
MAX_CLASS_LINES = 400
MAX_FUNCTION_LINES = 60
#: What each package may import of ours (docs/architecture.md). ``bot`` may import everything.
MAY_IMPORT = {
    "admission": {"admission", "forms"},
    "forms": {"forms"},
    "storage": {"storage", "forms", "admission"},
    "handlers": {"handlers", "forms", "storage", "admission"},
    "bot": set(PACKAGES),
}


def sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> Iterator[str]:
    """Modules of ours that ``path`` imports (at any depth, TYPE_CHECKING included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = (
        module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    )
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            if mod.split(".")[0] not in PACKAGES:
                continue
            yield mod
            for alias in node.names:  # "from pkg import module"
                yield f"{mod}.{alias.name}"


def known_modules() -> set[str]:
    return {module_name(p) for p in sources()}


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_sizes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    rel = path.relative_to(ROOT)
    if rel.parts[0] == "handlers":
        assert len(text.splitlines()) <= MAX_HANDLER_FILE_LINES, f"{rel} is too long"
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if isinstance(node, ast.ClassDef):
            assert length <= MAX_CLASS_LINES, f"{rel}: class {node.name} has {length} lines"
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert length <= MAX_FUNCTION_LINES, f"{rel}: {node.name}() has {length} lines"


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_run_one_way(path: Path) -> None:
    own = path.relative_to(ROOT).parts[0]
    for name in imports_of(path):
        assert name.split(".")[0] in MAY_IMPORT[own], f"{path.relative_to(ROOT)} imports {name}"


def test_no_import_cycles() -> None:
    known = known_modules()
    graph: dict[str, set[str]] = {}
    for path in sources():
        mod = module_name(path)
        graph[mod] = {n for n in imports_of(path) if n in known and n != mod}
    # A package's __init__ re-exporting its modules is not a cycle with them.
    for mod, deps in graph.items():
        graph[mod] = {d for d in deps if not mod.startswith(d + ".")}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(mod: str) -> None:
        state[mod] = 1
        stack.append(mod)
        for dep in sorted(graph.get(mod, ())):
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep) :], dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[mod] = 2

    for mod in sorted(graph):
        if mod not in state:
            visit(mod)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_a_catalogue_line_break_is_not_eaten_by_a_block_tag() -> None:
    """jinja's trim_blocks drops the newline right after a block tag: a one-line catalogue
    text with ``{% … %}\\n`` ran its list into one line («…hồ sơ:• viettay — …• guitt — …»,
    «Đã ghi: …⚠️ Câu trả lời này viết không dấu»). Put ``\\n`` before the tag or write it
    ``{{ '\\n' }}``."""
    root = ROOT / "templates"
    eaten = [
        f"{path.name}:{n}"
        for path in sorted(root.glob("*.toml"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.match(r'\w+ = ".*"$', line) and re.search(r"%\}\\n", line)
    ]
    assert eaten == []
