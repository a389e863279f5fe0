"""Render every figure of the report from the aggregated tables (one PNG each)."""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from qhnet import plots  # noqa: E402
from qhnet.io import atomic_path  # noqa: E402


def save(fig, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    print(f"wrote {path}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--trajectories", required=True)
    ap.add_argument("--landscapes", nargs="+", required=True)
    ap.add_argument("--noise", default=None)
    ap.add_argument("--outdir", required=True)
    a = ap.parse_args(argv)
    out = Path(a.outdir)
    runs = pd.read_parquet(a.runs)
    save(plots.fig_accuracy_distributions(runs), out / "accuracy_distributions.png")
    save(plots.fig_accuracy_vs_lambda(runs), out / "accuracy_vs_lambda.png")
    save(plots.fig_selbo_bandwidth(runs), out / "selbo_bandwidth.png")
    save(plots.fig_landscapes(a.landscapes), out / "landscapes.png")
    save(plots.fig_training_curves(pd.read_parquet(a.trajectories)), out / "training_curves.png")
    if (runs["mode"] == "sampled").any():
        save(plots.fig_sampled_vs_exact(runs), out / "sampled_vs_exact.png")
    if a.noise:
        save(plots.fig_noise(pd.read_csv(a.noise)), out / "noise.png")


if __name__ == "__main__":
    main()
