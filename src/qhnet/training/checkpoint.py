"""Checkpoints: the resumable state of one training run, written atomically.

A training loop saves its state every k steps (θ, optimiser state, step, random
generator state, the trajectory so far) with :meth:`Checkpoint.save`; when the
same run starts again it calls :meth:`Checkpoint.load` and continues from there,
and a resumed run must end bit-identical to an uninterrupted one. When the run's
outputs are written, :meth:`Checkpoint.remove` deletes the file.

A checkpoint belongs to one run configuration: the caller passes a
``fingerprint`` (any JSON-serialisable description of everything that determines
the run: objective, λ, h, table checksum, optimiser settings, seed, ...), and a
checkpoint whose fingerprint differs is ignored (and overwritten by the next
save), so a changed configuration never resumes from a stale state.

Files are ``.npz`` archives: arrays as stored, everything else as JSON in the
``__meta__`` entry. Writing goes through ``qhnet.io.atomic_path``, so a crash
during a save leaves the previous checkpoint intact.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from qhnet.io import atomic_path

_META = "__meta__"


def fingerprint(description: Any) -> str:
    """A short stable hash of a JSON-serialisable run description (keys sorted)."""
    text = json.dumps(description, sort_keys=True, default=_json_default)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def rng_state(rng: np.random.Generator) -> dict:
    """The complete state of a NumPy generator, as JSON-serialisable data."""
    return rng.bit_generator.state


def restore_rng(state: dict) -> np.random.Generator:
    """A generator continuing exactly where the one whose ``rng_state`` was saved stopped."""
    bit_generator = getattr(np.random, state["bit_generator"])()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


class Checkpoint:
    """The checkpoint file of one run; ``path`` None disables checkpointing.

    Parameters
    ----------
    path : path-like or None
        Where the checkpoint lives (its folder is created on the first save).
    fingerprint : str
        Identifies the run configuration (see :func:`fingerprint`).
    """

    def __init__(self, path: str | os.PathLike[str] | None, fingerprint: str):
        self.path = None if path is None else Path(path)
        self.fingerprint = str(fingerprint)

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def save(self, arrays: dict[str, np.ndarray], meta: dict | None = None) -> None:
        """Write ``arrays`` and ``meta`` atomically (replacing the previous checkpoint)."""
        if self.path is None:
            return
        if _META in arrays:
            raise ValueError(f"array name {_META!r} is reserved")
        payload = {"fingerprint": self.fingerprint, **(meta or {})}
        with atomic_path(self.path) as tmp, open(tmp, "wb") as fh:
            np.savez(
                fh,
                **{k: np.asarray(v) for k, v in arrays.items()},
                **{_META: np.asarray(json.dumps(payload, default=_json_default))},
            )

    def load(self) -> tuple[dict[str, np.ndarray], dict] | None:
        """(arrays, meta) of a checkpoint of this configuration, or None.

        None when there is no file, when it is unreadable (a file from a crash of
        another writer, or not a checkpoint) or when its fingerprint differs.
        """
        if self.path is None or not self.path.is_file():
            return None
        try:
            with np.load(self.path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files if k != _META}
                meta = json.loads(str(data[_META]))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None
        if meta.get("fingerprint") != self.fingerprint:
            return None
        return arrays, meta

    def remove(self) -> None:
        """Delete the checkpoint (and its folder, if that is left empty)."""
        if self.path is None:
            return
        self.path.unlink(missing_ok=True)
        try:
            self.path.parent.rmdir()
        except OSError:
            pass


def run_checkpoint_path(directory: str | os.PathLike[str], seed: int) -> Path:
    """Where the checkpoint of run ``seed`` lives inside a batch's checkpoint folder."""
    return Path(directory) / f"seed{int(seed)}.npz"


def remove_run_checkpoints(directory: str | os.PathLike[str] | None, seeds) -> None:
    """Delete the checkpoints of ``seeds`` (and the folder once empty): outputs are complete.

    Also removes the temporary file a process killed in the middle of a save leaves
    behind (``qhnet.io.atomic_path``).
    """
    if directory is None:
        return
    for seed in seeds:
        path = run_checkpoint_path(directory, seed)
        for stale in path.parent.glob(f".{path.name}.*.tmp"):
            stale.unlink(missing_ok=True)
        Checkpoint(path, "").remove()
