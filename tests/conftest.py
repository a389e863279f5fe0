"""Shared fixtures: a throwaway copy of the workflow to run Snakemake in, from a clean shell.

Snakemake runs as a user runs it on a fresh clone: ``.venv/bin/snakemake`` by its
path, with nothing activated. ``clean_env`` is the test process's environment
without the virtual environment on PATH (and without PYTHONPATH or VIRTUAL_ENV),
so that a rule calling a bare ``python`` gets the system interpreter and fails
here exactly as it would for a user, even when the developer running the tests
has the venv activated.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def clean_env(**extra: str) -> dict:
    """The environment of a shell where nothing is activated (plus ``extra``)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and Path(p) != BIN]
    env["PATH"] = os.pathsep.join(path)
    env.update(extra)
    return env


def make_workdir(path: Path) -> Path:
    """A working directory with the workflow, scripts, sources and configs linked in."""
    path.mkdir(parents=True, exist_ok=True)
    for name in ("workflow", "scripts", "notebooks", "src", "envs"):
        (path / name).symlink_to(REPO / name)
    shutil.copytree(REPO / "config", path / "config")
    return path


def snakemake(
    workdir: Path, *args: str, timeout: float = 900, env=None
) -> subprocess.CompletedProcess:
    """``.venv/bin/snakemake ARGS`` in ``workdir`` from a clean shell."""
    return subprocess.run(
        [str(BIN / "snakemake"), *args],
        cwd=workdir,
        env=clean_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def workdir(tmp_path) -> Path:
    return make_workdir(tmp_path / "wd")
