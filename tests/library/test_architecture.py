"""The rules of the architecture, read from the source itself.

* Kind facts live behind the facade: outside ``kinetic_integration/terminal/`` no code
  compares a kind with a ``TerminalKind`` member (or its value) and no table is keyed by
  the members; callers ask ``kind_facts`` or ``Terminal.supports``. The simulator's own
  per-kind servers, which each set their kind, are the exception.
* One public face: no module imports a ``_``-prefixed module from outside the package
  that holds it (``clients._http`` is the clients' own plumbing).
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from kinetic_integration.models.common import TerminalKind
from tests.import_cycles import find_cycle

ROOT = Path(__file__).resolve().parents[2]

#: Where kinds may differ: the facade, and the simulator's servers of one kind each.
KIND_EXCEPTIONS = (
    "kinetic_integration/terminal/",
    "kinetic_integration/simulator/kinetic_go.py",
    "kinetic_integration/simulator/device_service.py",
    "kinetic_integration/simulator/payment_engine.py",
)
#: Code that follows both rules.
KIND_CHECKED = ("kinetic_integration", "custom_components", "examples", "demo")
IMPORT_CHECKED = ("kinetic_integration", "custom_components", "examples", "demo")

#: Top-level packages of this repository (their modules are files we can look for).
OURS = frozenset({"kinetic_integration", "custom_components", "examples", "demo"})
KIND_VALUES = frozenset(kind.value for kind in TerminalKind)


def _modules(roots: tuple[str, ...], exceptions: tuple[str, ...] = ()) -> Iterator[Path]:
    for root in roots:
        for path in sorted((ROOT / root).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if not relative.startswith(exceptions):
                yield path


def _is_kind(node: ast.AST) -> bool:
    """Whether ``node`` is a kind written out: ``TerminalKind.X``, or a kind's value."""
    if isinstance(node, ast.Attribute):
        return isinstance(node.value, ast.Name) and node.value.id == "TerminalKind"
    if isinstance(node, ast.Constant):
        return node.value in KIND_VALUES
    if isinstance(node, ast.Set | ast.Tuple | ast.List):
        return any(_is_kind(element) for element in node.elts)
    if isinstance(node, ast.Call) and node.args:
        # frozenset({...}) / set([...]) of kinds, TerminalKind("...") and the like.
        return any(_is_kind(argument) for argument in node.args)
    return False


def kind_branches(source: str) -> list[str]:
    """Return ``line: code`` for every comparison with a kind and every per-kind table."""
    found: list[ast.expr | ast.pattern] = []
    for node in ast.walk(ast.parse(source)):
        if (
            (
                isinstance(node, ast.Compare)
                and any(_is_kind(operand) for operand in (node.left, *node.comparators))
            )
            or (
                isinstance(node, ast.Dict)
                and any(key is not None and _is_kind(key) for key in node.keys)
            )
            or (isinstance(node, ast.MatchValue) and _is_kind(node.value))
        ):
            found.append(node)
    return [f"{node.lineno}: {ast.get_source_segment(source, node)}" for node in found]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package_of(path: Path) -> str:
    name = _module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _is_module(name: str) -> bool:
    """Whether ``name`` is a module (not a function or class imported from one)."""
    relative = Path(*name.split("."))
    if (ROOT / relative.with_suffix(".py")).is_file() or (
        ROOT / relative / "__init__.py"
    ).is_file():
        return True
    if name.split(".", maxsplit=1)[0] in {
        "kinetic_integration",
        "custom_components",
        "examples",
        "demo",
    }:
        return False
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line, module)`` for every module ``path`` imports (submodules included)."""
    package = _package_of(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield node.lineno, module
            # ``from package import _module`` imports a module too.
            for alias in node.names:
                if alias.name.startswith("_") and _is_module(f"{module}.{alias.name}"):
                    yield node.lineno, f"{module}.{alias.name}"


def _private_package(module: str) -> str | None:
    """The package a ``_``-prefixed module belongs to (None: nothing private in the name)."""
    parts = module.split(".")
    for index, part in enumerate(parts):
        if part.startswith("_") and not (part.startswith("__") and part.endswith("__")):
            return ".".join(parts[:index])
    return None


def private_imports(path: Path) -> list[str]:
    """Return ``line: module`` for every private module ``path`` imports from outside."""
    importer = _module_name(path)
    found: list[str] = []
    for line, module in _imported_modules(path):
        owner = _private_package(module)
        if owner is not None and importer != owner and not importer.startswith(owner + "."):
            found.append(f"{line}: {module}")
    return found


@pytest.mark.parametrize(
    "path",
    list(_modules(KIND_CHECKED, KIND_EXCEPTIONS)),
    ids=lambda path: path.relative_to(ROOT).as_posix(),
)
def test_no_kind_branching_outside_the_facade(path: Path) -> None:
    """Every kind fact comes from kinds.py (or a capability), never from a comparison."""
    assert kind_branches(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "path",
    list(_modules(IMPORT_CHECKED)),
    ids=lambda path: path.relative_to(ROOT).as_posix(),
)
def test_no_private_module_imported_from_outside_its_package(path: Path) -> None:
    """A ``_`` module is its package's own business (clients._http, simulator._auth)."""
    assert private_imports(path) == []


