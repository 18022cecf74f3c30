"""The integration's layering, read from its source (AST, no import is run).

- It uses the library through its public face only: ``kinetic_integration`` itself and
  the public subpackages ``kinetic_integration.discovery`` and
  ``kinetic_integration.simulator``, never a module inside them.
- It asks the library's kind facts (``kind_facts``) instead of comparing kinds, and keeps
  no table of its own keyed by kind.
- Its modules import each other without a cycle, imports under ``TYPE_CHECKING`` and
  inside functions included.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.import_cycles import find_cycle

PACKAGE = Path(__file__).parents[3] / "custom_components" / "kinetic"
PACKAGE_NAME = "custom_components.kinetic"
LIBRARY = "kinetic_integration"
PUBLIC = {LIBRARY, f"{LIBRARY}.discovery", f"{LIBRARY}.simulator"}


def _modules() -> dict[str, ast.Module]:
    trees = {
        path.name: ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for path in sorted(PACKAGE.glob("*.py"))
    }
    assert len(trees) > 10, f"found only {sorted(trees)} in {PACKAGE}"
    return trees


def _absolute_imports(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Yield (line, module) for every absolute import, wherever it stands."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def _private_library_imports(tree: ast.Module) -> list[str]:
    return [
        f"line {line}: {module}"
        for line, module in _absolute_imports(tree)
        if (module == LIBRARY or module.startswith(f"{LIBRARY}.")) and module not in PUBLIC
    ]


def _is_kind_member(node: ast.expr) -> bool:
    """``TerminalKind.X`` (also as ``something.TerminalKind.X``)."""
    if not isinstance(node, ast.Attribute):
        return False
    owner = node.value
    return (isinstance(owner, ast.Name) and owner.id == "TerminalKind") or (
        isinstance(owner, ast.Attribute) and owner.attr == "TerminalKind"
    )


def _kind_branches(tree: ast.Module) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            # ``kind in (TerminalKind.A, TerminalKind.B)`` compares too.
            for operand in list(operands):
                if isinstance(operand, (ast.Tuple, ast.List, ast.Set)):
                    operands.extend(operand.elts)
            if any(_is_kind_member(operand) for operand in operands):
                found.append(f"line {node.lineno}: comparison with a TerminalKind member")
        elif isinstance(node, ast.MatchValue) and _is_kind_member(node.value):
            found.append(f"line {node.lineno}: match case on a TerminalKind member")
        elif isinstance(node, ast.Dict) and any(
            key is not None and _is_kind_member(key) for key in node.keys
        ):
            found.append(f"line {node.lineno}: a table keyed by TerminalKind members")
    return found


def _local_imports(module: str, tree: ast.Module) -> set[str]:
    """Return the integration's own modules that ``module`` imports (file names)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                names = [node.module] if node.module else [a.name for a in node.names]
            elif node.level == 0 and (node.module or "").startswith(f"{PACKAGE_NAME}."):
                names = [(node.module or "").removeprefix(f"{PACKAGE_NAME}.")]
            elif node.level == 0 and node.module == PACKAGE_NAME:
                names = [alias.name for alias in node.names]
            else:
                continue
            found.update(f"{name.split('.')[0]}.py" for name in names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(f"{PACKAGE_NAME}."):
                    found.add(alias.name.removeprefix(f"{PACKAGE_NAME}.").split(".")[0] + ".py")
    found.discard(module)
    return found


def test_only_the_public_face_of_the_library() -> None:
    """No ``kinetic_integration.<module>`` import but the public subpackages."""
    problems = {
        name: found
        for name, tree in _modules().items()
        if (found := _private_library_imports(tree))
    }
    assert not problems, problems


def test_no_kind_is_compared() -> None:
    """Kinds are described by the library's facts; the integration never compares them."""
    problems = {name: found for name, tree in _modules().items() if (found := _kind_branches(tree))}
    assert not problems, problems


def test_import_graph_has_no_cycle() -> None:
    """Every import counts, including those only for type checking."""
    graph = {name: _local_imports(name, tree) for name, tree in _modules().items()}
    assert graph["data.py"] >= {"coordinator.py", "payments.py"}, graph["data.py"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


# The detectors themselves, on small sources (so a test that finds nothing is not one
# that cannot find anything).


def test_detectors_find_what_they_look_for() -> None:
    source = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "from kinetic_integration import kind_facts\n"
        "from kinetic_integration.discovery import identify\n"
        "from kinetic_integration.models.common import TerminalKind\n"
        "import kinetic_integration.cli\n"
        "if TYPE_CHECKING:\n"
        "    from kinetic_integration.errors import KineticError\n"
        "PORTS = {TerminalKind.KINETIC_GO: 8080}\n"
        "def f(kind):\n"
        "    if kind is TerminalKind.PAYMENT_ENGINE: return 1\n"
        "    if kind in (TerminalKind.KINETIC_GO,): return 2\n"
        "    match kind:\n"
        "        case TerminalKind.DEVICE_SERVICE: return 3\n"
        "    return kind_facts(kind).cloud\n"
    )
    assert [item.split(": ")[1] for item in _private_library_imports(source)] == [
        "kinetic_integration.models.common",
        "kinetic_integration.cli",
        "kinetic_integration.errors",
    ]
    assert len(_kind_branches(source)) == 4
    assert find_cycle({"a.py": {"b.py"}, "b.py": {"c.py"}, "c.py": {"a.py"}}) == [
        "a.py",
        "b.py",
        "c.py",
        "a.py",
    ]
    assert find_cycle({"a.py": {"b.py"}, "b.py": set()}) is None
    typing_only = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .payments import P\n"
    )
    assert _local_imports("coordinator.py", typing_only) == {"payments.py"}
