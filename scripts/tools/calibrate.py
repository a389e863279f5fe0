"""Measure the verdict rules' error rates on simulated worlds: docs/benchmarks/calibration.csv.

    python scripts/tools/calibrate.py [--worlds 2000] [--out docs/benchmarks/calibration.csv]

The table is rendered into docs/verdicts.md by ``scripts/tools/findings.py render``;
tests/test_verdicts.py asserts the same rates on fewer worlds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from qhnet.analysis.calibration import calibration_table
from qhnet.io import write_frame

REPO = Path(__file__).resolve().parents[2]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worlds", type=int, default=2000, help="simulated worlds per row")
    ap.add_argument("--seed", type=int, default=0, help="seed of the simulation")
    ap.add_argument("--out", type=Path, default=REPO / "docs/benchmarks/calibration.csv")
    a = ap.parse_args(argv)
    table = calibration_table(worlds=a.worlds, seed=a.seed)
    write_frame(table, a.out)
    print(table[["test", "kind", "truth", "supported", "refuted", "false_rate"]].to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
