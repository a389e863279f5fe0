"""Execute a parameterised notebook with papermill and render it to HTML (no input cells).

Paths given with -p are made absolute, because papermill runs the kernel in the
notebook's own directory. Outputs are written atomically.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from qhnet.cli import StepParser, existing_file, output_file
from qhnet.io import atomic_path


def main(argv=None):
    ap = StepParser(__doc__)
    ap.add_argument("--notebook", required=True, type=existing_file, help="notebook to run")
    ap.add_argument("--executed", required=True, type=output_file, help="output: executed .ipynb")
    ap.add_argument("--html", required=True, type=output_file, help="output: rendered HTML")
    ap.add_argument(
        "-p",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a notebook parameter (paths that exist are made absolute)",
    )
    a = ap.parse_args(argv)
    params = []
    for name, value in a.p:
        v = str(Path(value).resolve()) if os.path.exists(value) else value
        params += ["-p", name, v]
    with tempfile.TemporaryDirectory() as tmp:
        executed = Path(tmp) / "report.ipynb"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "papermill",
                "-k",
                "python3",
                "--cwd",
                str(Path(a.notebook).parent.resolve()),
                a.notebook,
                str(executed),
                *params,
            ],
            check=True,
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "jupyter",
                "nbconvert",
                "--to",
                "html",
                "--no-input",
                "--output-dir",
                tmp,
                "--output",
                "report",
                str(executed),
            ],
            check=True,
        )
        with atomic_path(a.executed) as out:
            shutil.copyfile(executed, out)
        with atomic_path(a.html) as out:
            shutil.copyfile(Path(tmp) / "report.html", out)


if __name__ == "__main__":
    main()
