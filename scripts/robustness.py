"""The robustness study's tables and map: claims 1, 3–6 decided in every cell.

Reads every training output of the study (each row carries its cell: ansatz,
layers, n_train, likelihood, optimizer), writes the tidy runs table, the verdict
map (``claims.csv``'s columns, a row per record per cell, the cell's factors and
its ``cell`` path first), the map's figure, and the λ-schedule table (each
schedule and the validation-chosen λ against MLE and the best fixed λ, per cell).
"""

import pandas as pd

from qhnet.analysis.claims import claims_by_cell
from qhnet.analysis.plots import fig_verdict_map, save_figure
from qhnet.analysis.schedules import schedule_table
from qhnet.cli import StepParser, add_verdict_options, existing_file, output_file, verdict_settings
from qhnet.experiments.config import CELL_KEYS, cell_path
from qhnet.io import write_frame


def main(argv=None):
    ap = StepParser(__doc__)
    ap.add_argument(
        "--metrics", nargs="+", required=True, type=existing_file, help="the cells' run metrics"
    )
    add_verdict_options(ap)
    ap.add_argument("--runs-out", required=True, type=output_file, help="output: runs.parquet")
    ap.add_argument("--map-out", required=True, type=output_file, help="output: verdict_map.csv")
    ap.add_argument("--figure", required=True, type=output_file, help="output: the map (.png)")
    ap.add_argument(
        "--schedules-out", required=True, type=output_file, help="output: schedules.csv"
    )
    a = ap.parse_args(argv)
    settings = verdict_settings(a)
    runs = pd.concat([pd.read_parquet(p) for p in a.metrics], ignore_index=True)
    runs.insert(0, "cell", [cell_path(dict(zip(CELL_KEYS, r, strict=True))) for r in
                            runs[list(CELL_KEYS)].itertuples(index=False)])  # fmt: skip
    vmap = ap.check(claims_by_cell, runs, ["cell", *CELL_KEYS], settings)
    sched = ap.check(schedule_table, runs, ["cell", *CELL_KEYS], settings)
    write_frame(runs, a.runs_out)
    write_frame(vmap, a.map_out)
    write_frame(sched, a.schedules_out)
    save_figure(fig_verdict_map(vmap), a.figure)
    top = vmap[vmap["level"] == "claim"].pivot(index="claim", columns="cell", values="verdict")
    with pd.option_context("display.width", 250, "display.max_columns", 50):
        print(top)


if __name__ == "__main__":
    main()
