"""Snakemake for real: the tiny config end to end, the report, and a full-config dry run."""

import re
import zipfile

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, make_workdir, snakemake

from qhnet.analysis import stats
from qhnet.analysis.stats import variance_table
from qhnet.experiments.sweep import exact_arms, sampled_arm
from qhnet.model.layout import n_bits

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    wd = make_workdir(tmp_path_factory.mktemp("pipeline") / "wd")
    out = snakemake(wd, "--cores", "2", "--configfile", "config/test.yaml", timeout=1200)
    assert out.returncode == 0, (out.stdout + out.stderr)[-4000:]
    return wd


def _test_config():
    return yaml.safe_load((REPO / "config" / "test.yaml").read_text())


def test_tidy_table_has_one_row_per_run(tiny_run):
    cfg = _test_config()
    runs = pd.read_parquet(tiny_run / "results/tables/runs.parquet")
    n = n_bits(cfg["model"]["hidden"])
    arms = exact_arms(cfg["objectives"], cfg["lambdas"], cfg["bandwidths"], n)
    sp = cfg["sampled"]
    arms += [sampled_arm(obj, sp["lam"], sp["bandwidth"], n) for obj in sp["objectives"]]
    expected = {(d, a.arm, s) for d in cfg["datasets"] for a in arms for s in cfg["seeds"]}
    got = set(zip(runs["dataset"], runs["arm"], runs["seed"], strict=True))
    assert got == expected and len(runs) == len(expected)
    assert runs.loc[runs["objective"] == "mle", "lam"].isna().all()
    assert (runs["acc_test_expected"].between(0, 1)).all()
    exact = runs["mode"] == "exact"
    assert (runs.loc[exact, "steps"] <= cfg["training"]["max_steps"]).all()
    assert (runs.loc[~exact, "steps"] == sp["max_steps"]).all()


def test_variance_statistics_match_recomputation(tiny_run):
    runs = pd.read_parquet(tiny_run / "results/tables/runs.parquet")
    var = pd.read_csv(tiny_run / "results/tables/variance.csv")
    for (arm, metric), grp in var.groupby(["arm", "metric"]):
        x = runs.loc[runs["arm"] == arm, metric].to_numpy()
        row = grp.iloc[0]
        assert row["n"] == len(x)
        assert row["mean"] == pytest.approx(x.mean())
        assert row["std"] == pytest.approx(x.std(ddof=1), abs=1e-12)
        assert row["max"] == pytest.approx(x.max())
    # the aggregation is deterministic: recomputing from the rows gives the same table
    again = variance_table(runs, n_boot=2000, seed=0)
    num = var.select_dtypes("number").columns
    np.testing.assert_allclose(
        again[num].to_numpy(dtype=float), var[num].to_numpy(dtype=float), equal_nan=True, rtol=1e-9
    )


FIGURES = {
    "accuracy_distributions",
    "accuracy_vs_lambda",
    "selbo_bandwidth",
    "landscapes",
    "training_curves",
    "sampled_vs_exact",
    "noise",
}


def test_figures_and_report_exist(tiny_run):
    pngs = {p.stem: p for p in (tiny_run / "results/figures").glob("*.png")}
    assert set(pngs) == FIGURES  # the tiny config enables the sampled arm and the noise study
    for png in pngs.values():
        assert png.stat().st_size > 5000, png
    html = (tiny_run / "results/report/report.html").read_text()
    assert "<html" in html.lower() and len(html) > 50_000


def test_claims_table_is_what_the_tables_give(tiny_run):
    """Every claim is present, and recomputing it from the pipeline's tables gives the file."""
    t = tiny_run / "results/tables"
    claims = pd.read_csv(t / "claims.csv")
    assert list(claims["claim"].astype(str)) == ["1", "2", "3", "4a", "4b", "5", "sampled", "noise"]
    assert set(claims["verdict"]) <= {"supported", "refuted", "cannot tell"}
    again = stats.claims(
        pd.read_parquet(t / "runs.parquet"),
        pd.read_csv(t / "variance.csv"),
        pd.read_csv(t / "landscape.csv"),
        pd.read_csv(t / "noise.csv"),
        n_boot=2000,
        seed=0,
    )
    pd.testing.assert_frame_equal(
        claims.astype(str), again.astype(str), check_dtype=False, check_exact=True
    )


def test_snakemake_report_builds(tiny_run):
    out = snakemake(
        tiny_run,
        "--cores",
        "1",
        "--configfile",
        "config/test.yaml",
        "--report",
        "results/report.zip",
    )
    assert out.returncode == 0, out.stderr[-3000:]
    with zipfile.ZipFile(tiny_run / "results/report.zip") as z:
        names = z.namelist()
    assert any(n.endswith("accuracy_distributions.png") for n in names)
    assert any(n.endswith("report.html") for n in names)


def test_rerun_is_up_to_date_and_one_output_can_be_rebuilt(tiny_run):
    out = snakemake(tiny_run, "-n", "--cores", "1", "--configfile", "config/test.yaml")
    assert out.returncode == 0 and "Nothing to be done" in out.stdout + out.stderr
    target = "results/runs/moons/mle/s0-1.metrics.parquet"
    before = pd.read_parquet(tiny_run / target)
    out = snakemake(
        tiny_run, target, "--cores", "1", "--configfile", "config/test.yaml", "--forcerun", target
    )
    assert out.returncode == 0, out.stderr[-3000:]
    after = pd.read_parquet(tiny_run / target)
    pd.testing.assert_frame_equal(
        before.drop(columns=["seconds"]), after.drop(columns=["seconds"])
    )  # same config and seeds → the same numbers


def test_full_config_dry_run_job_count(workdir):
    out = snakemake(workdir, "-n", "--cores", "16", timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    n = n_bits(cfg["model"]["hidden"])
    arms = exact_arms(cfg["objectives"], cfg["lambdas"], cfg["bandwidths"], n)
    n_batches = -(-len(cfg["seeds"]) // cfg["training"]["seeds_per_job"])
    text = out.stdout + out.stderr
    m = re.search(r"^train\s+(\d+)$", text, re.M)
    assert m and int(m.group(1)) == len(cfg["datasets"]) * len(arms) * n_batches
    assert re.search(r"^dataset\s+3$", text, re.M)
    assert re.search(r"^enumerate_binns\s+3$", text, re.M)
