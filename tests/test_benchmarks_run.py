"""The in-process benchmarks still run (tiny sizes, one repeat): a change that breaks them
(as the required PUBLIC_BASE_URL once did) fails here, not when someone next measures.
The figures themselves are not judged here; benchmarks/ says how they are read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.sqlite_file
@pytest.mark.parametrize(
    ("script", "args", "expected"),
    [
        ("run.py", ["--sizes", "20,40", "--repeat", "1"], "query count grows with the data for"),
        ("reports.py", ["--sizes", "40", "--repeat", "1"], "XLSX, the year, uncached"),
    ],
)
def test_benchmark_runs_on_a_tiny_data_set(script, args, expected, tmp_path, monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL")  # the suite sets it; a benchmark must not need it
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert expected in result.stdout
