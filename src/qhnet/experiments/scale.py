"""The scale study (docs/method.md §9): quantum hypernetworks for BiNNs beyond enumeration.

One *arm* trains one method on one problem (a dataset and a BiNN architecture)
from every seed and returns a row per seed: the circuit (``ry_chain``) under
MLE, SELBO or ELBO with the sampled entropy; the same objectives on the
``product`` ansatz, i.e. mean-field Bernoulli variational inference (the
classical baseline, and the "does entanglement matter?" comparison); and the
straight-through estimator on latent real weights. No enumeration table is
read: the circuit is an MPS (``qhnet.engine.mps``), the likelihood a forward
pass (``qhnet.training.scaled.Likelihood``).

Accuracies in a row: ``acc_test_expected`` is the mean test accuracy of the
networks drawn from the final circuit (an estimate from its shots),
``acc_test_mode`` that of the marginal mode (each weight at its more likely
value; exact, and the mode itself for the product ansatz); for
straight-through both are its one final network.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from qhnet.engine.ansatze import check_ansatz
from qhnet.engine.mps import check_mps_layers
from qhnet.model.datasets import Dataset
from qhnet.model.layout import n_bits
from qhnet.training.baselines import straight_through_bits
from qhnet.training.scaled import GRADIENTS, SCALED_OBJECTIVES, Likelihood, train_scaled
from qhnet.validation import check_choice, check_int, check_number, check_seeds

__all__ = ["METHODS", "SCALE_COLUMNS", "run_arm"]

#: ``circuit`` and ``mean_field`` train a Born distribution (ansatz ry_chain /
#: product); ``straight_through`` trains latent real weights.
METHODS = ("circuit", "mean_field", "straight_through")

SCALE_COLUMNS = (
    "dataset", "hidden", "n_bits", "arm", "method", "objective", "lam", "h", "gradient",
    "seed", "steps", "shots", "ell_train", "entropy_est", "entropy_se",
    "acc_train_expected", "acc_test_expected", "acc_test_mode", "seconds", "seconds_per_step",
)  # fmt: skip


def run_arm(
    data: Dataset,
    hidden: int,
    arm: str,
    method: str,
    *,
    objective: str = "mle",
    lam: float = 0.0,
    h: float = 1.0,
    seeds=(0,),
    layers: int = 1,
    gradient: str = "score",
    shots: int = 256,
    prior_samples: int | None = None,
    max_steps: int = 300,
    lr: float = 0.05,
    likelihood: str = "sum",
    ste_steps: int = 2000,
    ste_lr: float = 0.01,
) -> pd.DataFrame:
    """Train one arm on one problem from every seed; one row per seed (``SCALE_COLUMNS``)."""
    method = check_choice(method, "method", METHODS)
    hidden = check_int(hidden, "hidden", minimum=0)
    seeds = check_seeds(seeds)
    n = n_bits(hidden, data.X_train.shape[1])
    train = Likelihood(data.X_train, data.y_train, hidden, likelihood)
    test = Likelihood(data.X_test, data.y_test, hidden, likelihood)
    base = dict(dataset=data.name, hidden=hidden, n_bits=n, arm=arm, method=method)
    rows = []
    if method == "straight_through":
        ste_steps = check_int(ste_steps, "ste_steps", minimum=1)
        for seed in seeds:
            t0 = time.perf_counter()
            (bits,) = straight_through_bits(
                data.X_train, data.y_train, hidden, (seed,), steps=ste_steps, lr=ste_lr
            )
            seconds = time.perf_counter() - t0
            ll, acc = train(bits[None])
            _, acc_te = test(bits[None])
            rows.append(
                base | dict(objective="ste", lam=np.nan, h=np.nan, gradient="ste", seed=seed,
                            steps=ste_steps, shots=0, ell_train=ll[0], entropy_est=0.0,
                            entropy_se=0.0, acc_train_expected=acc[0],
                            acc_test_expected=acc_te[0], acc_test_mode=acc_te[0],
                            seconds=seconds, seconds_per_step=seconds / ste_steps)
            )  # fmt: skip
        return pd.DataFrame(rows, columns=SCALE_COLUMNS)
    objective = check_choice(objective, "objective", SCALED_OBJECTIVES)
    gradient = check_choice(gradient, "gradient", GRADIENTS)
    ansatz = check_ansatz("ry_chain" if method == "circuit" else "product")
    layers = check_mps_layers(layers)
    lam = check_number(lam, "lam", minimum=0)
    for seed in seeds:
        t0 = time.perf_counter()
        (run,) = train_scaled(
            train, objective, test=test, lam=lam, h=h, ansatz=ansatz, layers=layers, lr=lr,
            max_steps=max_steps, seeds=(seed,), shots=shots, prior_samples=prior_samples,
            gradient=gradient, record_every=max_steps,
        )  # fmt: skip
        seconds = time.perf_counter() - t0
        t = run.trajectory
        rows.append(
            base | dict(objective=objective, lam=lam, h=h, gradient=gradient, seed=seed,
                        steps=max_steps, shots=shots, ell_train=t["ell_est"][-1],
                        entropy_est=t["entropy_est"][-1], entropy_se=t["entropy_se"][-1],
                        acc_train_expected=t["acc_train_expected_est"][-1],
                        acc_test_expected=t["acc_test_expected_est"][-1],
                        acc_test_mode=t["acc_test_marginal_mode"][-1],
                        seconds=seconds, seconds_per_step=seconds / max_steps)
        )  # fmt: skip
    return pd.DataFrame(rows, columns=SCALE_COLUMNS)
