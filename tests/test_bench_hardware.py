"""Smoke test of ``scripts/tools/bench_hardware.py --quick``: it runs and writes its table.

No timing assertions: only that both paths ran on every case, the primitive path
submitted one Runtime job per step and the plugin path one per circuit, and that
both were reproducible for a seed.
"""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.pipeline
def test_quick_hardware_benchmark_writes_a_consistent_table(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts/tools/bench_hardware.py"),
            "--quick",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    df = pd.read_csv(tmp_path / "hardware.csv")
    assert set(df["path"]) == {"plugin", "primitive"}
    remote = df[df["device"] == "qiskit.remote"].set_index("path")
    assert remote.loc["primitive", "runtime_jobs_per_step"] == 1
    assert (
        remote.loc["plugin", "runtime_jobs_per_step"] == remote.loc["plugin", "circuits_per_step"]
    )
    assert df["reproducible"].all()
    assert (tmp_path / "hardware.md").read_text().startswith("# Hardware path")
