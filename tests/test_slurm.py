"""The SLURM profile on a real (single-node, throwaway) SLURM cluster.

The cluster is started by tests/slurm/start-cluster.sh and needs root and
Debian's slurm-wlm + munge (tests/slurm/install-slurm.sh installs them). Where
that is impossible the tests are skipped with the reason; CI installs the
packages (.ci/run), so there they run.

The tiny config goes through `--profile workflow/profiles/slurm` on the cluster and,
at the same time, through a plain local run in another directory; the numbers
must be identical.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import BIN, REPO, clean_env, make_workdir

pytestmark = [pytest.mark.slurm, pytest.mark.pipeline]

SCRIPTS = REPO / "tests" / "slurm"
DAEMONS = ("munged", "slurmctld", "slurmd", "slurmstepd")
ACCOUNT, PARTITION = "test", "debug"  # what the local cluster accepts
# The tables (claims.csv needs all the others: runs, trajectories, variance,
# landscape), compared between the SLURM and the local run. Figures and
# the report notebook would add a level of the job graph (about a minute here)
# and are covered locally by test_pipeline.py.
TARGETS = ["results/tables/claims.csv"]
# Job-state polling every second instead of the profile's production values
# (the plugin backs off by 10 s per check that finds nothing finished).
FAST_POLL = [
    "--slurm-init-seconds-before-status-checks", "1",
    "--seconds-between-status-checks", "1",
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environ(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _alive(pid: int, name: str) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return f"({name})" in stat and stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


class Cluster:
    def __init__(self, state: Path):
        self.state = state
        self.conf = state / "slurm.conf"
        # nothing of an outer SLURM job (if the tests run inside one) leaks in
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLURM_", "SBATCH_", "SRUN_", "SALLOC_"))
        }
        # the cluster's own commands (sbatch, squeue, ...) are on PATH as on a login node;
        # the venv is not: jobs must find their interpreter without it
        env["PATH"] = os.pathsep.join([str(state / "bin"), clean_env()["PATH"]])
        env["SLURM_CONF"] = str(self.conf)
        env["SLURM_ACCOUNT"] = ACCOUNT
        env["SLURM_PARTITION"] = PARTITION
        self.env = env

    def run(self, *cmd: str) -> str:
        return subprocess.run(
            cmd, env=self.env, capture_output=True, text=True, check=True, timeout=30
        ).stdout

    def daemons(self) -> dict[str, int]:
        """The daemons this cluster started, from its pid files."""
        return {
            d: int((self.state / f"{d}.pid").read_text().strip())
            for d in DAEMONS[:3]
            if (self.state / f"{d}.pid").exists()
        }

    def leftovers(self, started: dict[str, int]) -> dict[str, list[int]]:
        """Daemons of this cluster still running: the started ones, and any (pgrep) that
        carries this cluster's SLURM_CONF (slurmctld, slurmd, slurmstepd and their jobs)."""
        left = {d: [p] for d, p in started.items() if _alive(p, d)}
        for d in DAEMONS:
            out = subprocess.run(["pgrep", "-x", d], capture_output=True, text=True)
            for pid in map(int, out.stdout.split()):
                if f"SLURM_CONF={self.conf}" in _environ(pid) and pid not in left.get(d, []):
                    left.setdefault(d, []).append(pid)
        return left


@pytest.fixture(scope="module")
def cluster():
    if os.geteuid() != 0:
        pytest.skip(f"the local SLURM cluster needs root (uid is {os.geteuid()})")
    inst = subprocess.run(
        ["bash", str(SCRIPTS / "install-slurm.sh")], capture_output=True, text=True, timeout=1200
    )
    if inst.returncode != 0:
        pytest.skip(
            "slurm-wlm/munge not installable: " + (inst.stdout + inst.stderr).strip()[-600:]
        )
    state = Path(tempfile.mkdtemp(prefix="qs", dir="/tmp"))
    cluster = Cluster(state)
    # free ports: no clash with a system slurmctld or another test cluster
    ctld = _free_port()
    slurmd = next(p for p in iter(_free_port, None) if p != ctld)
    ports = {"SLURMCTLD_PORT": str(ctld), "SLURMD_PORT": str(slurmd)}
    started = {}
    try:
        start = subprocess.run(
            ["bash", str(SCRIPTS / "start-cluster.sh"), str(state)],
            env={**cluster.env, **ports},
            capture_output=True,
            text=True,
            timeout=180,
        )
        started = cluster.daemons()
        assert start.returncode == 0, "start-cluster.sh failed:\n" + start.stderr[-4000:]
        yield cluster
    finally:
        stop = subprocess.run(
            ["bash", str(SCRIPTS / "stop-cluster.sh"), str(state)],
            capture_output=True,
            text=True,
            timeout=180,
        )
        left = cluster.leftovers(started)
        assert stop.returncode == 0, "stop-cluster.sh failed:\n" + stop.stderr[-2000:]
        assert not left, f"processes left after stop-cluster.sh: {left}"
        assert not state.exists()


