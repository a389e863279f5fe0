"""The scale study through Snakemake on a tiny configuration, and its configuration checks."""

from __future__ import annotations

import sys

import pandas as pd
import pytest
import yaml
from conftest import REPO, make_workdir, snakemake

from qhnet.analysis.scale import scale_summary, scale_text
from qhnet.experiments.config import ConfigError, check_config
from qhnet.experiments.scale import SCALE_COLUMNS, run_arm
from qhnet.model.datasets import make_dataset

sys.path.insert(0, str(REPO / "scripts" / "tools"))
from check_config import resolve  # noqa: E402

CONFIG = "config/scale-test.yaml"


def _config() -> dict:
    """config/scale.yaml, tiny: two problems (one beyond 63 bits), few seeds and steps."""
    cfg = yaml.safe_load((REPO / "config" / "scale.yaml").read_text())
    cfg["data"] = {"n_train": 40, "n_test": 60}
    sc = cfg["scale"]
    sc["problems"] = [
        {"dataset": "gaussian", "hidden": 3},
        {"dataset": "digits01_8x8", "hidden": 1},
    ]
    sc["arms"] = [a for a in sc["arms"] if a["name"] in ("selbo_lam10_hn4", "mean_field_elbo_lam1",
                                                         "straight_through")]  # fmt: skip
    for a in sc["arms"]:
        if a["name"] == "selbo_lam10_hn4":
            a["h"] = "sqrt(n)"  # an expression the shell must not see bare
    sc.update(seeds=2, shots=16, max_steps=6, ste_steps=20)
    return cfg


@pytest.mark.pipeline
def test_scale_study_runs_to_its_tables_and_report(tmp_path):
    wd = make_workdir(tmp_path / "wd")
    (wd / CONFIG).write_text(yaml.safe_dump(_config(), sort_keys=False))
    out = snakemake(wd, "--cores", "2", "--configfile", CONFIG, timeout=900)
    assert out.returncode == 0, (out.stdout + out.stderr)[-4000:]
    r = wd / "results" / "scale"
    runs = pd.read_csv(r / "tables" / "scale_runs.csv")
    summary = pd.read_csv(r / "tables" / "scale.csv")
    assert list(runs.columns) == list(SCALE_COLUMNS)
    assert sorted(set(runs["n_bits"])) == [14, 68]  # (2+2)*3+2 and (64+2)*1+2
    assert len(runs) == 2 * 3 * 2 and len(summary) == 2 * 3
    assert runs["acc_test_mode"].between(0, 1).all()
    assert not (r / "tables" / "claims.csv").exists()  # the reproduction is not built
    html = (r / "report" / "scale.html").read_text()
    assert "beyond enumeration" in html and "digits01_8x8, 1 hidden units (68 bits)" in html
    # Snakemake's report describes this study, not the reproduction
    rep = snakemake(wd, "--configfile", CONFIG, "--report", "scale-report.html", timeout=300)
    assert rep.returncode == 0, (rep.stdout + rep.stderr)[-4000:]
    text = (wd / "scale-report.html").read_text()
    assert "The scale study" in text and "digits01_8x8 at 1 hidden units" in text
    assert "every BiNN is enumerated once per dataset" not in text
    # a rerun of one arm gives the same numbers (seeded shots)
    again = snakemake(wd, "--cores", "1", "--configfile", CONFIG, "--forcerun", "scale_train",
                      "--allowed-rules", "scale_train", "scale_table", timeout=900)  # fmt: skip
    assert again.returncode == 0, (again.stdout + again.stderr)[-4000:]
    cols = ["ell_train", "acc_test_expected", "acc_test_mode", "entropy_est"]
    rerun = pd.read_csv(r / "tables" / "scale_runs.csv")
    pd.testing.assert_frame_equal(rerun[cols], runs[cols])


def _checked(**scale):
    cfg = resolve(REPO / "config" / "scale.yaml")
    cfg["scale"].update(scale)
    check_config(cfg)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"gradient": "shift"}, r"'scale.arms\[2\].objective': elbo needs scale.gradient 'score'"),
        ({"arms": [{"name": "a", "method": "straight_through", "lam": 1}]},
         r"'scale.arms\[0\].lam': straight_through trains no objective"),
        ({"arms": [{"name": "a", "method": "circuit"}]},
         r"'scale.arms\[0\].objective': required for circuit and mean_field"),
        ({"arms": [{"name": "a", "method": "circuit", "objective": "selbo", "lam": 1}]},
         r"'scale.arms\[0\].h': required for objective 'selbo'"),
        ({"arms": [{"name": "a", "method": "circuit", "objective": "mle", "lam": 1}]},
         r"'scale.arms\[0\].lam': objective 'mle' has no lam"),
        ({"arms": [{"name": "a", "method": "straight_through"}] * 2}, r"names an arm twice"),
        ({"problems": [{"dataset": "moons", "hidden": 2}] * 2}, r"lists a problem twice"),
    ],
)  # fmt: skip
def test_bad_scale_configs_are_refused_with_the_key(change, message):
    with pytest.raises(ConfigError, match=message):
        _checked(**change)


def test_scale_and_robustness_are_separate_runs():
    cfg = resolve(REPO / "config" / "scale.yaml")
    cfg["robustness"]["enabled"] = True
    with pytest.raises(ConfigError, match="'scale.enabled': the scale and robustness studies"):
        check_config(cfg)


def test_a_bad_config_stops_snakemake_before_any_job(workdir):
    cfg = _config()
    cfg["scale"]["gradient"] = "shift"
    (workdir / CONFIG).write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = snakemake(workdir, "-n", "--configfile", CONFIG)
    assert out.returncode != 0
    assert "elbo needs scale.gradient 'score'" in out.stdout + out.stderr
    assert not (workdir / "results").exists()


def test_arms_share_seeds_and_the_summary_reads_them():
    data = make_dataset("moons", n_train=30, n_test=30, seed=0)
    kw = dict(seeds=(0, 1), shots=8, max_steps=3)
    a = run_arm(data, 2, "mle", "circuit", objective="mle", **kw)
    b = run_arm(data, 2, "mf", "mean_field", objective="elbo", lam=1.0, **kw)
    c = run_arm(data, 2, "ste", "straight_through", seeds=(0, 1), ste_steps=5)
    runs = pd.concat([a, b, c], ignore_index=True)
    assert list(runs["seed"]) == [0, 1] * 3 and (runs["n_bits"] == 10).all()
    assert (c["acc_test_expected"] == c["acc_test_mode"]).all()
    s = scale_summary(runs)
    assert list(s["arm"]) == ["mle", "mf", "ste"] and (s["runs"] == 2).all()
    text = scale_text(s)
    assert text.startswith("- **moons, 2 hidden units (10 bits)**") and "ste" in text
    with pytest.raises(ValueError, match="runs lacks columns"):
        scale_summary(runs.drop(columns="seed"))
