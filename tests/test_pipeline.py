"""Snakemake for real: the tiny config end to end, the report, and a full-config dry run."""

import re
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, make_workdir, snakemake

from qhnet.analysis.claims import claims as compute_claims
from qhnet.analysis.stats import variance_table
from qhnet.analysis.verdicts import RECORD_FIELDS
from qhnet.experiments.config import ablation_settings
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
    expected = {
        (d, o if a.mode == "exact" else "adam", a.arm, s)
        for d in cfg["datasets"]
        for o in cfg["optimizers"]
        for a in arms
        for s in cfg["seeds"]
    }
    got = set(zip(runs["dataset"], runs["optimizer"], runs["arm"], runs["seed"], strict=True))
    assert got == expected and len(runs) == len(expected)
    for col in ("ansatz", "layers", "likelihood", "best_objective", "best_step"):
        assert runs[col].notna().all(), col
    exact = runs["mode"] == "exact"
    hit = runs.loc[exact, "steps_to_optimum"].dropna()
    assert (hit <= runs.loc[hit.index, "steps"]).all()
    assert (runs.loc[exact, "best_objective"] >= runs.loc[exact, "objective_last"] - 1e-12).all()
    assert not list((tiny_run / "results/runs").rglob("*.ckpt"))  # removed with the outputs
    assert runs.loc[runs["objective"] == "mle", "lam"].isna().all()
    assert (runs["acc_test_expected"].between(0, 1)).all()
    exact = runs["mode"] == "exact"
    budget = np.where(
        runs.loc[exact, "optimizer"] == "lbfgs",
        cfg["training"]["lbfgs"]["max_steps"],
        cfg["training"]["max_steps"],
    )
    assert (runs.loc[exact, "steps"] <= budget).all()
    assert (runs.loc[~exact, "steps"] == sp["max_steps"]).all()


def test_variance_statistics_match_recomputation(tiny_run):
    runs = pd.read_parquet(tiny_run / "results/tables/runs.parquet")
    var = pd.read_csv(tiny_run / "results/tables/variance.csv")
    for (opt, arm, metric), grp in var.groupby(["optimizer", "arm", "metric"]):
        x = runs.loc[(runs["arm"] == arm) & (runs["optimizer"] == opt), metric].to_numpy()
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
    "roughness",
    "training_curves",
    "sampled_vs_exact",
    "noise",
    "hit_rates",
}


def test_figures_and_report_exist(tiny_run):
    pngs = {p.stem: p for p in (tiny_run / "results/figures").glob("*.png")}
    assert set(pngs) == FIGURES  # the tiny config enables the sampled arm and the noise study
    for png in pngs.values():
        assert png.stat().st_size > 5000, png
    html = (tiny_run / "results/report/report.html").read_text()
    assert "<html" in html.lower() and len(html) > 50_000


