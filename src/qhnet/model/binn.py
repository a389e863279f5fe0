"""Binary neural networks (BiNNs) indexed by bitstrings, and their exhaustive tables.

The bit layout is ``qhnet.model.layout`` (bit 0 most significant). With hidden
units (H >= 1: W1, b1, W2, b2, activation bit): h = f(x @ W1 + b1);
logit = h @ W2 + b2. Logistic regression (H = 0: w, b): logit = x @ w + b.
Both: p(y=1|x) = sigmoid(logit). The number of inputs d is read from the data.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import expit

from qhnet.io import atomic_path
from qhnet.limits import MAX_EXACT_QUBITS
from qhnet.model.datasets import Dataset
from qhnet.model.layout import hidden_from_n_bits, n_bits
from qhnet.validation import check_choice, check_int, check_number, check_table, is_int

__all__ = [
    "TIE_ATOL",
    "EnumerationTable",
    "LIKELIHOODS",
    "all_bitstrings",
    "bma_proba",
    "enumerate_tables",
    "forward_single",
    "global_optimum",
    "hidden_from_n_bits",
    "load_table",
    "logits",
    "network_logits",
    "network_scores",
    "n_bits",
    "optimum_indices",
    "predictive_matrix",
    "save_table",
    "scale_likelihood",
    "unpack",
]

#: |logit| at or below this is a tie (p = 1/2). With sigmoid units, a pair with
#: complementary weights has h + h' = 1 exactly, so at even H some networks have
#: logit identically 0 (e.g. H=2, W2 = (-1,-1), b2 = +1); float rounding then
#: leaves ±1e-16 noise whose sign is arbitrary. Genuine logits are O(0.1..10).
TIE_ATOL = 1e-9

_TABLE_ARRAYS = ("ll_train", "ll_test", "acc_train", "acc_test", "constant")


# --------------------------------------------------------------------------- #
# bit bookkeeping
# --------------------------------------------------------------------------- #


def _check_n(n: object) -> int:
    return check_int(n, "n", minimum=1, maximum=MAX_EXACT_QUBITS)


def _index_bits(start: int, stop: int, n: int) -> np.ndarray:
    """Bits of the integers start..stop-1, bit 0 most significant."""
    idx = np.arange(start, stop, dtype=np.int64)
    shifts = np.arange(n - 1, -1, -1, dtype=np.int64)
    return ((idx[:, None] >> shifts) & 1).astype(np.uint8)


def all_bitstrings(n: int) -> np.ndarray:
    """All 2**n bitstrings as a (2**n, n) uint8 array, row k = bits of index k."""
    n = _check_n(n)
    return _index_bits(0, 2**n, n)


def unpack(bits: np.ndarray, hidden: int, inputs: int = 2) -> tuple[np.ndarray, ...]:
    """Split (..., n) bits into ±1 weights.

    Parameters
    ----------
    bits : array (..., n_bits(hidden, inputs)) of 0/1
    hidden : int
        Hidden units H (0: logistic regression).
    inputs : int
        Input features d.

    Returns
    -------
    tuple
        H >= 1: W1 (..., d, H), b1 (..., H), W2 (..., H), b2 (...,) and act (0/1).
        H = 0: w (..., d) and b (...,).

    Raises
    ------
    ValueError
        If the last dimension is not ``n_bits(hidden, inputs)`` or a bit is not 0/1.
    """
    n = n_bits(hidden, inputs)
    bits = np.asarray(bits)
    if bits.shape[-1:] != (n,):
        raise ValueError(
            f"bits must have last dimension n_bits(hidden, inputs)={n}; got shape {bits.shape}"
        )
    if not np.all((bits == 0) | (bits == 1)):
        raise ValueError("bits must contain only 0 and 1")
    H, d = int(hidden), int(inputs)
    w = 2.0 * bits.astype(np.float64) - 1.0
    if H == 0:
        return w[..., :d], w[..., d]
    lead = bits.shape[:-1]
    W1 = w[..., : d * H].reshape(*lead, d, H)
    b1 = w[..., d * H : (d + 1) * H]
    W2 = w[..., (d + 1) * H : (d + 2) * H]
    b2 = w[..., (d + 2) * H]
    act = bits[..., (d + 2) * H + 1].astype(np.int64)
    return W1, b1, W2, b2, act


# --------------------------------------------------------------------------- #
# forward passes
# --------------------------------------------------------------------------- #


def _sigmoid_scalar(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def forward_single(x: np.ndarray, bits: np.ndarray, hidden: int) -> np.ndarray:
    """p(y=1|x) for ONE network with plain loops: the reference for the vectorised code.

    Reads the weights straight from the bit positions (not via unpack), so a
    layout mistake in either place shows up as a mismatch. The number of inputs
    d is the last dimension of ``x``.
    """
    H = int(hidden)
    X = np.atleast_2d(np.asarray(x, dtype=np.float64))
    d = X.shape[1]
    n = n_bits(hidden, d)
    bits = [int(b) for b in np.asarray(bits).ravel()]
    if len(bits) != n or any(b not in (0, 1) for b in bits):
        raise ValueError(f"bits must be {n} values in {{0, 1}}; got {bits}")
    weight = [2 * b - 1 for b in bits]
    out = np.empty(len(X))
    if H == 0:
        for p, point in enumerate(X):
            logit = float(weight[d]) + sum(float(point[j]) * weight[j] for j in range(d))
            out[p] = _sigmoid_scalar(logit)
        return out
    relu = bits[(d + 2) * H + 1] == 1
    for p, point in enumerate(X):
        logit = float(weight[(d + 2) * H])
        for k in range(H):
            pre = float(weight[d * H + k])
            for j in range(d):
                pre += float(point[j]) * weight[j * H + k]
            h = max(pre, 0.0) if relu else _sigmoid_scalar(pre)
            logit += weight[(d + 1) * H + k] * h
        out[p] = _sigmoid_scalar(logit)
    return out


def _hidden_table(X: np.ndarray) -> np.ndarray:
    """(2, 8, m) outputs of one hidden unit for each activation and (w_x1, w_x2, b) code.

    A hidden unit has only 8 possible ±1 weight triples, so its output is one of
    16 vectors; networks then just sum signed rows of this table.
    Code c = 4*bit(w_x1) + 2*bit(w_x2) + bit(b).
    """
    codes = _index_bits(0, 8, 3).astype(np.float64) * 2.0 - 1.0  # (8, 3)
    pre = X @ codes[:, :2].T + codes[:, 2]  # (m, 8)
    return np.stack([expit(pre).T, np.maximum(pre, 0.0).T])  # (2, 8, m)


def _check_X(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] < 1:
        raise ValueError(f"X must have shape (n_points, n_inputs); got {X.shape}")
    return X


def _check_range(start: int, stop: int | None, n: int) -> tuple[int, int]:
    total = 2**n
    stop = total if stop is None else stop
    if not (is_int(start) and is_int(stop) and 0 <= int(start) <= int(stop) <= total):
        raise ValueError(
            f"start, stop must satisfy 0 <= start <= stop <= {total}; got {start!r}, {stop!r}"
        )
    return int(start), int(stop)


def _check_chunk(chunk: int) -> int:
    return check_int(chunk, "chunk", minimum=1)


def _logits_from_table(F: np.ndarray, hidden: int, start: int, stop: int) -> np.ndarray:
    H = int(hidden)
    bits = _index_bits(start, stop, n_bits(H)).astype(np.int64)
    flat = F.reshape(16, -1)  # row 8*act + code
    act8 = 8 * bits[:, 4 * H + 1]
    out = np.repeat((2.0 * bits[:, 4 * H] - 1.0)[:, None], F.shape[-1], axis=1)
    for k in range(H):  # loop over hidden units, vectorised over networks
        row = act8 + 4 * bits[:, k] + 2 * bits[:, H + k] + bits[:, 2 * H + k]
        sign = 2.0 * bits[:, 3 * H + k] - 1.0
        out += sign[:, None] * flat[row]
    return out


def _logits_direct(X: np.ndarray, hidden: int, start: int, stop: int) -> np.ndarray:
    """Logits without the hidden-unit table: logistic regression, or d != 2 inputs."""
    d = X.shape[1]
    bits = _index_bits(start, stop, n_bits(hidden, d))
    if hidden == 0:
        w, b = unpack(bits, 0, d)
        return w @ X.T + b[:, None]
    W1, b1, W2, b2, act = unpack(bits, hidden, d)
    pre = np.einsum("pd,cdh->cph", X, W1) + b1[:, None, :]
    h = np.where(act[:, None, None] == 1, np.maximum(pre, 0.0), expit(pre))
    return np.einsum("cph,ch->cp", h, W2) + b2[:, None]


def _logit_fn(X: np.ndarray, hidden: int):
    """(start, stop) → logits of networks start..stop-1 on the points X.

    2-D inputs with hidden units use the 16-row hidden-unit table (``_hidden_table``);
    every other architecture computes the logits directly.
    """
    if hidden >= 1 and X.shape[1] == 2:
        F = _hidden_table(X)
        return lambda s, e: _logits_from_table(F, hidden, s, e)
    return lambda s, e: _logits_direct(X, hidden, s, e)


def logits(X: np.ndarray, hidden: int, start: int = 0, stop: int | None = None) -> np.ndarray:
    """(stop-start, n_points) logits of networks start..stop-1, vectorised over networks.

    Memory is about 2 * (stop-start) * n_points * 8 bytes: callers chunk.
    """
    X = _check_X(X)
    start, stop = _check_range(start, stop, n_bits(hidden, X.shape[1]))
    return _logit_fn(X, hidden)(start, stop)


def _accuracy(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Fraction correct per network; a tie (|logit| <= TIE_ATOL) scores 1/2.

    Half credit (a fair coin at p = 1/2) keeps acc(sigma with W2, b2 flipped)
    = 1 - acc(sigma) exact even for networks whose logit is identically 0.
    """
    pos = (y == 1)[None, :]
    score = np.where(z > TIE_ATOL, pos, np.where(z < -TIE_ATOL, ~pos, 0.5))
    return score.mean(axis=1)


