"""Release checks and the HACS zip: one version everywhere, distributions as the index wants.

The single source of the version is ``__version__`` in ``kinetic_integration/__init__.py``;
pyproject.toml reads it (setuptools' dynamic ``attr``), and manifest.json must repeat it
(HACS and Home Assistant read the file as it is, so it cannot be computed): its
``version`` and its ``requirements`` pin. The git tag is ``v`` + the version.

    python scripts/release_tool.py version               print the version
    python scripts/release_tool.py check [--tag vX.Y.Z]  exit 1 and say what disagrees
    python scripts/release_tool.py notes                 this version's CHANGELOG entry
    python scripts/release_tool.py hacs-zip OUT.zip      build the HACS zip
    python scripts/release_tool.py check-dist DIR        check DIR/pypi/* and DIR/hacs/*

Standard library only, Python 3.11+: it runs wherever the build runs.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTION = "kinetic-integration"
PACKAGE = "kinetic_integration"
INTEGRATION = Path("custom_components/kinetic")
#: The asset hacs.json names; HACS downloads exactly this file from a release.
HACS_ZIP = "kinetic.zip"
CHANGELOG_LINK = "https://github.com/kinetic-integration/kinetic-integration"
#: Releases are plain X.Y.Z (no pre-release or local parts): the tag pattern of release.yml.
VERSION_RE = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
#: Entries of the wheel that must be there: the types marker and the simulator's page.
WHEEL_REQUIRED = (
    f"{PACKAGE}/py.typed",
    f"{PACKAGE}/simulator/static/index.html",
    f"{PACKAGE}/simulator/static/app.js",
    f"{PACKAGE}/simulator/static/app.css",
)
#: Top-level folders of the repository that no distribution may carry.
NEVER_SHIPPED = ("tests", "demo", "bench", "examples", "custom_components", "scripts", "docs")
#: A fixed timestamp for the zip's entries, so the same files give the same zip.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def library_version(root: Path = ROOT) -> str:
    """Return ``__version__`` from the package's ``__init__.py``, read without importing it."""
    source = (root / PACKAGE / "__init__.py").read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if (
            isinstance(node, ast.Assign)
            and [getattr(target, "id", None) for target in node.targets] == ["__version__"]
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    raise SystemExit(f"no __version__ = '...' in {PACKAGE}/__init__.py")


def changelog_entry(version: str, root: Path = ROOT) -> str | None:
    """Return the CHANGELOG section of ``version`` (without its heading), or None."""
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    heading = re.compile(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", re.MULTILINE)
    found = heading.search(text)
    if found is None:
        return None
    rest = text[found.end() :]
    end = re.search(r"^(## |\[[^\]]+\]: )", rest, re.MULTILINE)
    return (rest[: end.start()] if end else rest).strip()


def problems(root: Path = ROOT, tag: str | None = None) -> list[str]:
    """Return every way the version's copies disagree (empty when they all agree)."""
    found: list[str] = []
    version = library_version(root)
    if not VERSION_RE.match(version):
        found.append(f"__version__ {version!r} is not a plain X.Y.Z release version")

    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    if "version" in project["project"]:
        found.append("pyproject.toml sets [project] version; it must be dynamic (one source)")
    if "version" not in project["project"].get("dynamic", []):
        found.append('pyproject.toml [project] dynamic must list "version"')
    dynamic = project.get("tool", {}).get("setuptools", {}).get("dynamic", {})
    if dynamic.get("version") != {"attr": f"{PACKAGE}.__version__"}:
        found.append(f"pyproject.toml must read the version from {PACKAGE}.__version__")

    manifest = json.loads((root / INTEGRATION / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("version") != version:
        found.append(f"manifest.json version {manifest.get('version')!r} != {version!r}")
    pins = [r for r in manifest.get("requirements", []) if r.split("=")[0] == DISTRIBUTION]
    if pins != [f"{DISTRIBUTION}=={version}"]:
        found.append(f"manifest.json requirements {pins} != ['{DISTRIBUTION}=={version}']")

    hacs = json.loads((root / "hacs.json").read_text(encoding="utf-8"))
    if hacs.get("zip_release") is not True or hacs.get("filename") != HACS_ZIP:
        found.append(f'hacs.json must say "zip_release": true and "filename": "{HACS_ZIP}"')

    if changelog_entry(version, root) is None:
        found.append(f"CHANGELOG.md has no '## [{version}] - YYYY-MM-DD' entry")
    elif not changelog_entry(version, root):
        found.append(f"CHANGELOG.md's entry for {version} is empty")
    changelog = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    if not re.search(rf"^\[{re.escape(version)}\]: {re.escape(CHANGELOG_LINK)}/", changelog, re.M):
        found.append(f"CHANGELOG.md has no link line '[{version}]: {CHANGELOG_LINK}/...'")

    if tag is not None and tag != f"v{version}":
        found.append(f"tag {tag!r} != 'v{version}'")
    return found


def build_hacs_zip(out: Path, root: Path = ROOT) -> None:
    """Write the integration's files, at the zip's root, as HACS unpacks them."""
    source = root / INTEGRATION
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(source.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                entry = zipfile.ZipInfo(path.relative_to(source).as_posix(), ZIP_DATE)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o644 << 16
                archive.writestr(entry, path.read_bytes())


def _shipped_folder(name: str) -> str | None:
    first = name.split("/", 1)[0]
    return first if first in NEVER_SHIPPED else None


def dist_problems(dist: Path, root: Path = ROOT) -> list[str]:
    """Check the built wheel, sdist and HACS zip under ``dist`` (pypi/ and hacs/)."""
    found: list[str] = []
    version = library_version(root)
    normalized = DISTRIBUTION.replace("-", "_")
    wheels = sorted((dist / "pypi").glob("*.whl"))
    sdists = sorted((dist / "pypi").glob("*.tar.gz"))
    expected_wheel = f"{normalized}-{version}-py3-none-any.whl"
    if [w.name for w in wheels] != [expected_wheel]:
        found.append(f"wheels {[w.name for w in wheels]} != [{expected_wheel!r}]")
    if [s.name for s in sdists] != [f"{normalized}-{version}.tar.gz"]:
        found.append(f"sdists {[s.name for s in sdists]} != ['{normalized}-{version}.tar.gz']")
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            metadata = archive.read(f"{normalized}-{version}.dist-info/METADATA").decode()
        found += [f"{wheel.name} lacks {need}" for need in WHEEL_REQUIRED if need not in names]
        found += sorted(
            {f"{wheel.name} carries {folder}/" for n in names if (folder := _shipped_folder(n))}
        )
        tops = {n.split("/", 1)[0] for n in names}
        if tops != {PACKAGE, f"{normalized}-{version}.dist-info"}:
            found.append(f"{wheel.name} has unexpected top-level entries: {sorted(tops)}")
        if f"\nVersion: {version}\n" not in metadata:
            found.append(f"{wheel.name} METADATA does not say Version: {version}")
        if "\nLicense-Expression: Apache-2.0\n" not in metadata:
            found.append(f"{wheel.name} METADATA has no License-Expression: Apache-2.0")
    for sdist in sdists:
        with tarfile.open(sdist) as archive:
            names = [n.split("/", 1)[1] for n in archive.getnames() if "/" in n]
        found += sorted(
            {f"{sdist.name} carries {folder}/" for n in names if (folder := _shipped_folder(n))}
        )
        found += [
            f"{sdist.name} lacks {need}"
            for need in (*WHEEL_REQUIRED, "LICENSE", "README.md", "pyproject.toml")
            if need not in names
        ]

    hacs = dist / "hacs" / HACS_ZIP
    if not hacs.is_file():
        found.append(f"no {hacs}")
        return found
    with zipfile.ZipFile(hacs) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    source = sorted(
        p.relative_to(root / INTEGRATION).as_posix()
        for p in (root / INTEGRATION).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )
    if sorted(names) != source:
        found.append(f"{HACS_ZIP} differs from {INTEGRATION}: {sorted(set(names) ^ set(source))}")
    if manifest.get("version") != version:
        found.append(f"{HACS_ZIP} manifest version {manifest.get('version')!r} != {version!r}")
    return found


def main(argv: list[str] | None = None) -> int:
    """Run one of the subcommands (see the module's docstring)."""
    parser = argparse.ArgumentParser(prog="scripts/release_tool.py")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("version")
    check = sub.add_parser("check")
    check.add_argument("--tag", help="the git tag being released, e.g. v0.1.0")
    sub.add_parser("notes")
    hacs_zip = sub.add_parser("hacs-zip")
    hacs_zip.add_argument("out", type=Path)
    check_dist = sub.add_parser("check-dist")
    check_dist.add_argument("dist", type=Path)
    args = parser.parse_args(argv)

    if args.command == "version":
        print(library_version())
        return 0
    if args.command == "notes":
        entry = changelog_entry(library_version())
        if not entry:
            print(f"CHANGELOG.md has no entry for {library_version()}", file=sys.stderr)
            return 1
        print(entry)
        return 0
    if args.command == "hacs-zip":
        build_hacs_zip(args.out)
        return 0
    found = problems(tag=args.tag) if args.command == "check" else dist_problems(args.dist)
    for problem in found:
        print(f"release check: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
