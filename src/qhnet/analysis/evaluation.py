"""Metrics of a trained circuit (docs/method.md §5), read off the enumeration tables.

Three accuracies per split, because they answer different questions:
``expected`` (Σ_σ q(σ)·acc[σ]: a BiNN drawn from the circuit), ``mode`` (the
single most likely BiNN, argmax q) and ``bma`` (the Bayesian model average,
predicting with Σ_σ q(σ)·p(y|x,σ)). The mass on the global optimum and the gap
to the best train log-likelihood say how close training got to the best BiNN
that exists; ``mode_constant`` flags runs stuck on the constant-classifier
plateau.
"""

from __future__ import annotations

import math

import numpy as np

from qhnet.engine.objectives import kernel_apply, reference_bandwidth
from qhnet.model.binn import EnumerationTable, global_optimum
from qhnet.validation import check_table


def entropy_np(q: np.ndarray) -> float:
    qq = q[q > 0]
    return float(-(qq * np.log(qq)).sum())


def mmd2_uniform_np(q: np.ndarray, h: float) -> float:
    """MMD²_h(q, uniform) = qᵀKq − ((1+a)/2)^n of a NumPy probability vector."""
    n = q.shape[0].bit_length() - 1
    a = math.exp(-1.0 / h)
    return float(q @ kernel_apply(np.asarray(q, dtype=np.float64), h) - ((1 + a) / 2) ** n)


def bma_accuracy(q: np.ndarray, P: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of the Bayesian model average, given P[σ, i] = p(y=1 | x_i, σ).

    Pass P as float64 when evaluating many q: NumPy's float64 @ float32 product
    casts the whole of P on every call, where a float64 P goes straight to BLAS
    (with the same result).
    """
    p = q @ P
    return float(np.mean((p > 0.5) == (y == 1)))


def evaluate(
    q,
    table: EnumerationTable,
    *,
    P_train: np.ndarray | None = None,
    P_test: np.ndarray | None = None,
    y_train: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    h_ref: float | None = None,
    optimum: dict | None = None,
) -> dict:
    """All run metrics for the distribution ``q`` (length 2^n) over BiNNs.

    The BMA accuracies need the predictive matrices ``P_*`` (2^n × points) and
    the labels; they are NaN when these are not given. ``optimum`` is
    ``binn.global_optimum(table)``, computed here if omitted (pass it when
    evaluating many runs on one table).
    """
    q = check_table(q, "q", table.n)
    if np.any(q < -1e-12) or abs(q.sum() - 1) > 1e-8:
        raise ValueError("q must be a probability vector (non-negative, summing to 1)")
    q = np.clip(q, 0.0, None)
    n = table.n
    opt = global_optimum(table) if optimum is None else optimum
    mode = int(np.argmax(q))
    ell = float(q @ table.ll_train)
    ent = entropy_np(q)
    out = {
        "ell": ell,
        "ell_test": float(q @ table.ll_test),
        "entropy": ent,
        "entropy_frac": ent / (n * math.log(2)),
        "mmd2_ref": mmd2_uniform_np(q, reference_bandwidth(n) if h_ref is None else h_ref),
        "best_ll": float(opt["best_ll"]),
        "ll_gap": float(opt["best_ll"] - ell),
        "mass_on_optimum": float(q[opt["indices"]].sum()),
        "mode_index": mode,
        "mode_prob": float(q[mode]),
        "mode_ll": float(table.ll_train[mode]),
        "mode_constant": bool(table.constant[mode]),
        "mode_is_optimum": bool(np.isin(mode, opt["indices"])),
    }
    for split, P, y in (("train", P_train, y_train), ("test", P_test, y_test)):
        acc = table.acc_train if split == "train" else table.acc_test
        out[f"acc_{split}_expected"] = float(q @ acc)
        out[f"acc_{split}_mode"] = float(acc[mode])
        out[f"acc_{split}_bma"] = (
            bma_accuracy(q, P, y) if P is not None and y is not None else float("nan")
        )
    return out
