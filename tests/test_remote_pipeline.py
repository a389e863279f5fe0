"""The IBM path through Snakemake, offline: qiskit.remote on a fake backend (local mode).

Qiskit Runtime's local testing mode runs SamplerV2 (here inside a ``Batch``) on a
fake backend with no network. Checked: one primitive job per training step, the
cost plan refusing an over-budget configuration before any job, a killed run
resuming from its checkpoint to the same numbers, and a fake token in the
environment appearing in no file the run writes (results, logs, benchmarks,
Snakemake's metadata).
"""

import os
import re
import signal
import subprocess
import time

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import BIN, clean_env, make_workdir, snakemake

pytestmark = pytest.mark.pipeline

TOKEN = "qhnet-fake-token-5b1f0c9e7d"
RUN = "results/runs/moons/adam/selbo-sampled_lam1_hn4/s0-0"
TARGET = f"{RUN}.metrics.parquet"
LOG = "results/logs/train_sampled/moons/selbo-sampled_lam1_hn4/s0-0.log"


def _config(workdir, **sampled):
    cfg = yaml.safe_load((workdir / "config/remote-test.yaml").read_text())
    cfg["sampled"].update(sampled)
    path = workdir / "config/remote-mod.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path.relative_to(workdir))


def _jobs(log: str) -> list[str]:
    return re.findall(r"qiskit\.remote: submitted job \d+ id=(\S+) circuits=(\d+)", log)


def test_remote_sampled_arm_runs_offline_and_never_writes_the_token(workdir, monkeypatch):
    monkeypatch.setenv("QISKIT_IBM_TOKEN", TOKEN)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", "fake-instance")
    env = clean_env()
    dry = snakemake(workdir, TARGET, "-n", "--configfile", "config/remote-test.yaml", env=env)
    assert dry.returncode == 0, dry.stderr[-2000:]
    # n = 6, one layer: 13 circuits per step; 2 steps + the final estimate
    plan = "plan: 1 run(s) x 3 job(s) = 3 job(s), 27 circuit(s) (13 per step), 1350 shot(s)"
    assert plan in dry.stdout + dry.stderr
    out = snakemake(
        workdir, TARGET, "--cores", "2", "--configfile", "config/remote-test.yaml", env=env
    )
    assert out.returncode == 0, (out.stdout + out.stderr)[-4000:]
    assert TOKEN not in out.stdout + out.stderr
    runs = pd.read_parquet(workdir / TARGET)
    assert list(runs["mode"]) == ["sampled"] and runs["steps"].iloc[0] == 2
    log = (workdir / LOG).read_text()
    assert plan in log  # the step prints the same plan before its first job
    assert "physical qubits" in log and "routing Sabre" in log
    jobs = _jobs(log)
    assert [int(c) for _, c in jobs] == [13, 13, 1]  # one job per step, every shift in it
    assert len({j for j, _ in jobs}) == 3
    assert not (workdir / f"{RUN}.ckpt").exists()  # checkpoints removed once outputs exist
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


def test_over_budget_remote_config_stops_before_any_job(workdir):
    cfg = _config(workdir, max_steps=20)  # 21 jobs > device.max_jobs = 10
    for args in (["-n"], ["--cores", "1"]):
        out = snakemake(workdir, TARGET, *args, "--configfile", cfg)
        text = out.stdout + out.stderr
        assert out.returncode != 0
        assert "device.max_jobs" in text and "21 job(s)" in text, text[-2000:]
        assert "Building DAG of jobs" not in text
    assert not (workdir / "results").exists()


def test_killed_remote_run_resumes_to_the_same_numbers(workdir, tmp_path):
    steps = 8
    cfg = _config(workdir, max_steps=steps)
    proc = subprocess.Popen(
        [str(BIN / "snakemake"), TARGET, "--cores", "1", "--configfile", cfg],
        cwd=workdir,
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    log = workdir / LOG
    deadline = time.time() + 300
    try:
        while time.time() < deadline and proc.poll() is None:
            if log.exists() and len(_jobs(log.read_text())) >= 3:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)  # the whole job: Snakemake and the step
        proc.wait()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert (workdir / f"{RUN}.ckpt/selbo-sampled_lam1_hn4/seed0.npz").exists()  # <arm>/seed<k>
    assert not (workdir / TARGET).exists()
    snakemake(workdir, TARGET, "--unlock", "--configfile", cfg)
    out = snakemake(workdir, TARGET, "--cores", "1", "--rerun-incomplete", "--configfile", cfg)
    assert out.returncode == 0, (out.stdout + out.stderr)[-4000:]
    text = log.read_text()
    start = int(re.search(r"resumed from checkpoint at step (\d+)", text).group(1))
    assert 2 <= start < steps
    assert len(_jobs(text)) == steps - start + 1  # finished steps' jobs are not repeated
    # an uninterrupted run elsewhere gives the same numbers
    ref_dir = make_workdir(tmp_path / "ref")
    ref_cfg = _config(ref_dir, max_steps=steps)
    ref = snakemake(ref_dir, TARGET, "--cores", "1", "--configfile", ref_cfg)
    assert ref.returncode == 0, ref.stderr[-2000:]
    a = pd.read_parquet(workdir / f"{RUN}.trajectory.parquet")
    b = pd.read_parquet(ref_dir / f"{RUN}.trajectory.parquet")
    pd.testing.assert_frame_equal(a, b)
    ma, mb = (pd.read_parquet(d / TARGET) for d in (workdir, ref_dir))
    np.testing.assert_array_equal(ma["theta"], mb["theta"])