def _workdir(path: Path) -> Path:
    """A checkout-like directory: workflow (with its profiles), scripts, sources, configs."""
    return make_workdir(path)


def _tiny_config(wd: Path) -> str:
    """config/test.yaml with two changes, written into the work directory.

    4 seeds per training job instead of 2: 8 SLURM training jobs (4 arm groups x
    2 optimisers) instead of 16 keep the test within its time budget (two CPUs
    here). No noise study: its samples on the fake-backend noise models are not
    reproducible from run to run even locally (same inputs, same seed, different
    accuracies), so it cannot be compared bit for bit, and claims.csv would
    inherit the difference.
    """
    cfg = yaml.safe_load((wd / "config" / "test.yaml").read_text())
    cfg["training"]["seeds_per_job"] = 4
    cfg["noise_study"]["enabled"] = False
    (wd / "config" / "slurm-test.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return "config/slurm-test.yaml"


@pytest.fixture(scope="module")
def both_runs(cluster, tmp_path_factory):
    """The tiny config through the SLURM profile and locally, side by side."""
    base = tmp_path_factory.mktemp("slurm")
    runs = {}
    for kind in ("slurm", "local"):
        wd = _workdir(base / kind)
        cfgfile = _tiny_config(wd)
        if kind == "slurm":
            cmd = [
                "--profile",
                "workflow/profiles/slurm",
                *FAST_POLL,
                "--slurm-status-command",
                "squeue",
            ]
            env = cluster.env
        else:
            cmd, env = ["--cores", "2"], clean_env()
        log = open(wd / "snakemake.out", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            [str(BIN / "snakemake"), *cmd, *TARGETS, "--configfile", cfgfile],
            cwd=wd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        runs[kind] = (wd, proc, log, time.monotonic())
    result, left = {}, dict(runs)
    try:
        deadline = time.monotonic() + 600
        while left and time.monotonic() < deadline:
            for kind, (wd, proc, log, t0) in list(left.items()):
                if proc.poll() is None:
                    continue
                del left[kind]
                log.close()
                text = (wd / "snakemake.out").read_text()
                assert proc.returncode == 0, f"{kind} run failed:\n{text[-5000:]}"
                result[kind] = wd
                print(f"{kind} run: {time.monotonic() - t0:.0f} s")
            time.sleep(1)
        assert not left, f"runs still going after 600 s: {sorted(left)}"
    finally:
        for _, proc, log, _ in runs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
    return result


def _jobs(text: str) -> list[tuple[str, str, str]]:
    """(kind, rule, resources) of every job in Snakemake's output; kind: rule/localrule."""
    jobs, current = [], None
    for line in text.splitlines():
        m = re.match(r"^\s*(rule|localrule) (\w+):$", line)
        if m:
            current = [m.group(1), m.group(2), ""]
            jobs.append(current)
        m = re.match(r"^\s*resources: (.*)$", line)
        if m and current is not None:
            current[2] = m.group(1)
    return [tuple(j) for j in jobs]


def test_full_config_dry_run_with_profile(cluster, tmp_path):
    """Every job of the full sweep goes to SLURM with the site's account and sized resources."""
    wd = _workdir(tmp_path / "wd")
    targets = ["all"]
    if not (REPO / "notebooks" / "report.ipynb").exists():
        targets += ["--until", "figures", "claims"]  # the report needs the notebook
    out = subprocess.run(
        [str(BIN / "snakemake"), "-n", "--profile", "workflow/profiles/slurm", *targets],
        cwd=wd,
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-4000:]
    assert "Using profiles workflow/profiles/slurm" in text
    assert re.search(r"^train\s+36$", text, re.M)  # 3 datasets x 6 arm groups x 2 optimisers
    # the cheap rules are grouped: all datasets + enumerations in one job, the tables in another
    assert text.count("Group job prep") == 1 and text.count("Group job summary") == 1
    jobs = _jobs(text)
    total = int(re.search(r"^total\s+(\d+)$", text, re.M).group(1))
    assert len(jobs) == total
    # nothing but the target rule `all` (no shell: run by Snakemake itself) stays on the
    # login node; IBM rules would, with device qiskit.remote
    assert {r for kind, r, _ in jobs if kind == "localrule"} <= {"all"}
    for kind, rule, res in jobs:
        if kind == "localrule" or rule == "all":
            continue
        # a rule missing from the profile's set-resources would lack the account here
        assert f"slurm_account={ACCOUNT}" in res and f"slurm_partition={PARTITION}" in res, rule
        assert "cpus_per_task=1" in res and "runtime=" in res and "mem_mb=" in res, rule
        if rule == "train":
            assert "runtime=60," in res and "mem_mb=3000," in res


def test_profile_picks_status_command_from_cluster_config(cluster, tmp_path):
    """squeue where SLURM keeps no accounting (this cluster), sacct where it does."""
    wd = _workdir(tmp_path / "wd")
    code = (
        "from snakemake.cli import parse_args\n"
        "_, a = parse_args(['--profile', 'workflow/profiles/slurm', '-n'])\n"
        "print(a.slurm_status_command, a.latency_wait, a.retries)\n"
    )
    py = [str(BIN / "python"), "-c", code]
    out = subprocess.run(py, cwd=wd, env=cluster.env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    # latency-wait and retries are the profile's (the workflow profile must not override them)
    assert out.stdout.split() == ["squeue", "60", "2"]
    # a site with slurmdbd accounting, as `scontrol show config` reports it
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "scontrol").write_text(
        "#!/bin/sh\necho 'AccountingStorageType   = accounting_storage/slurmdbd'\n"
    )
    (fake / "scontrol").chmod(0o755)
    env = {**cluster.env, "PATH": f"{fake}:{cluster.env['PATH']}"}
    out = subprocess.run(py, cwd=wd, env=env, capture_output=True, text=True)
    assert out.stdout.split()[:1] == ["sacct"], out.stderr[-2000:]


def test_tiny_config_runs_through_slurm(both_runs, cluster):
    wd = both_runs["slurm"]
    text = (wd / "snakemake.out").read_text()
    assert "localrule" not in text  # every job went to SLURM
    jobids = re.findall(r"submitted with SLURM jobid (\d+)", text)
    # prep group, 4 arm groups x 2 optimisers exact + 1 sampled training jobs, 6 trainability
    # jobs (2 datasets x 2 optimisers with ry_chain, moons x 2 optimisers with brick) and
    # their hit-rate table, the roughness study (claim 2), summary group
    assert len(jobids) == 19, text[-3000:]
    assert text.count("Group job prep") == 1 and text.count("Group job summary") == 1
    # what sbatch was asked for, as SLURM recorded it (finished jobs stay MinJobAge=300 s)
    jobs = {}
    for line in cluster.run("scontrol", "show", "job", "-o").splitlines():
        f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        jobs[f["JobId"]] = f
    for j in jobids:
        f = jobs[j]
        assert f["JobState"] == "COMPLETED", f
        assert f["Account"] == ACCOUNT and f["Partition"] == PARTITION
        assert f["NumCPUs"] == "1", f  # group members run one after the other
        if f.get("Comment", "").startswith("rule_train_wildcards"):
            assert (f["TimeLimit"], f["MinMemoryNode"]) == ("01:00:00", "3000M")
    # SLURM logs of successful jobs are removed; only failed jobs' logs are kept
    assert not list((wd / ".snakemake" / "slurm_logs").rglob("*.log"))


def test_slurm_and_local_numbers_identical(both_runs):
    s, loc = both_runs["slurm"], both_runs["local"]
    keys = ["dataset", "arm", "seed"]
    a = pd.read_parquet(s / "results/tables/runs.parquet").sort_values(keys, ignore_index=True)
    b = pd.read_parquet(loc / "results/tables/runs.parquet").sort_values(keys, ignore_index=True)
    assert len(a) > 0 and set(a["mode"]) == {"exact", "sampled"}
    timing = [c for c in a.columns if c.endswith("seconds")]
    pd.testing.assert_frame_equal(a.drop(columns=timing), b.drop(columns=timing), check_exact=True)
    a, b = (pd.read_parquet(d / "results/tables/trajectories.parquet") for d in (s, loc))
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    tables = [p.name for p in (loc / "results/tables").glob("*.csv") if p.name != "runs.csv"]
    assert {"roughness.csv", "variance.csv", "claims.csv"} <= set(tables)
    for t in tables:
        a, b = (pd.read_csv(d / "results/tables" / t) for d in (s, loc))
        timing = [c for c in a.columns if c.endswith("seconds")]  # measured, not computed
        pd.testing.assert_frame_equal(
            a.drop(columns=timing), b.drop(columns=timing), check_exact=True
        )
