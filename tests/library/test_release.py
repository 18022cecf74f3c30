"""One version everywhere: the release checks pass on the repository and catch each drift."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
import shutil
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

import kinetic_integration

ROOT = Path(__file__).resolve().parents[2]


def _load_release_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("release_tool", ROOT / "scripts/release_tool.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


release_tool = _load_release_tool()


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The files that carry the version, copied so a test can make them disagree."""
    for name in ("pyproject.toml", "hacs.json", "CHANGELOG.md", "kinetic_integration/__init__.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "custom_components/kinetic", tmp_path / "custom_components/kinetic")
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_repository_agrees_with_itself() -> None:
    assert release_tool.problems(ROOT) == []
    version = release_tool.library_version(ROOT)
    assert version == kinetic_integration.__version__
    # The installed distribution's metadata comes from the same source.
    assert importlib.metadata.version("kinetic-integration") == version
    manifest = json.loads((ROOT / "custom_components/kinetic/manifest.json").read_text())
    assert manifest["version"] == version
    assert f"kinetic-integration=={version}" in manifest["requirements"]


def test_the_changelog_has_this_release() -> None:
    version = kinetic_integration.__version__
    entry = release_tool.changelog_entry(version, ROOT)
    assert entry
    assert "### Added" in entry or "### Changed" in entry or "### Fixed" in entry
    text = (ROOT / "CHANGELOG.md").read_text()
    # Keep a Changelog: an Unreleased section above the releases.
    assert text.index("## [Unreleased]") < text.index(f"## [{version}]")


def test_a_tag_must_match_the_version() -> None:
    version = kinetic_integration.__version__
    assert release_tool.problems(ROOT, tag=f"v{version}") == []
    assert release_tool.problems(ROOT, tag="v9.9.9") == [f"tag 'v9.9.9' != 'v{version}'"]


@pytest.mark.parametrize(
    ("path", "old", "new", "complaint"),
    [
        ("custom_components/kinetic/manifest.json", '"version": "', '"version": "9', "manifest"),
        (
            "custom_components/kinetic/manifest.json",
            '"kinetic-integration==',
            '"kinetic-integration==9',
            "requirements",
        ),
        ("kinetic_integration/__init__.py", '__version__ = "', '__version__ = "9', "manifest"),
        ("kinetic_integration/__init__.py", '__version__ = "', '__version__ = "v', "X.Y.Z"),
        ("pyproject.toml", 'dynamic = ["version"]', 'version = "0.1.0"', "dynamic"),
        ("pyproject.toml", 'attr = "kinetic_integration.', 'attr = "other.', "read the version"),
        ("hacs.json", '"zip_release": true', '"zip_release": false', "hacs.json"),
        ("hacs.json", '"kinetic.zip"', '"kinetic-0.1.0.zip"', "hacs.json"),
        ("CHANGELOG.md", "## [0.1.0] - ", "## [0.0.9] - ", "no '## [0.1.0]"),
        ("CHANGELOG.md", "[0.1.0]: https", "[0.0.9]: https", "link line"),
    ],
)
def test_each_drift_is_caught(copy: Path, path: str, old: str, new: str, complaint: str) -> None:
    assert release_tool.problems(copy) == []
    _edit(copy / path, old, new)
    found = release_tool.problems(copy)
    assert found
    assert any(complaint in problem for problem in found), found


def test_an_empty_changelog_entry_is_caught(copy: Path) -> None:
    changelog = copy / "CHANGELOG.md"
    text = changelog.read_text()
    start = text.index("## [0.1.0]")
    end = text.index("[Unreleased]: ")
    heading = text[start:].splitlines()[0]
    changelog.write_text(text[:start] + heading + "\n\n" + text[end:])
    assert release_tool.problems(copy) == ["CHANGELOG.md's entry for 0.1.0 is empty"]


def test_the_hacs_zip_is_the_integration_and_reproducible(tmp_path: Path) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    release_tool.build_hacs_zip(first, ROOT)
    release_tool.build_hacs_zip(second, ROOT)
    assert first.read_bytes() == second.read_bytes()
    integration = ROOT / "custom_components/kinetic"
    expected = {
        p.relative_to(integration).as_posix()
        for p in integration.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    with zipfile.ZipFile(first) as archive:
        assert set(archive.namelist()) == expected
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["version"] == kinetic_integration.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])


def _fake_dist(tmp_path: Path, version: str, entries: list[str]) -> Path:
    """A dist folder whose wheel holds ``entries`` (plus its metadata), sdist and zip real."""
    dist = tmp_path / "dist"
    (dist / "pypi").mkdir(parents=True)
    info = f"kinetic_integration-{version}.dist-info"
    with zipfile.ZipFile(
        dist / "pypi" / f"kinetic_integration-{version}-py3-none-any.whl", "w"
    ) as w:
        for entry in entries:
            w.writestr(entry, "")
        w.writestr(
            f"{info}/METADATA", f"Name: x\nVersion: {version}\nLicense-Expression: Apache-2.0\n"
        )
    release_tool.build_hacs_zip(dist / "hacs" / "kinetic.zip", ROOT)
    return dist


def test_the_wheel_check_wants_the_typed_marker_and_static_files_and_no_tests(
    tmp_path: Path,
) -> None:
    version = kinetic_integration.__version__
    good = list(release_tool.WHEEL_REQUIRED)
    dist = _fake_dist(tmp_path / "good", version, good)
    wheel_problems = [p for p in release_tool.dist_problems(dist, ROOT) if ".whl" in p]
    assert wheel_problems == []

    bad = [
        *good[1:],  # no py.typed
        "tests/test_x.py",
        "demo/__main__.py",
    ]
    dist = _fake_dist(tmp_path / "bad", version, bad)
    found = release_tool.dist_problems(dist, ROOT)
    wheel = f"kinetic_integration-{version}-py3-none-any.whl"
    assert f"{wheel} lacks kinetic_integration/py.typed" in found
    assert f"{wheel} carries tests/" in found
    assert f"{wheel} carries demo/" in found
    # No sdist was built here: that is reported too, not passed over.
    assert any(p.startswith("sdists [] != ") for p in found)


def test_the_readme_states_the_minimum_home_assistant_of_hacs_json() -> None:
    minimum = json.loads((ROOT / "hacs.json").read_text())["homeassistant"]
    readme = (ROOT / "README.md").read_text()
    assert f"Home Assistant {minimum} or newer" in readme
    # The three ways to install, each in the installation section.
    section = readme[readme.index("## Installation in Home Assistant") :]
    section = section[: section.index("\n## ", 1)]
    for way in ("Custom repositories", "kinetic.zip", "pip install kinetic-integration"):
        assert way in section, way
