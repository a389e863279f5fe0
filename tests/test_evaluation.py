"""Run metrics and landscapes on a real (small) enumeration table."""

import numpy as np
import pytest

from qhnet.analysis.evaluation import evaluate
from qhnet.experiments.landscape import landscape, roughness, roughness_study, strict_local_minima
from qhnet.model.binn import enumerate_tables, global_optimum, predictive_matrix
from qhnet.model.datasets import make_dataset


@pytest.fixture(scope="module")
def small():
    ds = make_dataset("moons", n_train=60, n_test=200, seed=1)
    table = enumerate_tables(ds, hidden=2)  # n = 10
    return ds, table


def test_evaluate_point_mass_on_optimum(small):
    ds, table = small
    opt = global_optimum(table)
    q = np.zeros(2**table.n)
    q[opt["indices"][0]] = 1.0
    m = evaluate(
        q,
        table,
        P_train=predictive_matrix(ds.X_train, 2),
        P_test=predictive_matrix(ds.X_test, 2),
        y_train=ds.y_train,
        y_test=ds.y_test,
    )
    assert m["mass_on_optimum"] == pytest.approx(1.0)
    assert m["ll_gap"] == pytest.approx(0.0, abs=1e-9)
    assert m["entropy"] == 0.0
    assert m["mode_is_optimum"]
    # a point mass: all three accuracies are the accuracy of that one BiNN
    for split in ("train", "test"):
        acc = m[f"acc_{split}_mode"]
        assert m[f"acc_{split}_expected"] == pytest.approx(acc)
        assert m[f"acc_{split}_bma"] == pytest.approx(acc)


def test_evaluate_uniform_is_chance(small):
    _, table = small
    q = np.full(2**table.n, 2.0**-table.n)
    m = evaluate(q, table)
    assert m["acc_test_expected"] == pytest.approx(0.5, abs=1e-12)  # flip symmetry
    assert m["entropy_frac"] == pytest.approx(1.0)
    assert m["mmd2_ref"] == pytest.approx(0.0, abs=1e-14)
    assert np.isnan(m["acc_test_bma"])
    assert m["mass_on_optimum"] == pytest.approx(global_optimum(table)["n_tied"] / 2**table.n)


def test_evaluate_rejects_bad_q(small):
    _, table = small
    with pytest.raises(ValueError, match="q must have length"):
        evaluate(np.full(8, 1 / 8), table)
    with pytest.raises(ValueError, match="probability vector"):
        evaluate(np.full(2**table.n, 1.0), table)


def test_landscape_shape_centre_and_roughness(small):
    _, table = small
    theta = np.random.default_rng(0).uniform(0, 2 * np.pi, (1, table.n))
    out = landscape(theta, table.ll_train, "elbo", lam=1.0, span=0.5, resolution=9, seed=2)
    assert out["loss"].shape == (9, 9)
    assert np.linalg.norm(out["d1"]) == pytest.approx(np.linalg.norm(theta))
    import jax.numpy as jnp

    from qhnet.engine.objectives import value_and_grad_fn

    j, _ = value_and_grad_fn("elbo")(jnp.asarray(theta), jnp.asarray(table.ll_train), 1.0, 1.0)
    assert out["loss"][4, 4] == pytest.approx(-float(j), abs=1e-10)
    for key in ("n_local_minima", "mean_abs_laplacian", "rel_mean_abs_laplacian"):
        assert key in out


def test_roughness_counts_minima_and_curvature():
    x = np.linspace(-1, 1, 21)
    bowl = x[:, None] ** 2 + x[None, :] ** 2
    assert strict_local_minima(bowl) == 1
    r = roughness(bowl, spacing=x[1] - x[0])
    assert r["mean_abs_laplacian"] == pytest.approx(4.0)
    egg = bowl + 0.3 * np.cos(12 * x[:, None]) * np.cos(12 * x[None, :])
    assert strict_local_minima(egg) > 1
    assert roughness(egg, x[1] - x[0])["mean_abs_laplacian"] > r["mean_abs_laplacian"]


@pytest.mark.parametrize(
    ("kw", "match"), [({"span": 0.0}, "span must be"), ({"resolution": 2}, "resolution must be")]
)
def test_landscape_bad_args(small, kw, match):
    _, table = small
    with pytest.raises(ValueError, match=match):
        landscape(np.zeros((1, table.n)), table.ll_train, **kw)


def test_roughness_study_pairs_slices_on_shared_directions(small):
    _, table = small
    rng = np.random.default_rng(3)
    thetas = {
        (arm, s): rng.uniform(0, 2 * np.pi, (1, table.n))
        for arm in ("mle", "elbo_lam1")
        for s in (0, 1)
    }
    arms = [
        {"arm": "mle", "objective": "mle", "lam": None, "h": None},
        {"arm": "elbo_lam1", "objective": "elbo", "lam": 1.0, "h": None},
    ]
    rows = roughness_study(
        thetas, arms, table.ll_train, seeds=[0, 1], directions=3, span=0.5, resolution=5
    )
    assert len(rows) == 2 * 3 * 2 * 2  # seeds x directions x arms x centres
    by = {(r["seed"], r["direction"], r["centre"], r["arm"]): r for r in rows}
    # MLE's own slice and its slice at MLE's centre are one slice
    for s in (0, 1):
        for k in range(3):
            a, b = by[(s, k, "own", "mle")], by[(s, k, "mle", "mle")]
            assert a["rel_mean_abs_laplacian"] == b["rel_mean_abs_laplacian"]
    # the slice of direction k of seed s is the one landscape() draws with seed 1000 s + k
    one = landscape(
        thetas[("elbo_lam1", 1)],
        table.ll_train,
        "elbo",
        lam=1.0,
        span=0.5,
        resolution=5,
        seed=1000 + 2,
    )
    assert by[(1, 2, "own", "elbo_lam1")]["mean_abs_laplacian"] == pytest.approx(
        one["mean_abs_laplacian"]
    )
    with pytest.raises(ValueError, match="MLE's angles for seed 5"):
        roughness_study(
            thetas, arms, table.ll_train, seeds=[5], directions=1, span=0.5, resolution=5
        )


def test_trained_angles_one_run_or_a_clear_error():
    import json

    import pandas as pd

    from qhnet.experiments.landscape import trained_angles

    runs = pd.DataFrame(
        {"arm": ["mle", "mle"], "seed": [0, 1], "theta": [json.dumps([[0.1, 0.2]])] * 2}
    )
    assert trained_angles(runs, "mle", 1).shape == (1, 2)
    with pytest.raises(ValueError, match="need one run of arm 'elbo_lam1' with seed 0"):
        trained_angles(runs, "elbo_lam1", 0)
