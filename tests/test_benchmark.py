"""Smoke test of ``scripts/tools/benchmark.py --quick``: it runs and writes a consistent table.

No timing assertions (the machine is shared and timings are the benchmark's job);
only that every path ran or was skipped for a stated reason, and that all paths
agree with qhnet on value and gradient.
"""

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "tools" / "benchmark.py"

COLUMNS = [
    "section",
    "path",
    "objective",
    "n",
    "layers",
    "shots",
    "steps",
    "status",
    "median_s",
    "q25_s",
    "q75_s",
    "samples",
    "calls",
    "compile_s",
    "max_dev",
    "ratio_to_qhnet",
    "note",
]
EXACT_PATHS = {"qhnet", "reference", "pl_autograd", "pl_jax", "lightning_adjoint"}


def test_benchmark_quick(tmp_path):
    out = tmp_path / "bench"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]

    with open(out / "benchmark.csv", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == COLUMNS
        rows = list(reader)

    exact = [r for r in rows if r["section"] == "exact"]
    keys = {(r["path"], r["objective"], int(r["n"]), int(r["layers"])) for r in exact}
    assert keys == {(p, o, n, 1) for p in EXACT_PATHS for o in ("elbo", "selbo") for n in (8, 10)}
    for r in exact:
        if r["path"] == "pl_jax" and (r["objective"], r["n"]) != ("elbo", "8"):
            assert r["status"] == "skipped" and r["note"], r
            continue
        assert r["status"] == "ok", r
        assert float(r["median_s"]) > 0 and int(r["calls"]) >= int(r["samples"]) >= 1
        assert float(r["max_dev"]) <= 1e-8, r
        assert math.isfinite(float(r["ratio_to_qhnet"]))
        if r["path"] == "qhnet":
            assert float(r["ratio_to_qhnet"]) == 1.0 and float(r["max_dev"]) == 0.0
        if r["path"] in ("qhnet", "reference", "pl_jax"):
            assert float(r["compile_s"]) >= 0

    sampled = {r["path"]: r for r in rows if r["section"] == "sampled"}
    assert set(sampled) == {"qhnet_sampled", "qhnet_sampled_dq", "plain_sampled"}
    for r in sampled.values():
        assert r["status"] == "ok" and r["shots"] == "100" and float(r["median_s"]) > 0, r
    assert float(sampled["plain_sampled"]["max_dev"]) <= 1e-8

    runs = {r["path"]: r for r in rows if r["section"] == "run"}
    assert set(runs) == {
        "qhnet_cold",
        "qhnet_warm",
        "reference",
        "pl_autograd",
        "pl_jax",
        "lightning_adjoint",
    }
    for path in ("qhnet_cold", "qhnet_warm", "reference"):
        assert runs[path]["status"] == "ok", runs[path]
        assert float(runs[path]["median_s"]) > 0
        assert float(runs[path]["max_dev"]) <= 1e-8  # same final objective after 20 steps
    for path in ("pl_autograd", "pl_jax", "lightning_adjoint"):
        assert runs[path]["status"] == "skipped" and runs[path]["note"]

    md = (out / "benchmark.md").read_text()
    for heading in ("## Machine", "## Targets", "## Exact step", "## Sampled", "## Whole run"):
        assert heading in md

    # the targets table is the data in targets.yaml, each checked on the CSV's medians
    targets = yaml.safe_load((SCRIPT.parent / "engine_bench" / "targets.yaml").read_text())
    table = {}
    for line in md.split("## Targets", 1)[1].split("\n## ", 1)[0].splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("target", "---"):
            table[cells[0]] = cells[2]
    med = {
        (r["path"], r["objective"], r["n"], r["layers"]): float(r["median_s"])
        for r in exact
        if r["status"] == "ok"
    }
    for t in targets:
        rows_t = {k: v for k, v in table.items() if k.startswith(t["label"])}
        assert rows_t, t["label"]
        if t["section"] != "exact":
            continue
        for objective in ("elbo", "selbo"):
            label = f"{t['label']} ({objective.upper()}, n = 10, layers = 1)"
            ratio = (
                med[(t["path"], objective, "10", "1")] / med[(t["against"], objective, "10", "1")]
            )
            met = ratio <= t["at_most"] if "at_most" in t else ratio >= t["at_least"]
            assert rows_t[label] == ("yes" if met else "NO"), (label, ratio)


def test_pipeline_benchmark_refuses_a_results_directory_in_use(tmp_path):
    """It times a reproduction from scratch: a non-empty results directory is refused
    before Snakemake starts."""
    (tmp_path / "old.txt").write_text("")
    tool = ROOT / "scripts" / "tools" / "bench_pipeline.py"
    out = subprocess.run(
        [sys.executable, str(tool), "--configfile", "config/test.yaml", "--results", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "is not empty" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr and "snakemake" not in out.stdout


def _pipeline_files(folder: Path, wall: float, peak: float, compile_frac: float) -> None:
    import json

    import pandas as pd

    folder.mkdir()
    meta = dict(config="config/config.yaml", cores=2, wall_seconds=wall, report_seconds=30.0,
                cpu_seconds=900.0, peak_job_mb=peak, floor_seconds=240.0, exact_runs=4320,
                jobs=146, commit="0123456789", dirty=False, date="2026-12-03T18:00:00+00:00",
                machine="2 cores (test), Python 3.11")  # fmt: skip
    (folder / "pipeline.json").write_text(json.dumps(meta))
    pd.DataFrame(
        [
            dict(
                rule="train",
                jobs=36,
                cpu_s=600.0,
                wall_s=640.0,
                max_rss_mb=peak,
                loop_s=300.0,
                compile_s=compile_frac * 640,
                outside_loop_frac=0.53,
                compile_frac=compile_frac,
            ),
            dict(
                rule="figures",
                jobs=1,
                cpu_s=300.0,
                wall_s=310.0,
                max_rss_mb=400.0,
                loop_s=None,
                compile_s=None,
                outside_loop_frac=None,
                compile_frac=None,
            ),
        ]  # fmt: skip
    ).to_csv(folder / "pipeline.csv", index=False)


def test_pipeline_block_states_each_target_as_measured(tmp_path, monkeypatch):
    """The README's speed block: met / not met follow the numbers, both ways."""
    sys.path.insert(0, str(ROOT / "scripts" / "tools"))
    import findings

    _pipeline_files(tmp_path / "fast", wall=290.0, peak=900.0, compile_frac=0.1)
    _pipeline_files(tmp_path / "slow", wall=3000.0, peak=1500.0, compile_frac=0.4)
    monkeypatch.setattr(findings, "BENCHMARKS", tmp_path / "fast")
    fast = findings.render_pipeline()
    monkeypatch.setattr(findings, "BENCHMARKS", tmp_path / "slow")
    slow = findings.render_pipeline()
    assert "**4 min 50 s wall**" in fast and "**50 min 00 s wall**" in slow
    assert fast.count("**not met**") == 0 and slow.count("**not met**") == 3
    assert "10.0× the target" in slow and "| train | 36 | 640 | 67% | 600 | 1500 |" in slow


def test_snapshot_records_the_timed_runs_provenance(tmp_path, monkeypatch):
    """findings.py snapshot --run-info: the commit, tree state, machine, date and wall
    time are the timed run's (it may have run in another checkout), not this one's;
    a run of another configuration is refused before anything is copied."""
    import json

    sys.path.insert(0, str(ROOT / "scripts" / "tools"))
    import findings

    results = tmp_path / "elsewhere" / "results"
    (results / "tables").mkdir(parents=True)
    (results / "tables" / "claims.csv").write_text("claim\n1\n")
    info = tmp_path / "pipeline.json"
    run = dict(config="config/config.yaml", commit="0123abcd", dirty=False,
               machine="2 cores (test)", wall_seconds=3518.3,
               date="2026-12-03T19:10:09+00:00")  # fmt: skip
    info.write_text(json.dumps(run))
    monkeypatch.setattr(findings, "FINDINGS", tmp_path / "findings")
    assert findings.main(["snapshot", str(results), "--run-info", str(info)]) == 0
    prov = json.loads((tmp_path / "findings" / "provenance.json").read_text())
    assert {k: prov[k] for k in run if k != "config"} == {
        k: v for k, v in run.items() if k != "config"
    }
    assert prov["tables"] == ["claims.csv"]
    info.write_text(json.dumps(run | {"config": "config/test.yaml"}))
    (tmp_path / "findings" / "claims.csv").unlink()
    with pytest.raises(SystemExit, match="that run used config/test.yaml"):
        findings.main(["snapshot", str(results), "--run-info", str(info)])
    assert not (tmp_path / "findings" / "claims.csv").exists()
    with pytest.raises(SystemExit, match="writes to 'results'"):  # without it: this checkout's
        findings.main(["snapshot", str(results)])


def _scale_files(folder: Path, step: float, score_run: float, shift_run: float) -> None:
    folder.mkdir(parents=True)
    case = "SELBO step, 266 qubits, N_qc 1000, m 1000"
    run = "gaussian run, 42 bits, SELBO, N_qc 1000, 1000 steps"
    pd.DataFrame(
        [
            dict(case=case, variant="  sampling the 2P+1 circuits (MPS)", seconds=step / 2,
                 repeats=1, note=""),
            dict(case=case, variant="shift estimator, all 2P+1 circuits (total)", seconds=step,
                 repeats=1, note=""),
            dict(case=run, variant="score estimator", seconds=score_run, repeats=1,
                 note="measured"),
            dict(case=run, variant="shift estimator", seconds=shift_run, repeats=1,
                 note="10 steps timed, scaled to 1000"),
        ]
    ).to_csv(folder / "scale.csv", index=False)  # fmt: skip
    info = {"date": "2026-12-04T00:00:00+00:00", "commit": "abcdef0123", "machine": "x",
            "cpus": 1, "targets": {"step_266_seconds": 1.0, "run_42_seconds": 120.0}}  # fmt: skip
    (folder / "scale.json").write_text(json.dumps(info))


def test_scale_block_states_each_target_as_measured(tmp_path, monkeypatch):
    """The scale targets: met / not met follow the numbers, both ways."""
    sys.path.insert(0, str(ROOT / "scripts" / "tools"))
    import findings

    _scale_files(tmp_path / "fast", step=0.5, score_run=60.0, shift_run=100.0)
    _scale_files(tmp_path / "slow", step=50.0, score_run=60.0, shift_run=2400.0)
    monkeypatch.setattr(findings, "BENCHMARKS", tmp_path / "fast")
    fast = findings.render_scale_bench()
    monkeypatch.setattr(findings, "BENCHMARKS", tmp_path / "slow")
    slow = findings.render_scale_bench()
    assert fast.count("**not met**") == 0 and fast.count("met (") == 3
    assert slow.count("**not met**") == 2 and "50× the target" in slow and "20× the target" in slow
    assert "| sampling the 2P+1 circuits (MPS) | 25 |" in slow
