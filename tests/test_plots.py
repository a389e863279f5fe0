"""qhnet.analysis.plots and the report notebook on synthetic results (generators in test_stats)."""

from __future__ import annotations

import html as html_lib
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import nbformat
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from test_stats import DATASETS, make_noise, make_results_dir, make_runs, make_trajectories

from qhnet.analysis import plots, stats
from qhnet.analysis.claims import claims

REPO_NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "report.ipynb"

pytestmark = pytest.mark.filterwarnings(
    "error::FutureWarning",
    "error::UserWarning",
    "ignore:vert. bool will be deprecated:PendingDeprecationWarning",  # inside seaborn 0.13
)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return make_results_dir(tmp_path_factory.mktemp("results"), n_seeds=6)


@pytest.fixture(scope="module")
def runs(results):
    return pd.read_parquet(results["runs_path"])


def _check(fig, n_axes: int, tmp_path, name: str, min_bytes: int = 5000) -> None:
    assert isinstance(fig, Figure)
    assert len(fig.axes) == n_axes
    path = plots.save_figure(fig, tmp_path / f"{name}.png")
    assert path.stat().st_size > min_bytes
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_accuracy_distributions(runs, tmp_path):
    fig = plots.fig_accuracy_distributions(runs)
    _check(fig, len(DATASETS), tmp_path, "dist")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    # MLE, ELBO λ=1, 1000, SELBO (h = n/4 only) λ=1, 1000
    assert labels == ["MLE", "ELBO λ=1", "ELBO λ=1000", "SELBO λ=1", "SELBO λ=1000"]
    texts = [t.get_text() for t in ax.texts]
    std_mle = runs[(runs["dataset"] == "gaussian") & (runs["arm"] == "mle")]["acc_test_expected"]
    assert texts[0].startswith(f"σ={std_mle.std(ddof=1):.3f}")
    assert sum("collapsed" in t for t in texts) == 2  # both λ = 1000


def test_accuracy_vs_lambda(runs, tmp_path):
    fig = plots.fig_accuracy_vs_lambda(runs)
    _check(fig, 3 * len(DATASETS), tmp_path, "lam")
    assert all(ax.get_xscale() == "log" for ax in fig.axes)
    assert "λ" in fig.axes[-1].get_xlabel()


def test_selbo_bandwidth(runs, tmp_path):
    fig = plots.fig_selbo_bandwidth(runs)
    _check(fig, 2 * len(DATASETS), tmp_path, "bw")
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "h = 2" in labels and any("n/4" in x for x in labels)


def test_landscapes(results, tmp_path):
    paths = sorted(results["landscape_dir"].glob("*.npz"))
    fig = plots.fig_landscapes(paths)
    _check(fig, 2 * 3 * len(DATASETS), tmp_path, "land")  # panels + colour bars
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0].startswith("gaussian · MLE") and "local minima" in titles[0]
    land = pd.read_csv(results["landscape_path"])
    rel = land.set_index(["dataset", "objective"]).at[
        ("gaussian", "elbo"), "rel_mean_abs_laplacian"
    ]
    assert f"{rel:.3g}" in titles[1]


def test_training_curves(results, tmp_path):
    traj = pd.read_parquet(results["trajectories_path"])
    assert plots.default_curve_arms(traj) == ["mle", "elbo_lam1", "selbo_lam1_hn4"]
    fig = plots.fig_training_curves(traj)
    _check(fig, 3 * len(DATASETS), tmp_path, "curves")
    assert len(fig.axes[0].lines) == 3
    # steps run to the longest seed: early-stopped seeds are carried forward
    assert fig.axes[0].lines[0].get_xdata().max() == traj["step"].max()


def test_training_curves_arm_names_only(runs, tmp_path):
    """The trajectories may carry only the arm name: objective, λ and h come from it."""
    traj = make_trajectories(runs).drop(columns=["objective", "lam", "h"])
    fig = plots.fig_training_curves(traj, arms=["mle", "selbo_lam1000_hn4"])
    _check(fig, 3 * len(DATASETS), tmp_path, "curves2")
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels[1].startswith("SELBO λ=1000 h=n/4")


def test_noise(runs, tmp_path):
    fig = plots.fig_noise(make_noise(runs))
    _check(fig, 2, tmp_path, "noise")  # MLE and SELBO
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["exact (state vector)", "noiseless", "fake_brisbane"]
    _check(plots.fig_noise(None), 1, tmp_path, "noise_none", min_bytes=1000)
    _check(plots.fig_noise(pd.DataFrame()), 1, tmp_path, "noise_empty", min_bytes=1000)


def test_sampled_vs_exact(runs, tmp_path):
    _check(plots.fig_sampled_vs_exact(runs), len(DATASETS), tmp_path, "sve")
    exact_only = runs[runs["mode"] == "exact"]
    _check(plots.fig_sampled_vs_exact(exact_only), 1, tmp_path, "sve_none", min_bytes=1000)


