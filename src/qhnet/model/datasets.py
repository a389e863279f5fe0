"""Binary classification datasets: three 2-D toy sets and two digits pairs.

Three 2-D generators (gaussian, moons, ring) with a seeded train/test split and
standardisation with the training statistics; two real datasets at 16 inputs
(``digits01``: 0 vs 1, ``digits38``: 3 vs 8) from scikit-learn's 8×8 digits
(shipped with scikit-learn, no download), 2×2 average-pooled to 4×4 and scaled
to [0, 1], and the same pairs at all 64 pixels (``digits01_8x8``,
``digits38_8x8``: BiNNs beyond enumeration); and an atomic Parquet round trip
that carries the parameters in the file's schema metadata.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from qhnet.io import atomic_path
from qhnet.validation import check_bool, check_choice, check_int, check_number, check_seed

#: The digit pairs: dataset name -> (digit labelled 0, digit labelled 1).
DIGIT_PAIRS = {
    "digits01": (0, 1),
    "digits38": (3, 8),
    "digits01_8x8": (0, 1),
    "digits38_8x8": (3, 8),
}
#: Side of the square average-pooling block of each digits dataset: 2 (4×4 =
#: 16 inputs, small enough to enumerate with logistic regression) or 1 (the full
#: 8×8 = 64 pixels, for BiNNs beyond enumeration: 64 → 4 → 1 is 266 bits).
DIGIT_POOL = {"digits01": 2, "digits38": 2, "digits01_8x8": 1, "digits38_8x8": 1}
DATASETS = ("gaussian", "moons", "ring", *DIGIT_PAIRS)

#: Default noise per dataset. For gaussian it is the per-coordinate VARIANCE
#: (binncode's recipe); for moons and ring it is sklearn's Gaussian noise std.
DEFAULT_NOISE = {"gaussian": 0.1, "moons": 0.1, "ring": 0.05}

#: Schema-metadata key under which the params dict is stored in Parquet files.
METADATA_KEY = b"qhnet"

_GAUSSIAN_CLASS0_MEAN = np.array([-1.0, -2.0])
_GAUSSIAN_CLASS1_MEANS = np.array([[-2.0, 1.0], [1.0, 1.0], [2.0, -2.0]])
_RING_FACTOR = 0.5
_SKLEARN_SEED_MAX = 2**31 - 1


@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test split and an optional validation split; params records how it
    was made (JSON-serialisable). Without a validation split ``X_val`` has no rows."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None

    def __post_init__(self):
        if self.X_val is None:
            object.__setattr__(self, "X_val", np.empty((0, self.X_train.shape[1])))
            object.__setattr__(self, "y_val", np.empty(0, dtype=np.int64))


def _sklearn_seed(rng: np.random.Generator) -> int:
    """Draw an int seed for sklearn so its stream is a function of our rng."""
    return int(rng.integers(0, _SKLEARN_SEED_MAX))


# --------------------------------------------------------------------------- #
# raw generators
# --------------------------------------------------------------------------- #


def make_gaussian(
    n: int, seed_or_rng: int | np.random.Generator, noise: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """binncode's Gaussian blobs; noise is the per-coordinate variance, not the std.

    Class 0 ~ N((-1,-2), noise I); class 1 is an equal mixture of N((-2,1)),
    N((1,1)), N((2,-2)) with the same covariance; labels are fair coin flips.
    """
    n = check_int(n, "n", minimum=1)
    noise = check_number(noise, "noise", minimum=0)
    rng = np.random.default_rng(seed_or_rng)
    y = rng.integers(0, 2, size=n).astype(np.int64)
    component = rng.integers(0, 3, size=n)
    centres = np.where((y == 1)[:, None], _GAUSSIAN_CLASS1_MEANS[component], _GAUSSIAN_CLASS0_MEAN)
    X = centres + math.sqrt(noise) * rng.standard_normal((n, 2))
    return X.astype(np.float64), y


def make_moons_data(
    n: int, seed_or_rng: int | np.random.Generator, noise: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """sklearn's two half-moons (noise = std of the added Gaussian noise)."""
    n = check_int(n, "n", minimum=1)
    noise = check_number(noise, "noise", minimum=0)
    rng = np.random.default_rng(seed_or_rng)
    from sklearn.datasets import make_moons  # deferred: sklearn costs ~1.5 s to import

    X, y = make_moons(n_samples=n, noise=noise, random_state=_sklearn_seed(rng))
    return X.astype(np.float64), y.astype(np.int64)


