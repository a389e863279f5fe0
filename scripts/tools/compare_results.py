"""Compare the tables of two results directories, number by number.

Usage: ``python scripts/tools/compare_results.py RESULTS_A RESULTS_B``. Every
table under ``tables/`` (and every per-batch metrics file under ``runs/``) that
both directories hold is compared column by column: numbers to ``--rtol`` /
``--atol`` (exact by default), everything else for equality. Timing columns
(``seconds``) are ignored. Exit status 0 when everything matches, 1 otherwise,
with one line per difference. Use it to show that a change of structure left
the numbers alone, or that a rerun reproduces a run bit for bit.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

IGNORED = {"seconds"}


def read(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def compare_frames(a: pd.DataFrame, b: pd.DataFrame, rtol: float, atol: float) -> list[str]:
    """Differences between two tables, as readable lines (empty when they match)."""
    out = []
    cols_a, cols_b = set(a.columns) - IGNORED, set(b.columns) - IGNORED
    if cols_a != cols_b:
        out.append(
            f"columns differ: only A {sorted(cols_a - cols_b)}, only B {sorted(cols_b - cols_a)}"
        )
    if len(a) != len(b):
        return [*out, f"row counts differ: {len(a)} vs {len(b)}"]
    for col in sorted(cols_a & cols_b):
        x, y = a[col], b[col]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            xv, yv = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
            same = np.isclose(xv, yv, rtol=rtol, atol=atol, equal_nan=True)
            if not same.all():
                i = int(np.flatnonzero(~same)[0])
                out.append(
                    f"{col}: {int((~same).sum())} of {len(same)} differ "
                    f"(first at row {i}: {xv[i]!r} vs {yv[i]!r})"
                )
        elif not x.fillna("<NA>").astype(str).equals(y.fillna("<NA>").astype(str)):
            i = int(np.flatnonzero(x.fillna("<NA>").astype(str) != y.fillna("<NA>").astype(str))[0])
            out.append(f"{col}: values differ (first at row {i}: {x.iloc[i]!r} vs {y.iloc[i]!r})")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("a", type=Path, help="first results directory")
    ap.add_argument("b", type=Path, help="second results directory")
    ap.add_argument("--rtol", type=float, default=0.0, help="relative tolerance (default 0)")
    ap.add_argument("--atol", type=float, default=0.0, help="absolute tolerance (default 0)")
    a = ap.parse_args(argv)
    files = sorted(
        p.relative_to(a.a)
        for pattern in ("tables/*.csv", "tables/*.parquet", "runs/**/*.parquet", "noise/*.csv")
        for p in a.a.glob(pattern)
    )
    if not files:
        print(f"no tables under {a.a}", file=sys.stderr)
        return 1
    bad = 0
    for rel in files:
        other = a.b / rel
        if not other.exists():
            print(f"{rel}: missing in {a.b}")
            bad += 1
            continue
        diffs = compare_frames(read(a.a / rel), read(other), a.rtol, a.atol)
        for d in diffs:
            print(f"{rel}: {d}")
        bad += bool(diffs)
    print(f"{len(files) - bad} of {len(files)} tables match")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