def test_single_dataset_and_missing_objectives(tmp_path):
    only = make_runs(n_seeds=4, datasets=("ring",), selbo={}, sampled={})
    _check(plots.fig_accuracy_distributions(only), 1, tmp_path, "d1")
    _check(plots.fig_accuracy_vs_lambda(only), 3, tmp_path, "l1")
    _check(
        plots.fig_selbo_bandwidth(only), 1, tmp_path, "b1", min_bytes=1000
    )  # placeholder: no SELBO


def test_config_label():
    assert plots.config_label("mle", np.nan) == "MLE"
    assert plots.config_label("elbo", 0.3) == "ELBO λ=0.3"
    assert plots.config_label("selbo", 10.0, "n/4", "sampled", with_h=True) == (
        "SELBO λ=10 h=n/4 (sampled)"
    )


# --------------------------------------------------------------------------- notebook


def _parameters(nb) -> dict:
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    ns: dict = {}
    exec(cell.source, ns)
    return {k: v for k, v in ns.items() if not k.startswith("__")}


def test_notebook_parameters_default_to_results():
    params = _parameters(nbformat.read(REPO_NOTEBOOK, as_version=4))
    paths = {k: v for k, v in params.items() if k.endswith(("_path", "_dir"))}
    assert set(paths) == {
        "runs_path",
        "variance_path",
        "trajectories_path",
        "landscape_path",
        "landscape_dir",
        "noise_path",
        "baselines_path",
        "hit_rates_path",
        "ablation_path",
        "claims_path",
        "by_optimizer_path",
        "roughness_path",
    }
    assert all(v.startswith("../results/") for v in paths.values())


@pytest.mark.pipeline
def test_notebook_executes_and_renders(tmp_path):
    paths = make_results_dir(tmp_path / "results", n_seeds=6)
    # the optional tables of the trainability study and the baselines, as their steps write them
    hits = pd.DataFrame(
        {
            "dataset": "moons",
            "optimizer": ["adam", "lbfgs"],
            "ansatz": "ry_chain",
            "layers": 1,
            "n_seeds": 4,
            "optimum_bce": 0.3,
            "hit_rate": [0.25, 0.5],
            "mode_hit_rate": [0.25, 0.5],
            "hit_tol": 1e-4,
        }
    )
    paths["hit_rates_path"] = tmp_path / "results" / "tables" / "hit_rates.csv"
    hits.to_csv(paths["hit_rates_path"], index=False)
    paths["baselines_path"] = "none"  # an optional table that is off renders a sentence
    args = []
    for name, value in paths.items():
        args += ["-p", name, str(value)]
    # the notebook renders the pipeline's claims.csv and never recomputes it
    want = claims(
        stats.load_table(paths["runs_path"]),
        stats.load_table(paths["roughness_path"]),
        stats.load_table(paths["noise_path"]),
    )
    Path(paths["claims_path"]).parent.mkdir(parents=True, exist_ok=True)
    want.to_csv(paths["claims_path"], index=False)
    before = Path(paths["claims_path"]).read_bytes()
    out = tmp_path / "report.ipynb"
    # the pipeline's own entry point: papermill (-k python3) then nbconvert --no-input
    subprocess.run(
        [
            sys.executable,
            str(REPO_NOTEBOOK.parents[1] / "scripts" / "render_notebook.py"),
            "--notebook",
            str(REPO_NOTEBOOK),
            "--executed",
            str(out),
            "--html",
            str(tmp_path / "report.html"),
            *args,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 9  # every figure: roughness, sampled-vs-exact, noise, hit rates
    assert Path(paths["claims_path"]).read_bytes() == before  # read, never written
    html = (tmp_path / "report.html").read_text()
    assert "Verdicts" in html and "supported" in html and "<img" in html
    assert "show_claim(" not in html  # --no-input: no code
    # every record of claims.csv is rendered: each comparison's text is in the report
    shown = html_lib.unescape(html)
    for text in want["comparison"]:
        assert text in shown, text


def test_verdict_map_draws_a_square_per_record_coloured_by_its_verdict():
    from qhnet.analysis.claims import claims_by_cell

    runs = make_runs(n_seeds=6)
    exact = runs[runs["mode"] == "exact"].assign(optimizer="lbfgs")
    both = pd.concat(
        [exact.assign(cell="a/L1"), exact.assign(cell="b/L2", acc_test_expected=0.5)],
        ignore_index=True,
    )
    vmap = claims_by_cell(both, ["cell", "optimizer"])
    rows = plots.verdict_map_rows(vmap)
    top = rows[rows["level"] == "claim"]
    assert len(top) == len(set(vmap["claim"]))  # one overall row per claim
    for _, g in rows.groupby("claim", sort=False):
        assert g["level"].iloc[-1] == "claim"  # the datasets, then the overall row
    fig = plots.fig_verdict_map(vmap)
    ax = fig.axes[0]
    squares = [p for p in ax.patches if p.get_width() == 1]
    n = len(vmap[vmap["level"].isin(["dataset", "claim"])])
    assert len(squares) == n
    colours = {matplotlib.colors.to_hex(p.get_facecolor()) for p in squares}
    assert colours <= {c.lower() for c in plots.VERDICT_COLOURS.values()}
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a\nL1", "b\nL2"]
    assert isinstance(plots.fig_verdict_map(None), Figure)  # a placeholder, not an error
