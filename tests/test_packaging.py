"""The build puts into the package everything the app reads (templates, data, catalogues).

Runs setup.py's build_py into a temporary folder, as a wheel build does;
.ci/run.d/wheel.sh goes further: it builds the wheel, installs it read-only and
serves a page.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import readingroom

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "readingroom"


def source_data_files() -> set[str]:
    """Every file of the package that is not Python, nor compiled, nor a cache."""
    return {
        str(path.relative_to(ROOT))
        for path in PACKAGE.rglob("*")
        if path.is_file()
        and path.suffix not in {".py", ".pyc", ".mo"}
        and "__pycache__" not in path.parts
        and ".tmp" not in path.suffixes
    }


@pytest.fixture(scope="module")
def build_lib(tmp_path_factory) -> Path:
    if not (ROOT / "setup.py").exists():
        pytest.skip("not a source checkout")
    target = tmp_path_factory.mktemp("build_lib")
    result = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def test_data_files_are_built_into_the_package(build_lib):
    built = {str(p.relative_to(build_lib)) for p in build_lib.rglob("*") if p.is_file()}
    missing = sorted(source_data_files() - built)
    assert not missing, f"add them to [tool.setuptools.package-data] in pyproject.toml: {missing}"
    for needed in ("migrations/alembic.ini", "migrations/script.py.mako", "migrations/README"):
        assert f"readingroom/{needed}" in built
    versions = {p.name for p in (PACKAGE / "migrations" / "versions").glob("*.py")}
    assert versions
    assert versions <= {Path(p).name for p in built if "/migrations/versions/" in p}


def test_templates_are_built_into_the_package(build_lib):
    templates = sorted(p.relative_to(ROOT) for p in (ROOT / "templates").rglob("*.html"))
    assert templates
    missing = [str(t) for t in templates if not (build_lib / "readingroom" / t).is_file()]
    assert not missing, missing


def test_catalogues_are_compiled_into_the_package(build_lib):
    sources = sorted((PACKAGE / "translations").glob("*/LC_MESSAGES/messages.po"))
    assert sources
    for po in sources:
        mo = build_lib / po.relative_to(ROOT).with_suffix(".mo")
        assert mo.is_file() and mo.stat().st_size > 10_000, mo


def test_a_checkout_serves_the_top_level_templates():
    assert Path(readingroom.template_folder()) == ROOT / "templates"