def test_the_checks_see_what_they_forbid() -> None:
    """Each form of the two rules is caught, and the allowed forms are not."""
    forbidden = """
if kind is TerminalKind.PAYMENT_ENGINE: pass
if config.kind == "device-service": pass
if kind in (TerminalKind.KINETIC_GO, TerminalKind.DEVICE_SERVICE): pass
if kind not in frozenset({TerminalKind.KINETIC_GO}): pass
PORTS = {TerminalKind.KINETIC_GO: 8080}
match kind:
    case TerminalKind.KINETIC_GO: pass
"""
    assert len(kind_branches(forbidden)) == 6
    allowed = """
facts = kind_facts(kind)
if facts.cloud: pass
sighting = Sighting(kind=TerminalKind.KINETIC_GO)
if local_kind_for_port(port) is None: pass
"""
    assert kind_branches(allowed) == []
    sweep = ROOT / "kinetic_integration" / "discovery" / "sweep.py"
    assert _private_package("kinetic_integration.clients._http") == "kinetic_integration.clients"
    assert _private_package("__future__") is None
    assert private_imports(sweep) == []
    http = ROOT / "kinetic_integration" / "clients" / "kinetic_go.py"
    assert private_imports(http) == []  # the clients' own plumbing, from inside


def _module_file(module: str) -> Path | None:
    """The file of one of this repository's modules (a package's ``__init__.py``)."""
    relative = Path(*module.split("."))
    for candidate in (ROOT / relative.with_suffix(".py"), ROOT / relative / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_files(path: Path) -> Iterator[Path]:
    """The repository files ``path`` imports; ``from package import module`` names the
    module only (the package's ``__init__`` runs first anyway, whatever it holds)."""
    package = _package_of(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            submodules = [f"{base}.{alias.name}" for alias in node.names]
            modules = [name for name in submodules if _module_file(name)] or [base]
            if len(modules) < len(submodules) and modules != [base]:
                modules.append(base)  # names from the package itself as well
        else:
            continue
        for module in modules:
            if (target := _module_file(module)) is not None:
                yield target


def import_graph(root: str) -> dict[Path, set[Path]]:
    """Which of ``root``'s files each of its files imports (``TYPE_CHECKING`` ones too)."""
    graph: dict[Path, set[Path]] = {}
    for path in _modules((root,)):
        graph[path] = {
            target
            for target in _imported_files(path)
            if target != path and target.is_relative_to(ROOT / root)
        }
    return graph


def test_the_library_imports_without_a_cycle() -> None:
    """No import cycle between the library's files, ``TYPE_CHECKING`` imports included."""
    cycle = find_cycle(import_graph("kinetic_integration"))
    assert cycle is None, " -> ".join(str(path.relative_to(ROOT)) for path in cycle or [])


def test_the_cycle_check_sees_a_cycle() -> None:
    """The check finds a cycle that runs through a ``TYPE_CHECKING`` import."""
    a, b, c = (Path(name) for name in ("a.py", "b.py", "c.py"))
    assert find_cycle({a: {b}, b: {c}, c: {a}}) == [a, b, c, a]
    assert find_cycle({a: {b}, b: {c}, c: set()}) is None


#: The library's layers, lowest first (docs/architecture.md): a file imports only from its
#: own package or from a lower layer; packages of one layer don't import each other (the
#: simulator shares nothing with the clients, so a misreading can't hide in both).
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"errors"}),
    frozenset({"money"}),
    frozenset({"models"}),
    frozenset({"clients", "receipts", "simulator"}),
    frozenset({"terminal"}),
    frozenset({"discovery", "journal"}),
    frozenset({"__init__"}),
    frozenset({"cli"}),
    frozenset({"__main__"}),
)


def _part(path: Path) -> str:
    """The top-level part of the library a file belongs to (``__init__`` for the face)."""
    return path.relative_to(ROOT / "kinetic_integration").with_suffix("").parts[0]


def _rank(part: str) -> int:
    return next(rank for rank, layer in enumerate(LAYERS) if part in layer)


def test_every_part_of_the_library_has_a_layer() -> None:
    """A new top-level module or package must be placed in a layer first."""
    parts = {_part(path) for path in _modules(("kinetic_integration",))}
    placed = set().union(*LAYERS)
    assert parts <= placed, sorted(parts - placed)


def test_imports_follow_the_layer_order() -> None:
    """No import runs up the layers or across packages of one layer."""
    wrong = [
        f"{path.relative_to(ROOT)} -> {target.relative_to(ROOT)}"
        for path, targets in import_graph("kinetic_integration").items()
        for target in targets
        if _part(target) != _part(path) and (_rank(_part(target)) >= _rank(_part(path)))
    ]
    assert not wrong, wrong


#: The most lines a module of the library or the integration may have: a reader holds it
#: in their head (Home Assistant's platinum integrations stay near 300).
MAX_LINES = 400


def test_every_module_fits_in_a_readers_head() -> None:
    """No module of the library or the integration is longer than ``MAX_LINES``."""
    long = {
        str(path.relative_to(ROOT)): lines
        for path in _modules(("kinetic_integration", "custom_components"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, long
