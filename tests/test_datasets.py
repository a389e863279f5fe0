"""Tests for qhnet.model.datasets: generators, split, standardisation, Parquet round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from qhnet.model import datasets
from qhnet.model.datasets import (
    DIGIT_PAIRS,
    DIGIT_POOL,
    load_dataset,
    make_dataset,
    make_gaussian,
    make_moons_data,
    make_ring,
    save_dataset,
)

TOY = ("gaussian", "moons", "ring")
ALL = (*TOY, *DIGIT_PAIRS)


def _arrays(ds):
    return (ds.X_train, ds.y_train, ds.X_test, ds.y_test)


@pytest.mark.parametrize("name", ALL)
def test_same_seed_bit_identical(name):
    a, b = make_dataset(name, seed=3), make_dataset(name, seed=3)
    for u, v in zip(_arrays(a), _arrays(b), strict=True):
        assert u.tobytes() == v.tobytes()
    assert a.params == b.params


@pytest.mark.parametrize("name", ALL)
def test_different_seed_differs(name):
    a, b = make_dataset(name, seed=0), make_dataset(name, seed=1)
    assert not np.array_equal(a.X_train, b.X_train)
    assert not np.array_equal(a.X_test, b.X_test)


@pytest.mark.parametrize("name", ALL)
def test_train_and_test_are_distinct_draws(name):
    ds = make_dataset(name, n_train=50, n_test=50, seed=0)
    assert not np.array_equal(ds.X_train, ds.X_test)


@pytest.mark.parametrize("name", TOY)
def test_shapes_dtypes_and_balance(name):
    ds = make_dataset(name, n_train=2000, n_test=37, seed=0)
    assert ds.X_train.shape == (2000, 2) and ds.X_train.dtype == np.float64
    assert ds.X_test.shape == (37, 2) and ds.X_test.dtype == np.float64
    assert ds.y_train.shape == (2000,) and ds.y_test.shape == (37,)
    assert set(np.unique(ds.y_train)) == {0, 1}
    assert abs(ds.y_train.mean() - 0.5) < 0.05
    assert ds.name == name and ds.params["name"] == name


@pytest.mark.parametrize("name", TOY)
def test_standardised_with_train_statistics(name):
    ds = make_dataset(name, n_train=100, n_test=200, seed=5)
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(ds.X_train.std(axis=0), 1.0, atol=1e-12)
    raw = make_dataset(name, n_train=100, n_test=200, seed=5, standardize=False)
    mean, std = np.array(ds.params["train_mean"]), np.array(ds.params["train_std"])
    np.testing.assert_allclose(mean, raw.X_train.mean(axis=0))
    np.testing.assert_allclose(ds.X_test, (raw.X_test - mean) / std)
    np.testing.assert_array_equal(ds.y_test, raw.y_test)
    # the test split is not re-standardised with its own statistics
    assert np.abs(ds.X_test.mean(axis=0)).max() > 1e-6


def test_params_recorded():
    ds = make_dataset("moons", n_train=10, n_test=20, seed=7, noise=0.2, standardize=False)
    p = ds.params
    assert (p["name"], p["seed"], p["n_train"], p["n_test"]) == ("moons", 7, 10, 20)
    assert p["noise"] == 0.2 and p["standardize"] is False
    assert len(p["train_mean"]) == 2 and len(p["train_std"]) == 2


@pytest.mark.parametrize("name, expected", [("gaussian", 0.1), ("moons", 0.1), ("ring", 0.05)])
def test_default_noise(name, expected):
    assert make_dataset(name, n_train=4, n_test=1).params["noise"] == expected


def test_gaussian_recipe_noise_is_variance():
    X, y = make_gaussian(20000, 0, noise=0.1)
    class0 = X[y == 0]
    np.testing.assert_allclose(class0.mean(axis=0), [-1.0, -2.0], atol=0.02)
    np.testing.assert_allclose(class0.var(axis=0), [0.1, 0.1], rtol=0.05)
    class1 = X[y == 1]
    centres = np.array([[-2.0, 1.0], [1.0, 1.0], [2.0, -2.0]])
    nearest = np.argmin(((class1[:, None, :] - centres) ** 2).sum(-1), axis=1)
    np.testing.assert_allclose(np.bincount(nearest) / len(class1), 1 / 3, atol=0.02)
    for c in range(3):
        np.testing.assert_allclose(class1[nearest == c].mean(axis=0), centres[c], atol=0.02)


def test_ring_radii():
    X, y = make_ring(4000, 1, noise=0.0)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(r[y == 1], 0.5, atol=1e-12)


def test_moons_generator_deterministic_from_rng():
    a = make_moons_data(50, np.random.default_rng(4))
    b = make_moons_data(50, 4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_save_load_round_trip(tmp_path):
    ds = make_dataset("ring", n_train=30, n_test=40, seed=2)
    path = tmp_path / "sub" / "ring.parquet"
    save_dataset(ds, path)
    back = load_dataset(path)
    assert back.name == ds.name
    assert back.params == ds.params
    for u, v in zip(_arrays(ds), _arrays(back), strict=True):
        assert u.shape == v.shape and u.tobytes() == v.tobytes()
    assert sorted(p.name for p in path.parent.iterdir()) == ["ring.parquet"]
    frame = pd.read_parquet(path)
    assert list(frame.columns) == ["x1", "x2", "y", "split"]
    assert set(frame["split"]) == {"train", "test"}


def test_load_without_metadata_raises(tmp_path):
    path = tmp_path / "plain.parquet"
    pd.DataFrame({"x1": [0.0], "x2": [1.0], "y": [0], "split": ["train"]}).to_parquet(path)
    with pytest.raises(ValueError, match="plain.parquet"):
        load_dataset(path)


def test_load_non_parquet_raises(tmp_path):
    path = tmp_path / "junk.parquet"
    path.write_bytes(b"not parquet")
    with pytest.raises(ValueError, match="junk.parquet"):
        load_dataset(path)


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    ds = make_dataset("moons", n_train=5, n_test=5)
    path = tmp_path / "moons.parquet"
    save_dataset(ds, path)
    before = path.read_bytes()

    def boom(table, where, **kwargs):
        with open(where, "wb") as fh:
            fh.write(b"half")
        raise RuntimeError("crash mid-write")

    monkeypatch.setattr(datasets.pq, "write_table", boom)
    with pytest.raises(RuntimeError):
        save_dataset(make_dataset("moons", n_train=5, n_test=5, seed=9), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["moons.parquet"]


def test_parquet_metadata_key_present(tmp_path):
    path = tmp_path / "g.parquet"
    save_dataset(make_dataset("gaussian", n_train=3, n_test=2), path)
    assert b"qhnet" in pq.read_schema(path).metadata


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"name": "foo"},
            "dataset must be one of 'gaussian', 'moons', 'ring', 'digits01', 'digits38', "
            "'digits01_8x8', 'digits38_8x8'; got 'foo'",
        ),
        ({"name": "moons", "n_train": 1}, "n_train"),
        ({"name": "moons", "n_train": 2.5}, "n_train"),
        ({"name": "moons", "n_test": 0}, "n_test"),
        ({"name": "moons", "noise": -0.1}, "noise"),
        ({"name": "moons", "noise": float("nan")}, "noise"),
        ({"name": "moons", "seed": -1}, "seed"),
        ({"name": "moons", "seed": 1.0}, "seed"),
        ({"name": "moons", "standardize": "yes"}, "standardize"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_dataset(**kwargs)


@pytest.mark.parametrize("gen", [make_gaussian, make_moons_data, make_ring])
def test_generator_bad_arguments(gen):
    with pytest.raises(ValueError, match="noise"):
        gen(10, 0, noise=-1.0)
    with pytest.raises(ValueError, match="n must"):
        gen(0, 0)


# ----------------------------------------------------------------- digits


@pytest.mark.parametrize("name", list(DIGIT_PAIRS))
def test_digits_pooled_pixels_and_labels(name):
    from sklearn.datasets import load_digits

    ds = make_dataset(name, n_train=100, n_test=1000, seed=0)
    lo, hi = DIGIT_PAIRS[name]
    k = DIGIT_POOL[name]  # 2: 4x4 = 16 pixels; 1: all 64
    side = 8 // k
    raw = load_digits()
    n_images = int(np.isin(raw.target, (lo, hi)).sum())
    assert ds.X_train.shape == (100, side * side) and len(ds.X_test) == n_images - 100
    assert ds.params["n_test"] == n_images - 100 and ds.params["standardize"] is False
    X = np.concatenate([ds.X_train, ds.X_test])
    assert X.min() >= 0.0 and X.max() <= 1.0
    # every pooled image is one of the source images, pooled by hand, with its label
    images = raw.images[np.isin(raw.target, (lo, hi))]
    labels = (raw.target[np.isin(raw.target, (lo, hi))] == hi).astype(int)
    by_hand = np.array(
        [
            [
                img[k * r : k * r + k, k * c : k * c + k].mean() / 16
                for r in range(side)
                for c in range(side)
            ]
            for img in images
        ]
    )
    for x, y in zip(ds.X_train[:10], ds.y_train[:10], strict=True):
        k = int(np.flatnonzero(np.all(np.isclose(by_hand, x), axis=1))[0])
        assert labels[k] == y
    assert set(np.unique(ds.y_train)) == {0, 1}


def test_digits_split_is_disjoint_and_seeded():
    a = make_dataset("digits38", n_train=50, n_test=60, seed=1)
    b = make_dataset("digits38", n_train=50, n_test=60, seed=2)
    assert len(a.X_test) == 60
    assert not np.array_equal(a.X_train, b.X_train)
    rows = {tuple(r) for r in a.X_train}
    assert sum(tuple(r) in rows for r in a.X_test) < 10  # only duplicate images coincide


def test_digits_round_trip(tmp_path):
    ds = make_dataset("digits01", n_train=30, n_test=20, seed=0)
    save_dataset(ds, tmp_path / "d.parquet")
    back = load_dataset(tmp_path / "d.parquet")
    np.testing.assert_array_equal(back.X_train, ds.X_train)
    np.testing.assert_array_equal(back.y_test, ds.y_test)
    assert back.name == "digits01"


def test_digits_rejects_noise_and_too_many_train_points():
    with pytest.raises(ValueError, match="noise must be None"):
        make_dataset("digits01", noise=0.1)
    with pytest.raises(ValueError, match="n_train must be <"):
        make_dataset("digits01", n_train=5000)


@pytest.mark.parametrize("name", ["gaussian", "moons", "ring", "digits01"])
def test_validation_split_leaves_train_and_test_unchanged(name, tmp_path):
    """Validation points are drawn after the test points (for digits: the images after
    the test images), standardised with the train statistics, and round-trip."""
    n_test = 50
    plain = make_dataset(name, n_train=30, n_test=n_test, seed=1)
    ds = make_dataset(name, n_train=30, n_test=n_test, seed=1, n_val=25)
    for a, b in ((plain.X_train, ds.X_train), (plain.X_test, ds.X_test),
                 (plain.y_train, ds.y_train), (plain.y_test, ds.y_test)):  # fmt: skip
        assert a.tobytes() == b.tobytes()
    assert ds.X_val.shape == (25, ds.X_train.shape[1]) and ds.params["n_val"] == 25
    assert plain.X_val.shape == (0, ds.X_train.shape[1]) and "n_val" not in plain.params
    seen = {r.tobytes() for r in np.concatenate([ds.X_train, ds.X_test])}
    assert not any(r.tobytes() in seen for r in ds.X_val)  # new points
    path = tmp_path / "d.parquet"
    save_dataset(ds, path)
    back = load_dataset(path)
    assert back.X_val.tobytes() == ds.X_val.tobytes() and (back.y_val == ds.y_val).all()
    assert set(pd.read_parquet(path)["split"]) == {"train", "test", "val"}


def test_validation_split_of_digits_takes_what_is_left():
    ds = make_dataset("digits01", n_train=100, n_test=1000, seed=0, n_val=50)
    assert len(ds.y_val) == 0 and ds.params["n_val"] == 0
    with pytest.raises(ValueError, match="n_val"):
        make_dataset("moons", n_val=-1)
