"""The IBM path through Snakemake, offline: qiskit.remote on a fake backend.

A fake token is put in the environment; it must appear in no file the run
writes (results, logs, benchmarks, Snakemake's metadata).
"""

import os

import pandas as pd
import pytest
from conftest import snakemake

pytestmark = pytest.mark.pipeline

TOKEN = "qhnet-fake-token-5b1f0c9e7d"
TARGET = "results/runs/moons/selbo-sampled_lam1_hn4/s0-0.metrics.parquet"


def test_remote_sampled_arm_runs_offline_and_never_writes_the_token(workdir, monkeypatch):
    monkeypatch.setenv("QISKIT_IBM_TOKEN", TOKEN)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", "fake-instance")
    out = snakemake(
        workdir, TARGET, "--cores", "2", "--configfile", "config/remote-test.yaml", timeout=600
    )
    assert out.returncode == 0, (out.stdout + out.stderr)[-4000:]
    assert TOKEN not in out.stdout + out.stderr
    runs = pd.read_parquet(workdir / TARGET)
    assert list(runs["mode"]) == ["sampled"] and runs["steps"].iloc[0] == 2
    leaked = []
    for root, _, files in os.walk(workdir, followlinks=False):
        for name in files:
            path = os.path.join(root, name)
            if os.path.islink(path):
                continue
            with open(path, "rb") as fh:
                if TOKEN.encode() in fh.read():
                    leaked.append(path)
    assert not leaked, leaked
    # the rule ran locally (login node) because it talks to IBM
    log = (workdir / "results/logs/train_sampled/moons/selbo-sampled_lam1_hn4/s0-0.log").read_text()
    assert "selbo-sampled" in log
