"""Smoke test of ``scripts/tools/benchmark.py --quick``: it runs and writes a consistent table.

No timing assertions (the machine is shared and timings are the benchmark's job);
only that every path ran or was skipped for a stated reason, and that all paths
agree with qhnet on value and gradient.
"""

import csv
import math
import subprocess
import sys
from pathlib import Path

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