def as_text(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as its text, missing values as "" (a CSV round trip keeps neither dtype)."""
    return df.astype(object).where(df.notna(), "").astype(str)


def test_claims_table_is_what_the_tables_give(tiny_run):
    """Every claim is present, and recomputing it from the pipeline's tables gives the file."""
    t = tiny_run / "results/tables"
    claims = pd.read_csv(t / "claims.csv")
    overall = claims[claims["level"] == "claim"]
    want = ["1", "2", "3", "4a", "4b", "5", "6", "sampled", "noise"]
    assert list(overall["claim"].astype(str)) == want
    assert list(claims.columns) == ["claim", "text", *RECORD_FIELDS[1:]]
    assert set(claims["verdict"]) <= {"supported", "refuted", "cannot tell"}
    runs = pd.read_parquet(t / "runs.parquet")
    assert set(runs["optimizer"]) == {"adam", "lbfgs"}  # claims use one, never both pooled
    optimizer = yaml.safe_load((REPO / "config/test.yaml").read_text())["training"]["optimizer"]
    again = compute_claims(
        runs, pd.read_csv(t / "roughness.csv"), pd.read_csv(t / "noise.csv"), optimizer=optimizer
    )
    pd.testing.assert_frame_equal(as_text(claims), as_text(again), check_exact=True)


def test_claims_under_each_optimizer_agree_with_claims_csv(tiny_run):
    """Claims 1, 3-6 once per optimiser; those of training.optimizer are claims.csv's."""
    t = tiny_run / "results/tables"
    cfg = _test_config()
    by = pd.read_csv(t / "claims_by_optimizer.csv")
    top = by[by["level"] == "claim"]
    for optimizer in cfg["optimizers"]:
        got = list(top.loc[top["optimizer"] == optimizer, "claim"].astype(str))
        assert got == ["1", "3", "4a", "4b", "5", "6"]
    claims = pd.read_csv(t / "claims.csv")
    mine = by[by["optimizer"] == cfg["training"]["optimizer"]].drop(columns="optimizer")
    same = claims[claims["claim"].astype(str).isin(["1", "3", "4a", "4b", "5", "6"])]
    pd.testing.assert_frame_equal(
        as_text(mine.reset_index(drop=True)), as_text(same.reset_index(drop=True)), check_exact=True
    )
    html = (tiny_run / "results/report/report.html").read_text()
    assert "The same claims under each optimiser" in html


def test_pipeline_profile_accounts_for_every_job(tiny_run, tmp_path):
    """scripts/tools/pipeline_profile.py: one row per rule, every job's record counted."""
    out = tmp_path / "profile.csv"
    tool = REPO / "scripts" / "tools" / "pipeline_profile.py"
    proc = subprocess.run(
        [sys.executable, str(tool), "results", "--out", str(out)],
        cwd=tiny_run,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    t = pd.read_csv(out).set_index("rule")
    assert t["jobs"].sum() == len(list((tiny_run / "results/benchmarks").rglob("*.tsv")))
    runs = len(list((tiny_run / "results/runs").rglob("*.metrics.parquet")))
    assert t.at["train", "jobs"] + t.at["train_sampled", "jobs"] == runs
    for rule in ("train", "train_sampled", "trainability"):
        assert 0 < t.at[rule, "outside_loop_frac"] < 1
    for rule in ("train", "trainability"):  # sampled runs record no compile time
        assert 0 <= t.at[rule, "compile_frac"] < 1
    assert t.at["aggregate", "jobs"] == 1 and pd.isna(t.at["aggregate", "outside_loop_frac"])
    assert "| all |" in proc.stdout


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
        # the workflow description is the reproduction's (the studies have their own)
        text = "".join(
            z.read(n).decode("utf-8", "replace") for n in names if n.endswith((".html", ".js"))
        )
    assert "every BiNN is enumerated once per dataset" in text
    assert "The scale study" not in text


def test_rerun_is_up_to_date_and_one_output_can_be_rebuilt(tiny_run):
    out = snakemake(tiny_run, "-n", "--cores", "1", "--configfile", "config/test.yaml")
    assert out.returncode == 0 and "Nothing to be done" in out.stdout + out.stderr
    target = "results/runs/moons/lbfgs/elbo/s0-1.metrics.parquet"  # every ELBO λ
    before = pd.read_parquet(tiny_run / target)
    out = snakemake(
        tiny_run, target, "--cores", "1", "--configfile", "config/test.yaml", "--forcerun", target
    )
    assert out.returncode == 0, out.stderr[-3000:]
    after = pd.read_parquet(tiny_run / target)
    timing = ["seconds", "compile_seconds", "seconds_to_optimum"]
    pd.testing.assert_frame_equal(
        before.drop(columns=timing), after.drop(columns=timing)
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
    # one job per arm group: MLE, every ELBO λ, every SELBO λ of one bandwidth
    objs = cfg["objectives"]
    n_groups = ("mle" in objs) + ("elbo" in objs) + ("selbo" in objs) * len(cfg["bandwidths"])
    assert len(arms) > n_groups
    n_train = len(cfg["datasets"]) * len(cfg["optimizers"]) * n_groups * n_batches
    assert m and int(m.group(1)) == n_train
    tb = cfg["trainability"]
    n_cells = len(_trainability_cells(tb))
    assert re.search(rf"^trainability\s+{n_cells}$", text, re.M)
    n_data = len(set(cfg["datasets"]) | set(tb["datasets"]))
    assert re.search(rf"^dataset\s+{n_data}$", text, re.M)
    assert re.search(rf"^enumerate_binns\s+{n_data}$", text, re.M)
    # the SELBO ablation: each other m and N_qc, every dataset and sampled seed batch
    sp = cfg["sampled"]
    n_sbatch = -(-len(cfg["seeds"]) // sp["seeds_per_job"])
    n_ab = len(ablation_settings(sp)) * len(cfg["datasets"]) * n_sbatch
    assert n_ab > 0 and re.search(rf"^ablation_train\s+{n_ab}$", text, re.M)


def test_baselines_table_sits_beside_the_circuit(tiny_run):
    cfg = _test_config()
    t = pd.read_csv(tiny_run / "results/tables/baselines.csv")
    lams = cfg["baselines"]["lams"]
    named = [("mle" if lam == 0 else f"elbo_lam{lam:g}") for lam in lams]
    methods = {"annealing", "straight_through", "exhaustive"}
    methods |= {f"mean_field_{a}" for a in named} | {f"circuit_{a}" for a in named}
    for d in cfg["datasets"]:
        g = t[t["dataset"] == d].set_index("method")
        assert set(g.index) == methods
        assert g.at["exhaustive", "hit_rate"] == 1.0 and g.at["exhaustive", "n_seeds"] == 1
        assert (g.drop(index="exhaustive")["n_seeds"] == len(cfg["seeds"])).all()
        assert g["hit_rate"].between(0, 1).all()
        # a point estimate: expected, mode and BMA accuracies of its network agree
        for m in ("annealing", "straight_through", "exhaustive"):
            assert g.at[m, "mean_acc_test_expected"] == pytest.approx(g.at[m, "mean_acc_test_mode"])
    html = (tiny_run / "results/report/report.html").read_text()
    assert "Classical baselines beside the circuit" in html and "straight_through" in html


def _trainability_cells(tb):
    """(dataset, optimizer, ansatz, layers) of the study; datasets_by_ansatz narrows an ansatz."""
    only = tb.get("datasets_by_ansatz", {})
    return {
        (d, o, a, L)
        for a in tb["ansatze"]
        for d in tb["datasets"]
        if d in only.get(a, tb["datasets"])
        for o in tb["optimizers"]
        for L in tb["layers"]
    }


def test_selbo_ablation_table_pairs_each_setting_with_the_exact_twin(tiny_run):
    """Each (m, N_qc) of the ablation and the sampled arm's own, on every seed, with its
    twin's numbers: exact SELBO at the arm's λ and h under Adam."""
    cfg = _test_config()
    sp = cfg["sampled"]
    t = pd.read_csv(tiny_run / "results/tables/selbo_ablation.csv", dtype={"prior_samples": str})
    want = [*ablation_settings(sp), (str(sp["prior_samples"]), sp["shots"])]
    assert sorted(zip(t["prior_samples"], t["shots"], strict=True)) == sorted(want)
    assert (t["n_runs"] == len(cfg["seeds"])).all()
    runs = pd.read_parquet(tiny_run / "results/tables/runs.parquet")
    twin = runs[(runs["arm"] == "selbo_lam10_hn4") & (runs["optimizer"] == "adam")]
    assert np.allclose(t["twin_acc"], twin["acc_test_expected"].mean())
    ab = pd.concat(
        pd.read_parquet(p) for p in (tiny_run / "results/ablation").rglob("*.metrics.parquet")
    )
    assert set(ab["prior_samples"]) == {m for m, _ in ablation_settings(sp)}
    for (m, n), g in ab.groupby(["prior_samples", "shots"]):
        row = t[(t["prior_samples"] == m) & (t["shots"] == n)].iloc[0]
        assert row["mean_acc"] == pytest.approx(g["acc_test_expected"].mean())
    assert "SELBO ablation" in (tiny_run / "results/report/report.html").read_text()


def test_hit_rates_table(tiny_run):
    cfg = _test_config()["trainability"]
    t = pd.read_csv(tiny_run / "results/tables/hit_rates.csv")
    cells = _trainability_cells(cfg)
    assert ("moons", "adam", "brick", 1) in cells and ("digits01", "adam", "brick", 1) not in cells
    assert set(zip(t["dataset"], t["optimizer"], t["ansatz"], t["layers"], strict=True)) == cells
    assert (t["n_seeds"] == len(cfg["seeds"])).all()
    assert t["hit_rate"].between(0, 1).all() and t["mode_hit_rate"].between(0, 1).all()
    html = (tiny_run / "results/report/report.html").read_text()
    assert "The trainability study: does MLE reach the optimum?" in html
    digits = t[t["dataset"] == "digits01"]
    assert (digits["optimum_bce"] > 0).all() and digits["optimum_acc_test"].between(0.5, 1).all()


def test_killed_training_step_resumes_from_its_checkpoint(tiny_run, tmp_path):
    """The training step killed after its first checkpoint; rerunning the same
    command resumes, gives the uninterrupted numbers and removes the checkpoints."""
    import subprocess
    import sys
    import time

    r = tiny_run / "results"

    def command(out, ckpt_every):
        return [
            sys.executable, str(REPO / "scripts/train.py"),
            "--dataset", str(r / "datasets/moons.parquet"),
            "--table", str(r / "enumeration/moons.npz"),
            "--arms", "elbo_lam1", "--seeds", "0", "1", "--optimizer", "adam",
            "--ansatz", "ry_chain", "--layers", "1", "--likelihood", "sum", "--lr", "0.05",
            "--memory", "10", "--max-steps", "3000", "--min-steps", "3000",
            "--window-frac", "0.1", "--rtol", "0", "--gtol", "0", "--record-every", "10",
            "--checkpoint-dir", str(out / "ck"), "--checkpoint-every", str(ckpt_every),
            "--metrics", str(out / "m.parquet"), "--trajectory", str(out / "t.parquet"),
        ]  # fmt: skip

    ck = tmp_path / "ck"
    seed0 = ck / "elbo_lam1" / "seed0.npz"  # <checkpoint-dir>/<arm>/seed<k>.npz
    child = subprocess.Popen(command(tmp_path, 1), stdout=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while not seed0.is_file() and time.time() < deadline:
            time.sleep(0.02)
    finally:
        child.kill()
        child.wait()
    assert seed0.is_file() and not (tmp_path / "m.parquet").exists()
    again = subprocess.run(command(tmp_path, 1), capture_output=True, text=True)
    assert again.returncode == 0, again.stderr[-2000:]
    assert not ck.exists()
    whole_dir = tmp_path / "whole"
    whole_dir.mkdir()
    whole = subprocess.run(command(whole_dir, 0), capture_output=True, text=True)
    assert whole.returncode == 0, whole.stderr[-2000:]
    a, b = pd.read_parquet(tmp_path / "m.parquet"), pd.read_parquet(whole_dir / "m.parquet")
    assert a["resumed"].iloc[0] and not b["resumed"].any()
    for col in ("theta", "theta_last", "best_objective", "steps", "acc_test_expected"):
        assert a[col].tolist() == b[col].tolist(), col
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "t.parquet"), pd.read_parquet(whole_dir / "t.parquet")
    )


def test_pipeline_benchmark_floor_counts_every_exact_step(tiny_run):
    """bench_pipeline's arithmetic floor: every exact-mode run's steps, one timed
    value and gradient per (objective, ansatz, layers, n) setting."""
    sys.path.insert(0, str(REPO / "scripts" / "tools"))
    from bench_pipeline import floor_table

    r = tiny_run / "results"
    floor = floor_table(r)
    paths = [p for d in ("runs", "trainability") for p in (r / d).rglob("*.metrics.parquet")]
    runs = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
    exact = runs[runs["mode"] == "exact"]
    keys = ["objective", "ansatz", "layers", "n_qubits"]
    want = exact.groupby(keys)["steps"].agg(["size", "sum"]).reset_index()
    got = floor.sort_values(keys).reset_index(drop=True)
    assert got[keys].values.tolist() == want[keys].values.tolist()
    assert got["runs"].tolist() == want["size"].tolist()
    assert got["steps"].tolist() == want["sum"].tolist()
    assert (got["step_seconds"] > 0).all()
    assert np.allclose(got["floor_seconds"], got["steps"] * got["step_seconds"])