def _log_likelihood(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sum over points of y log p + (1-y) log(1-p), with log sigmoid(t) = -logaddexp(0, -t)."""
    sign = 2.0 * y.astype(np.float64) - 1.0
    return -np.logaddexp(0.0, -sign * z).sum(axis=1)


# --------------------------------------------------------------------------- #
# enumeration table
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, eq=False)
class EnumerationTable:
    """Train/test log-likelihood and accuracy of every one of the 2**n BiNNs.

    Accuracy scores a point with |logit| <= TIE_ATOL as 1/2 (see _accuracy);
    constant means every train and test point falls on the same side (or all tie).
    """

    hidden: int
    n: int
    ll_train: np.ndarray
    ll_test: np.ndarray
    acc_train: np.ndarray
    acc_test: np.ndarray
    constant: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    inputs: int = 2

    @property
    def n_train(self) -> int:
        """Training points behind ``ll_train`` (from the dataset's parameters)."""
        return int(self.meta["dataset"]["n_train"])


def enumerate_tables(dataset: Dataset, hidden: int = 3, chunk: int = 4096) -> EnumerationTable:
    """Evaluate all 2**n networks once so every objective can read LL[sigma] from a table.

    ``ll_train`` and ``ll_test`` are log-likelihoods *summed* over the points
    (see :func:`scale_likelihood` for the mean). The number of inputs is the
    dataset's feature count; ``hidden = 0`` is logistic regression.
    """
    X_tr, X_te = _check_X(dataset.X_train), _check_X(dataset.X_test)
    if X_te.shape[1] != X_tr.shape[1]:
        raise ValueError(
            f"X_test must have {X_tr.shape[1]} features like X_train; got {X_te.shape[1]}"
        )
    d = X_tr.shape[1]
    n = n_bits(hidden, d)
    if n > MAX_EXACT_QUBITS:
        raise ValueError(
            f"hidden={hidden} with {d} inputs gives {n} bits; enumeration allows at most "
            f"{MAX_EXACT_QUBITS}"
        )
    chunk = _check_chunk(chunk)
    y_tr = np.asarray(dataset.y_train).astype(np.int64)
    y_te = np.asarray(dataset.y_test).astype(np.int64)
    n_tr = len(X_tr)
    logit = _logit_fn(np.concatenate([X_tr, X_te]), int(hidden))
    total = 2**n
    ll_train, ll_test = np.empty(total), np.empty(total)
    acc_train, acc_test = np.empty(total), np.empty(total)
    constant = np.empty(total, dtype=bool)
    for s in range(0, total, chunk):
        e = min(s + chunk, total)
        z = logit(s, e)
        z_tr, z_te = z[:, :n_tr], z[:, n_tr:]
        ll_train[s:e] = _log_likelihood(z_tr, y_tr)
        ll_test[s:e] = _log_likelihood(z_te, y_te)
        acc_train[s:e] = _accuracy(z_tr, y_tr)
        acc_test[s:e] = _accuracy(z_te, y_te)
        side = np.sign(np.where(np.abs(z) <= TIE_ATOL, 0.0, z))
        constant[s:e] = (side == side[:, :1]).all(axis=1)
    meta = {"hidden": int(hidden), "n_bits": n, "dataset": dict(dataset.params)}
    if d != 2:  # 2-D tables keep their original metadata
        meta["inputs"] = d
    return EnumerationTable(
        int(hidden), n, ll_train, ll_test, acc_train, acc_test, constant, meta, inputs=d
    )


LIKELIHOODS = ("sum", "mean")


def scale_likelihood(ll: np.ndarray, likelihood: str, n_points: int) -> np.ndarray:
    """A summed log-likelihood table as the training objective reads it.

    Parameters
    ----------
    ll : array
        Log-likelihood summed over ``n_points`` points (an enumeration table).
    likelihood : {"sum", "mean"}
        ``sum``: the table as it is; ``mean``: divided by ``n_points``, i.e.
        minus the mean binary cross-entropy.
    n_points : int
        Points behind the sum.

    Raises
    ------
    ValueError
        On an unknown ``likelihood`` or ``n_points`` < 1.
    """
    likelihood = check_choice(likelihood, "likelihood", LIKELIHOODS)
    n_points = check_int(n_points, "n_points", minimum=1)
    ll = np.asarray(ll, dtype=np.float64)
    return ll if likelihood == "sum" else ll / n_points


def accuracy_table(X: np.ndarray, y: np.ndarray, hidden: int, chunk: int = 4096) -> np.ndarray:
    """Accuracy of every one of the 2**n networks on the points (X, y), as in the tables.

    The same rule as ``EnumerationTable.acc_train`` / ``acc_test`` (a tie scores 1/2),
    for a split the table does not hold (the validation split).
    """
    X = _check_X(X)
    y = np.asarray(y).astype(np.int64)
    if y.shape != (len(X),):
        raise ValueError(f"y must have one label per point ({len(X)}); got shape {y.shape}")
    chunk = _check_chunk(chunk)
    total = 2 ** n_bits(hidden, X.shape[1])
    logit = _logit_fn(X, int(hidden))
    out = np.empty(total)
    for s in range(0, total, chunk):
        e = min(s + chunk, total)
        out[s:e] = _accuracy(logit(s, e), y)
    return out


def network_logits(bits: np.ndarray, X: np.ndarray, hidden: int) -> np.ndarray:
    """(U, n_points) logits of the networks given as bit rows ``bits`` (U, n), without a table.

    For BiNNs of any size (a basis index of more than 63 bits does not fit an
    integer, so networks are named by their bits). The first layer of all U
    networks is one matrix product, X @ W1 with W1 reshaped to (d, U·H).
    Memory is about 3·U·n_points·max(H, 1)·8 bytes: callers chunk
    (:func:`network_scores` does).
    """
    X = _check_X(X)
    d = X.shape[1]
    if hidden == 0:
        w, b = unpack(bits, 0, d)
        return w.reshape(-1, d) @ X.T + b.reshape(-1, 1)
    W1, b1, W2, b2, act = unpack(bits, hidden, d)
    H = int(hidden)
    W1, b1, W2 = W1.reshape(-1, d, H), b1.reshape(-1, H), W2.reshape(-1, H)
    U = W1.shape[0]
    pre = (X @ W1.transpose(1, 0, 2).reshape(d, U * H)).reshape(len(X), U, H) + b1[None]
    relu = act.reshape(-1)[None, :, None] == 1
    h = np.where(relu, np.maximum(pre, 0.0), expit(pre))
    return np.einsum("puh,uh->up", h, W2) + b2.reshape(-1, 1)


def network_scores(
    bits: np.ndarray, X: np.ndarray, y: np.ndarray, hidden: int, chunk: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Summed log-likelihood and accuracy of each network in ``bits`` (U, n) on (X, y).

    The same numbers as an ``EnumerationTable``'s ``ll_*`` and ``acc_*`` rows
    (a tie scores 1/2), for networks too large to enumerate. ``chunk`` networks
    at a time (default: about 2^21 hidden activations per chunk).

    Returns
    -------
    ll, acc : ndarray (U,) each
    """
    X = _check_X(X)
    y = np.asarray(y).astype(np.int64)
    if y.shape != (len(X),):
        raise ValueError(f"y must have one label per point ({len(X)}); got shape {y.shape}")
    bits = np.asarray(bits)
    n = n_bits(hidden, X.shape[1])
    if bits.ndim != 2 or bits.shape[1] != n:
        raise ValueError(f"bits must have shape (U, {n}) for this architecture; got {bits.shape}")
    if chunk is None:
        chunk = max(1, 2**21 // (len(X) * max(int(hidden), 1)))
    chunk = _check_chunk(chunk)
    ll = np.empty(bits.shape[0])
    acc = np.empty(bits.shape[0])
    for s in range(0, bits.shape[0], chunk):
        z = network_logits(bits[s : s + chunk], X, hidden)
        ll[s : s + chunk] = _log_likelihood(z, y)
        acc[s : s + chunk] = _accuracy(z, y)
    return ll, acc


def predictive_matrix(X: np.ndarray, hidden: int, chunk: int = 4096) -> np.ndarray:
    """(2**n, n_points) float32 of p(y=1|x, sigma), for Bayesian model averages."""
    X = _check_X(X)
    chunk = _check_chunk(chunk)
    total = 2 ** n_bits(hidden, X.shape[1])
    logit = _logit_fn(X, int(hidden))
    out = np.empty((total, len(X)), dtype=np.float32)
    for s in range(0, total, chunk):
        e = min(s + chunk, total)
        out[s:e] = expit(logit(s, e))
    return out


def bma_proba(q: np.ndarray, X: np.ndarray, hidden: int, chunk: int = 4096) -> np.ndarray:
    """sum_sigma q[sigma] p(y=1|x, sigma), chunk by chunk without the full matrix."""
    X = _check_X(X)
    total = 2 ** n_bits(hidden, X.shape[1])
    q = np.asarray(q, dtype=np.float64)
    if q.ndim != 1 or len(q) != total:
        raise ValueError(
            f"q must be a 1-D array of length 2**n_bits(hidden)={total}; got shape {q.shape}"
        )
    chunk = _check_chunk(chunk)
    logit = _logit_fn(X, int(hidden))
    out = np.zeros(len(X))
    for s in range(0, total, chunk):
        e = min(s + chunk, total)
        if np.any(q[s:e]):
            out += q[s:e] @ expit(logit(s, e))
    return out


def optimum_indices(table, atol: float = 1e-9) -> np.ndarray:
    """Indices of a table's optimum set: every entry within ``atol`` of its maximum.

    Parameters
    ----------
    table : array, length 2^n
        Any table to be maximised (e.g. a train log-likelihood).
    atol : float
        Absorbs float summation-order differences between tied entries.

    Raises
    ------
    ValueError
        If ``table`` is not a finite table of length 2^n or ``atol`` < 0.
    """
    table = check_table(table, "table")
    check_number(atol, "atol", minimum=0)
    return np.flatnonzero(table >= np.max(table) - atol)


def global_optimum(table: EnumerationTable, atol: float = 1e-9) -> dict[str, Any]:
    """The whole set of bitstrings tied at the best train LL (hidden-unit permutations tie).

    atol absorbs float summation-order differences between permuted networks.
    """
    best = float(np.max(table.ll_train))
    idx = optimum_indices(table.ll_train, atol)
    tr, te = table.acc_train[idx], table.acc_test[idx]
    return {
        "indices": idx,
        "best_ll": best,
        "n_tied": int(len(idx)),
        "acc_train": float(tr.mean()),
        "acc_test": float(te.mean()),
        "acc_train_min": float(tr.min()),
        "acc_train_max": float(tr.max()),
        "acc_test_min": float(te.min()),
        "acc_test_max": float(te.max()),
    }


# --------------------------------------------------------------------------- #
# persistence
# --------------------------------------------------------------------------- #


def save_table(table: EnumerationTable, path: str | os.PathLike[str]) -> None:
    """Compressed .npz (arrays + meta as JSON), written atomically."""
    arrays = {name: getattr(table, name) for name in _TABLE_ARRAYS}
    extra = {} if table.inputs == 2 else {"inputs": np.int64(table.inputs)}
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(
            fh,
            **extra,
            hidden=np.int64(table.hidden),
            n=np.int64(table.n),
            meta=np.array(json.dumps(table.meta)),
            **arrays,
        )


def load_table(path: str | os.PathLike[str]) -> EnumerationTable:
    """Read save_table's output, checking keys, lengths and the bit count."""
    try:
        with np.load(path, allow_pickle=False) as data:
            contents = {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path}: not a readable enumeration table ({exc})") from exc
    missing = {"hidden", "n", "meta", *_TABLE_ARRAYS} - set(contents)
    if missing:
        raise ValueError(f"{path}: enumeration table missing keys {sorted(missing)}")
    hidden, n = int(contents["hidden"]), int(contents["n"])
    inputs = int(contents.get("inputs", 2))
    if n != n_bits(hidden, inputs):
        raise ValueError(
            f"{path}: n={n} does not match hidden={hidden} with {inputs} inputs "
            f"(expected {n_bits(hidden, inputs)})"
        )
    for name in _TABLE_ARRAYS:
        if contents[name].shape != (2**n,):
            raise ValueError(f"{path}: {name} has shape {contents[name].shape}, expected ({2**n},)")
    try:
        meta = json.loads(str(contents["meta"]))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: meta is not valid JSON ({exc})") from exc
    return EnumerationTable(
        hidden,
        n,
        contents["ll_train"].astype(np.float64),
        contents["ll_test"].astype(np.float64),
        contents["acc_train"].astype(np.float64),
        contents["acc_test"].astype(np.float64),
        contents["constant"].astype(bool),
        meta,
        inputs=inputs,
    )
