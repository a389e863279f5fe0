"""Render the report's figures from the aggregated tables, each to the path it is given.

``--figure NAME PATH`` (repeated) names each figure and where it goes; the
workflow's ``FIGURES`` list (workflow/rules/common.smk) says which are made.
"""

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from qhnet.analysis import plots  # noqa: E402
from qhnet.cli import StepParser, existing_file, output_file  # noqa: E402


def main(argv=None):
    ap = StepParser(__doc__)
    ap.add_argument("--runs", required=True, type=existing_file, help="runs.parquet")
    ap.add_argument(
        "--trajectories", required=True, type=existing_file, help="trajectories.parquet"
    )
    ap.add_argument(
        "--landscapes", nargs="+", required=True, type=existing_file, help="landscape .npz files"
    )
    ap.add_argument(
        "--roughness", required=True, type=existing_file, help="roughness.csv (claim 2)"
    )
    ap.add_argument("--noise", type=existing_file, help="noise.csv (when the study ran)")
    ap.add_argument(
        "--hit-rates", type=existing_file, help="hit_rates.csv (when the trainability study ran)"
    )
    ap.add_argument(
        "--figure",
        nargs=2,
        action="append",
        required=True,
        metavar=("NAME", "PATH"),
        help=f"a figure to draw and its output path; NAME one of {', '.join(plots.FIGURES)}",
    )
    a = ap.parse_args(argv)
    for name, path in a.figure:
        if name not in plots.FIGURES:
            ap.error(f"--figure: unknown figure {name!r}; allowed: {', '.join(plots.FIGURES)}")
        output_file(path)
    tables = {
        "runs": pd.read_parquet(a.runs),
        "trajectories": pd.read_parquet(a.trajectories),
        "landscapes": a.landscapes,
        "roughness": pd.read_csv(a.roughness),
        "noise": pd.read_csv(a.noise) if a.noise else None,
        "hit_rates": pd.read_csv(a.hit_rates) if a.hit_rates else None,
    }
    for name, path in a.figure:
        plots.save_figure(plots.draw(name, tables), path)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