def make_ring(
    n: int, seed_or_rng: int | np.random.Generator, noise: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """sklearn's concentric circles, inner radius 0.5 (class 1) inside radius 1 (class 0)."""
    n = check_int(n, "n", minimum=1)
    noise = check_number(noise, "noise", minimum=0)
    rng = np.random.default_rng(seed_or_rng)
    from sklearn.datasets import make_circles

    X, y = make_circles(
        n_samples=n, factor=_RING_FACTOR, noise=noise, random_state=_sklearn_seed(rng)
    )
    return X.astype(np.float64), y.astype(np.int64)


_GENERATORS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "gaussian": make_gaussian,
    "moons": make_moons_data,
    "ring": make_ring,
}


def pooled_digits(pair: tuple[int, int], pool: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8×8 digits of two classes, ``pool``×``pool`` average-pooled, in [0, 1].

    Pixel values 0..16 are averaged over each block (``pool`` 1, 2, 4 or 8) and
    divided by 16; the (8/pool)² result is flattened row-major (16 pixels at the
    default 2, 64 at 1). Label 0 for ``pair[0]``, 1 for ``pair[1]``, in
    scikit-learn's order.
    """
    pool = check_choice(pool, "pool", (1, 2, 4, 8))
    from sklearn.datasets import load_digits

    digits = load_digits()
    keep = np.isin(digits.target, pair)
    images = digits.images[keep].astype(np.float64)
    side = 8 // pool
    pooled = images.reshape(-1, side, pool, side, pool).mean(axis=(2, 4)) / 16.0
    y = (digits.target[keep] == pair[1]).astype(np.int64)
    return pooled.reshape(len(pooled), side * side), y


def _make_digits(name: str, n_train: int, n_test: int, seed: int, n_val: int = 0) -> Dataset:
    pool = DIGIT_POOL[name]
    X, y = pooled_digits(DIGIT_PAIRS[name], pool)
    if n_train >= len(X):
        raise ValueError(f"n_train must be < {len(X)} (the {name} images); got {n_train}")
    order = np.random.default_rng(seed).permutation(len(X))
    tr = order[:n_train]
    te = order[n_train : n_train + n_test]
    va = order[n_train + n_test : n_train + n_test + n_val]
    params = {
        "name": name,
        "seed": seed,
        "n_train": int(n_train),
        "n_test": int(len(te)),
        **({"n_val": int(len(va))} if n_val else {}),
        "digits": list(DIGIT_PAIRS[name]),
        "pooling": f"{pool}x{pool} mean, /16" if pool > 1 else "none, /16",
        "standardize": False,
    }
    return Dataset(name, X[tr], y[tr], X[te], y[te], params, X[va], y[va])


# --------------------------------------------------------------------------- #
# split + standardisation
# --------------------------------------------------------------------------- #


def make_dataset(
    name: str,
    n_train: int = 100,
    n_test: int = 1000,
    seed: int = 0,
    noise: float | None = None,
    standardize: bool = True,
    n_val: int = 0,
) -> Dataset:
    """Draw train, test, then validation from one seeded stream; standardise with train stats.

    Standardising matters because ±1 weights fix the decision boundaries' angles
    and offsets; using only the train statistics keeps the test set unseen.

    The digits pairs are a seeded shuffle of their images: the first ``n_train``
    train, the next ``n_test`` (at most all the rest) test; their pixels stay
    in [0, 1] (``noise`` and ``standardize`` apply to the 2-D sets only).

    The ``n_val`` validation points (for choices made on held-out data, such as
    λ) come after the test points, so adding them leaves train and test as they
    were; for digits they are the images after the test images (as many as remain).
    """
    name = check_choice(name, "dataset", DATASETS)
    n_train = check_int(n_train, "n_train", minimum=2)
    n_test = check_int(n_test, "n_test", minimum=1)
    seed = check_seed(seed)
    standardize = check_bool(standardize, "standardize")
    n_val = check_int(n_val, "n_val", minimum=0)
    if name in DIGIT_PAIRS:
        if noise is not None:
            raise ValueError(f"noise must be None for {name} (real images); got {noise!r}")
        return _make_digits(name, n_train, n_test, seed, n_val)
    noise = DEFAULT_NOISE[name] if noise is None else check_number(noise, "noise", minimum=0)

    rng = np.random.default_rng(seed)
    generate = _GENERATORS[name]
    X_train, y_train = generate(n_train, rng, noise)
    X_test, y_test = generate(n_test, rng, noise)
    X_val, y_val = generate(n_val, rng, noise) if n_val else (None, None)

    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    if standardize:
        if np.any(std == 0):
            raise ValueError(
                "standardize=True needs a non-zero train std per feature; got std "
                f"{std.tolist()} (use noise > 0 or a larger n_train)"
            )
        X_train = (X_train - mean) / std
        X_test = (X_test - mean) / std
        X_val = None if X_val is None else (X_val - mean) / std

    params = {
        "name": name,
        "seed": seed,
        "n_train": n_train,
        "n_test": n_test,
        **({"n_val": n_val} if n_val else {}),
        "noise": noise,
        "standardize": bool(standardize),
        "train_mean": mean.tolist(),
        "train_std": std.tolist(),
    }
    return Dataset(name, X_train, y_train, X_test, y_test, params, X_val, y_val)


# --------------------------------------------------------------------------- #
# persistence
# --------------------------------------------------------------------------- #


def save_dataset(ds: Dataset, path: str | os.PathLike[str]) -> None:
    """Write one Parquet file (x1 … xd, y, split) with params as JSON schema metadata."""
    X = np.concatenate([ds.X_train, ds.X_test, ds.X_val])
    frame = pd.DataFrame(
        {
            **{f"x{j + 1}": X[:, j] for j in range(X.shape[1])},
            "y": np.concatenate([ds.y_train, ds.y_test, ds.y_val]).astype(np.int64),
            "split": ["train"] * len(ds.y_train)
            + ["test"] * len(ds.y_test)
            + ["val"] * len(ds.y_val),
        }
    )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[METADATA_KEY] = json.dumps({"name": ds.name, **ds.params}).encode()
    table = table.replace_schema_metadata(metadata)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def load_dataset(path: str | os.PathLike[str]) -> Dataset:
    """Read a file written by save_dataset; refuse files that lack our metadata."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise ValueError(f"{path}: not a readable Parquet file ({exc})") from exc
    metadata = table.schema.metadata or {}
    if METADATA_KEY not in metadata:
        raise ValueError(f"{path}: no {METADATA_KEY.decode()!r} metadata; not a qhnet dataset")
    missing = {"x1", "y", "split"} - set(table.column_names)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    params = json.loads(metadata[METADATA_KEY])
    d = sum(1 for c in table.column_names if c.startswith("x") and c[1:].isdigit())
    X = np.column_stack([table.column(f"x{j + 1}").to_numpy() for j in range(d)]).astype(np.float64)
    y = table.column("y").to_numpy().astype(np.int64)
    split = np.asarray(table.column("split").to_pylist())
    train, test, val = split == "train", split == "test", split == "val"
    if not np.all(train | test | val):
        raise ValueError(f"{path}: split must contain only 'train', 'test' and 'val'")
    for key, mask in (("n_train", train), ("n_test", test), ("n_val", val)):
        if key in params and params[key] != int(mask.sum()):
            raise ValueError(f"{path}: metadata {key}={params[key]} but {int(mask.sum())} rows")
    name = params.get("name")
    if name not in DATASETS:
        raise ValueError(f"{path}: metadata name must be one of {DATASETS}; got {name!r}")
    return Dataset(name, X[train], y[train], X[test], y[test], params, X[val], y[val])
