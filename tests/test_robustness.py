"""The robustness study through Snakemake on a tiny configuration (three cells)."""

from __future__ import annotations

import sys
from dataclasses import fields

import pandas as pd
import pytest
import yaml
from conftest import REPO, make_workdir, snakemake

from qhnet.analysis.claims import RUN_CLAIMS, Settings, claims
from qhnet.experiments.config import CELL_KEYS, cell_path, robustness_cells

sys.path.insert(0, str(REPO / "scripts" / "tools"))
from check_config import resolve  # noqa: E402

pytestmark = pytest.mark.pipeline

CONFIG = "config/robustness-test.yaml"


def _config() -> dict:
    """config/test.yaml with the study on: the base cell, depth 2, and Adam."""
    cfg = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    cfg["results"] = "results/robustness"
    cfg["data"]["n_val"] = 50
    cfg["robustness"] = {
        "enabled": True,
        "schedules": [{"kind": "linear", "start": 10, "end": 1},
                      {"kind": "exponential", "start": 10, "end": 0.5}],
        "base": {"ansatz": "ry_chain", "layers": 1, "n_train": 40, "likelihood": "sum",
                 "optimizer": "lbfgs"},
        "vary": {"layers": [2], "optimizer": ["adam"]},
    }  # fmt: skip
    return cfg


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    wd = make_workdir(tmp_path_factory.mktemp("robustness") / "wd")
    (wd / CONFIG).write_text(yaml.safe_dump(_config(), sort_keys=False))
    out = snakemake(wd, "--cores", "2", "--configfile", CONFIG, timeout=1200)
    assert out.returncode == 0, (out.stdout + out.stderr)[-4000:]
    return wd


def test_study_builds_its_tables_map_and_report_only(study):
    r = study / "results" / "robustness"
    for path in ("tables/verdict_map.csv", "tables/robustness_runs.parquet",
                 "tables/schedules.csv", "figures/verdict_map.png",
                 "report/robustness.html"):  # fmt: skip
        assert (r / path).is_file(), path
    assert not (r / "tables" / "claims.csv").exists()  # the reproduction is not built
    html = (r / "report" / "robustness.html").read_text()
    assert "Where each claim holds" in html and "Claim 1 (" in html
    assert "Choosing λ" in html and "validation-chosen λ" in html


def test_schedules_are_trained_in_every_cell_and_compared_with_fixed_lambda(study):
    r = study / "results" / "robustness"
    runs = pd.read_parquet(r / "tables/robustness_runs.parquet")
    sched = pd.read_csv(r / "tables/schedules.csv")
    scheduled = runs[runs["schedule"].fillna("") != ""]
    # ELBO and SELBO at both bandwidths under each schedule, every seed, every cell
    assert sorted(scheduled["arm"].unique()) == sorted(
        ["elbo_lam10_lin1", "elbo_lam10_exp0.5", "selbo_lam10_lin1_hn4",
         "selbo_lam10_lin1_h2", "selbo_lam10_exp0.5_hn4", "selbo_lam10_exp0.5_h2"]
    )  # fmt: skip
    assert (scheduled.groupby("cell")["arm"].nunique() == 6).all()
    assert runs["acc_val_expected"].between(0, 1).all()
    # a row per cell x dataset x family x strategy (two schedules and the validation choice)
    assert len(sched) == 3 * 1 * 3 * 3
    assert set(sched["strategy"]) == {
        "linear λ 10 → 1",
        "exponential λ 10 → 0.5",
        "validation-chosen λ",
    }
    assert (sched["n_runs"] == len(_config()["seeds"])).all()
    # the validation choice is one fixed-λ run per seed: its mean lies within the grid's
    for _, row in sched[sched["strategy"] == "validation-chosen λ"].iterrows():
        fam = runs[(runs["cell"] == row["cell"]) & (runs["objective"] == row["objective"])
                   & (runs["h_label"].fillna("").astype(str) == str(row["h_label"])
                      if row["objective"] == "selbo" else runs["objective"] == "elbo")
                   & (runs["schedule"].fillna("") == "")]  # fmt: skip
        per_seed = fam.groupby("seed")["acc_test_expected"]
        assert per_seed.min().mean() - 1e-12 <= row["mean_acc"] <= per_seed.max().mean() + 1e-12


def test_cells_are_columns_and_each_is_decided_from_its_own_runs(study):
    r = study / "results" / "robustness"
    runs = pd.read_parquet(r / "tables/robustness_runs.parquet")
    vmap = pd.read_csv(r / "tables/verdict_map.csv", dtype={"claim": str})
    rb = _config()["robustness"] | {"design": "one_at_a_time"}
    cells = [cell_path(c) for c in robustness_cells(rb)]
    assert len(cells) == 3
    assert list(pd.unique(vmap["cell"])) == cells
    assert list(vmap.columns[: 1 + len(CELL_KEYS)]) == ["cell", *CELL_KEYS]
    seeds = _config()["seeds"]
    analysis = resolve(study / CONFIG)["analysis"]
    settings = Settings(**{f.name: analysis[f.name] for f in fields(Settings)})
    for cell, g in runs.groupby("cell"):
        values = dict(zip(CELL_KEYS, cell_path_values(cell), strict=True))
        for k, v in values.items():
            assert (g[k].astype(str) == str(v)).all(), (cell, k)
        assert sorted(g["seed"].unique()) == seeds
        want = claims(g, settings=settings, optimizer=values["optimizer"])
        want = want[want["claim"].isin(RUN_CLAIMS)].reset_index(drop=True)
        got = vmap[vmap["cell"] == cell].drop(columns=["cell", *CELL_KEYS]).reset_index(drop=True)
        assert got["verdict"].tolist() == want["verdict"].tolist()
        assert got["comparison"].tolist() == want["comparison"].tolist()
    out = snakemake(study, "-n", "--cores", "1", "--configfile", CONFIG)
    assert out.returncode == 0 and "Nothing to be done" in out.stdout + out.stderr


def cell_path_values(cell: str) -> list:
    a, layers, n, lik, opt = cell.split("/")
    return [a, int(layers[1:]), int(n[1:]), lik, opt]
