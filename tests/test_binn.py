"""Tests for qhnet.model.binn: bit convention, forward passes, enumeration tables."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from qhnet.model.binn import (
    EnumerationTable,
    all_bitstrings,
    bma_proba,
    enumerate_tables,
    forward_single,
    global_optimum,
    hidden_from_n_bits,
    load_table,
    logits,
    n_bits,
    predictive_matrix,
    save_table,
    unpack,
)
from qhnet.model.datasets import Dataset, make_dataset


def _index(bits: np.ndarray) -> int:
    n = len(bits)
    return int(sum(int(b) << (n - 1 - i) for i, b in enumerate(bits)))


def _permute_hidden(bits: np.ndarray, hidden: int, perm) -> np.ndarray:
    """Bits of the same network with hidden units reordered by perm."""
    H = hidden
    out = bits.copy()
    for new, old in enumerate(perm):
        for j in range(2):
            out[j * H + new] = bits[j * H + old]
        out[2 * H + new] = bits[2 * H + old]
        out[3 * H + new] = bits[3 * H + old]
    return out


def _output_flip_mask(hidden: int) -> int:
    """Integer mask flipping the W2 and b2 bits (which negates the logit)."""
    n = n_bits(hidden)
    return sum(1 << (n - 1 - i) for i in range(3 * hidden, 4 * hidden + 1))


@pytest.fixture(scope="module")
def small_data() -> Dataset:
    return make_dataset("moons", n_train=40, n_test=60, seed=1)


@pytest.fixture(scope="module")
def table_h2(small_data) -> EnumerationTable:
    return enumerate_tables(small_data, hidden=2, chunk=333)


@pytest.fixture(scope="module")
def table_h3(small_data) -> EnumerationTable:
    return enumerate_tables(small_data, hidden=3)


# ----------------------------------------------------------------- bit bookkeeping


def test_n_bits_and_inverse():
    assert [n_bits(h) for h in (1, 2, 3)] == [6, 10, 14]
    assert [hidden_from_n_bits(n) for n in (6, 10, 14)] == [1, 2, 3]
    assert n_bits(0) == 3 and n_bits(0, 16) == 17 and n_bits(1, 16) == 20
    assert hidden_from_n_bits(20, 16) == 1


@pytest.mark.parametrize("hidden", [-1, 1.5, True, "3"])
def test_n_bits_rejects(hidden):
    with pytest.raises(ValueError, match="hidden"):
        n_bits(hidden)


@pytest.mark.parametrize("n", [5, 7, 2, 14.0])
def test_hidden_from_n_bits_rejects(n):
    with pytest.raises(ValueError, match="n must"):
        hidden_from_n_bits(n)


def test_all_bitstrings_order_msb_first():
    bits = all_bitstrings(4)
    assert bits.shape == (16, 4) and bits.dtype == np.uint8
    assert bits[1].tolist() == [0, 0, 0, 1]
    assert bits[8].tolist() == [1, 0, 0, 0]
    assert bits[11].tolist() == [1, 0, 1, 1]
    assert [_index(row) for row in bits] == list(range(16))
    assert [_index(row) for row in all_bitstrings(10)[::37]] == list(range(0, 1024, 37))


def test_unpack_layout():
    H = 2
    bits = np.zeros(n_bits(H), dtype=np.uint8)
    bits[1 * H + 0] = 1  # W1[input 1, hidden 0]
    bits[2 * H + 1] = 1  # b1[1]
    bits[3 * H + 0] = 1  # W2[0]
    bits[4 * H + 1] = 1  # act = ReLU
    W1, b1, W2, b2, act = unpack(bits, H)
    np.testing.assert_array_equal(W1, [[-1, -1], [1, -1]])
    np.testing.assert_array_equal(b1, [-1, 1])
    np.testing.assert_array_equal(W2, [1, -1])
    assert b2 == -1 and act == 1
    batch = unpack(all_bitstrings(n_bits(1))[:5], 1)
    assert batch[0].shape == (5, 2, 1) and batch[4].shape == (5,)


def test_unpack_rejects_wrong_length():
    with pytest.raises(ValueError, match="bits"):
        unpack(np.zeros(7, dtype=np.uint8), 1)


def test_forward_single_hand_computed():
    # H=1: [W1_0, W1_1, b1, W2, b2, act]
    x = np.array([[0.5, -1.0]])
    relu = forward_single(x, np.array([1, 0, 1, 1, 0, 1]), 1)
    assert relu[0] == pytest.approx(1 / (1 + math.exp(-1.5)))  # h = 2.5, logit = 1.5
    sig = forward_single(x, np.array([1, 0, 1, 1, 0, 0]), 1)
    h = 1 / (1 + math.exp(-2.5))
    assert sig[0] == pytest.approx(1 / (1 + math.exp(-(h - 1))))


# ----------------------------------------------------------------- forward passes


@pytest.mark.parametrize("hidden", [1, 2, 3])
def test_logits_match_forward_single(hidden, small_data):
    rng = np.random.default_rng(hidden)
    n = n_bits(hidden)
    X = np.concatenate([small_data.X_train, 3 * rng.standard_normal((20, 2))])
    z = logits(X, hidden)
    assert z.shape == (2**n, len(X)) and z.dtype == np.float64
    for k in rng.choice(2**n, size=50, replace=False):
        bits = all_bitstrings(n)[k]
        p_ref = forward_single(X, bits, hidden)
        np.testing.assert_allclose(1 / (1 + np.exp(-z[k])), p_ref, rtol=1e-12, atol=1e-14)


def test_logits_start_stop_slice(small_data):
    X = small_data.X_test
    full = logits(X, 2)
    np.testing.assert_array_equal(logits(X, 2, start=100, stop=260), full[100:260])
    assert logits(X, 2, start=5, stop=5).shape == (0, len(X))
    with pytest.raises(ValueError, match="stop"):
        logits(X, 2, start=0, stop=2**10 + 1)


def test_logits_rejects_bad_X():
    for bad in (np.zeros(4), np.zeros((4, 0)), np.zeros((2, 2, 2))):
        with pytest.raises(ValueError, match="X must have shape"):
            logits(bad, 1)


# ----------------------------------------------------------------- tables


def _direct_metrics(X, y, bits, hidden):
    p = forward_single(X, bits, hidden)
    ll = sum(math.log(pi) if yi == 1 else math.log1p(-pi) for pi, yi in zip(p, y, strict=True))
    logit = np.log(p) - np.log1p(-p)
    tie = np.abs(logit) <= 1e-9
    acc = np.mean(np.where(tie, 0.5, ((logit > 0).astype(int) == y).astype(float)))
    side = np.where(tie, 0, np.sign(logit))
    return ll, acc, side


@pytest.mark.parametrize("hidden", [1, 2, 3])
def test_enumerate_tables_match_direct(small_data, hidden):
    table = enumerate_tables(small_data, hidden=hidden, chunk=100)
    n = n_bits(hidden)
    assert (table.hidden, table.n) == (hidden, n)
    for arr in (table.ll_train, table.ll_test, table.acc_train, table.acc_test, table.constant):
        assert arr.shape == (2**n,)
    rng = np.random.default_rng(10 + hidden)
    for k in rng.choice(2**n, size=25, replace=False):
        bits = all_bitstrings(n)[k]
        ll_tr, acc_tr, pred_tr = _direct_metrics(
            small_data.X_train, small_data.y_train, bits, hidden
        )
        ll_te, acc_te, pred_te = _direct_metrics(small_data.X_test, small_data.y_test, bits, hidden)
        assert table.ll_train[k] == pytest.approx(ll_tr, rel=1e-9)
        assert table.ll_test[k] == pytest.approx(ll_te, rel=1e-9)
        assert table.acc_train[k] == pytest.approx(acc_tr)
        assert table.acc_test[k] == pytest.approx(acc_te)
        side = np.concatenate([pred_tr, pred_te])
        assert table.constant[k] == bool(np.all(side == side[0]))
    assert table.meta["hidden"] == hidden
    assert table.meta["dataset"] == small_data.params


def test_chunk_size_does_not_matter(small_data, table_h2):
    other = enumerate_tables(small_data, hidden=2, chunk=4096)
    np.testing.assert_array_equal(other.ll_train, table_h2.ll_train)
    np.testing.assert_array_equal(other.acc_test, table_h2.acc_test)


@pytest.mark.parametrize("hidden", [1, 2, 3])
def test_output_flip_complements_accuracy(small_data, hidden):
    table = enumerate_tables(small_data, hidden=hidden)
    idx = np.arange(2**table.n)
    flipped = idx ^ _output_flip_mask(hidden)
    np.testing.assert_allclose(table.acc_train[flipped], 1 - table.acc_train, atol=1e-12)
    np.testing.assert_allclose(table.acc_test[flipped], 1 - table.acc_test, atol=1e-12)
    np.testing.assert_array_equal(table.constant[flipped], table.constant)
    assert table.acc_train.mean() == pytest.approx(0.5, abs=1e-12)
    assert table.acc_test.mean() == pytest.approx(0.5, abs=1e-12)


def test_hidden_permutation_invariance(table_h3):
    H, n = 3, table_h3.n
    rng = np.random.default_rng(0)
    for k in rng.choice(2**n, size=40, replace=False):
        bits = all_bitstrings(n)[k]
        for perm in itertools.permutations(range(H)):
            j = _index(_permute_hidden(bits, H, perm))
            assert table_h3.ll_train[j] == pytest.approx(table_h3.ll_train[k], rel=1e-12)
            assert table_h3.acc_test[j] == table_h3.acc_test[k]


def test_constant_predictor_flagged(table_h2):
    # sigmoid units, W2 = (+1, +1), b2 = +1: logit = h0 + h1 + 1 > 0 everywhere
    rng = np.random.default_rng(5)
    for _ in range(10):
        bits = rng.integers(0, 2, size=10).astype(np.uint8)
        bits[6:10] = [1, 1, 1, 0]
        assert table_h2.constant[_index(bits)]
    assert table_h2.constant.any() and not table_h2.constant.all()


def test_structural_zero_logit_is_a_tie(small_data, table_h2):
    # H=2, sigmoid, complementary units (h0 + h1 = 1), W2 = (-1, -1), b2 = +1:
    # logit is identically 0, so p = 1/2, LL = -n ln 2, accuracy 1/2, constant.
    bits = np.array([0, 1, 1, 0, 0, 1, 0, 0, 1, 0], dtype=np.uint8)
    k = _index(bits)
    z = logits(small_data.X_train, 2, start=k, stop=k + 1)
    np.testing.assert_allclose(z, 0.0, atol=1e-12)
    assert table_h2.ll_train[k] == pytest.approx(-len(small_data.y_train) * math.log(2))
    assert table_h2.acc_train[k] == 0.5 and table_h2.acc_test[k] == 0.5
    assert table_h2.constant[k]


def test_global_optimum_returns_tied_set(table_h3):
    opt = global_optimum(table_h3)
    idx = opt["indices"]
    assert opt["n_tied"] == len(idx) >= 3
    assert opt["best_ll"] == table_h3.ll_train.max()
    np.testing.assert_array_equal(idx, np.flatnonzero(table_h3.ll_train >= opt["best_ll"] - 1e-9))
    tied = set(idx.tolist())
    bits = all_bitstrings(table_h3.n)
    for k in idx:
        for perm in itertools.permutations(range(3)):
            assert _index(_permute_hidden(bits[k], 3, perm)) in tied
    assert opt["acc_test"] == pytest.approx(table_h3.acc_test[idx].mean())
    assert opt["acc_test_min"] - 1e-12 <= opt["acc_test"] <= opt["acc_test_max"] + 1e-12
    assert opt["acc_train"] == pytest.approx(table_h3.acc_train[idx].mean())


def test_global_optimum_atol_widens_set(table_h2):
    tight = global_optimum(table_h2, atol=0.0)
    wide = global_optimum(table_h2, atol=5.0)
    assert tight["n_tied"] >= 1
    assert wide["n_tied"] > tight["n_tied"]
    assert set(tight["indices"]) <= set(wide["indices"])


# ----------------------------------------------------------------- predictive / BMA


def test_predictive_matrix_matches_logits(small_data):
    X = small_data.X_test
    P = predictive_matrix(X, 2, chunk=300)
    assert P.shape == (2**10, len(X)) and P.dtype == np.float32
    np.testing.assert_allclose(P, 1 / (1 + np.exp(-logits(X, 2))), rtol=1e-6)


def test_bma_proba_equals_matrix_product(small_data):
    X = small_data.X_test
    rng = np.random.default_rng(3)
    q = rng.dirichlet(np.full(2**10, 0.1))
    q[:200] = 0.0  # zero chunks are skipped: must not change the result
    q /= q.sum()
    P = predictive_matrix(X, 2)
    expected = q @ P.astype(np.float64)
    np.testing.assert_allclose(bma_proba(q, X, 2, chunk=100), expected, rtol=1e-6, atol=1e-7)
    point_mass = np.zeros(2**10)
    point_mass[777] = 1.0
    np.testing.assert_allclose(
        bma_proba(point_mass, X, 2), forward_single(X, all_bitstrings(10)[777], 2), rtol=1e-12
    )


def test_bma_proba_rejects_bad_q(small_data):
    with pytest.raises(ValueError, match="q must"):
        bma_proba(np.ones(2**10 - 1), small_data.X_test, 2)


# ----------------------------------------------------------------- persistence


def test_save_load_table_round_trip(tmp_path, table_h2):
    path = tmp_path / "t" / "table.npz"
    save_table(table_h2, path)
    back = load_table(path)
    assert (back.hidden, back.n) == (table_h2.hidden, table_h2.n)
    for name in ("ll_train", "ll_test", "acc_train", "acc_test", "constant"):
        np.testing.assert_array_equal(getattr(back, name), getattr(table_h2, name))
    assert back.meta == table_h2.meta
    assert [p.name for p in path.parent.iterdir()] == ["table.npz"]


def test_load_truncated_table_raises(tmp_path, table_h2):
    path = tmp_path / "table.npz"
    save_table(table_h2, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="table.npz"):
        load_table(path)


def test_load_mismatched_table_raises(tmp_path, table_h2):
    path = tmp_path / "bad.npz"
    arrays = {k: getattr(table_h2, k) for k in ("ll_train", "ll_test", "acc_train", "acc_test")}
    arrays["constant"] = table_h2.constant[:-1]
    np.savez_compressed(path, hidden=2, n=10, meta=np.array("{}"), **arrays)
    with pytest.raises(ValueError, match="bad.npz.*constant"):
        load_table(path)
    np.savez_compressed(path, hidden=3, n=10, meta=np.array("{}"), **arrays)
    with pytest.raises(ValueError, match="bad.npz"):
        load_table(path)
    np.savez_compressed(path, hidden=2, n=10, **arrays)
    with pytest.raises(ValueError, match="bad.npz.*meta"):
        load_table(path)


# ----------------------------------------------------------------- full size


def test_full_size_enumeration_is_fast():
    import time

    ds = make_dataset("gaussian", n_train=100, n_test=1000, seed=0)
    t0 = time.perf_counter()
    table = enumerate_tables(ds, hidden=3)
    elapsed = time.perf_counter() - t0
    assert table.ll_train.shape == (2**14,)
    assert elapsed < 10.0
    assert np.isfinite(table.ll_train).all() and (table.ll_train < 0).all()


# ----------------------------------------------------------------- other architectures


@pytest.mark.parametrize(("d", "hidden"), [(16, 0), (3, 0), (3, 1), (2, 0)])
def test_other_architectures_match_forward_single(d, hidden):
    """Logistic regression (hidden 0) and d != 2 inputs go through the direct path."""
    rng = np.random.default_rng(d + hidden)
    X = rng.uniform(0, 1, (30, d))
    y = (X.sum(axis=1) > d / 2).astype(int)
    ds = Dataset("x", X[:20], y[:20], X[20:], y[20:], {"n_train": 20})
    n = n_bits(hidden, d)
    table = enumerate_tables(ds, hidden=hidden, chunk=1000)
    assert (table.n, table.inputs) == (n, d)
    for k in rng.choice(2**n, size=min(20, 2**n), replace=False):
        ll, acc, _ = _direct_metrics(X[:20], y[:20], all_bitstrings(n)[k], hidden)
        assert table.ll_train[k] == pytest.approx(ll, rel=1e-9)
        assert table.acc_train[k] == pytest.approx(acc)
    np.testing.assert_allclose(
        predictive_matrix(X[20:], hidden)[:8],
        1 / (1 + np.exp(-logits(X[20:], hidden, 0, 8))),
        rtol=1e-6,
    )


def test_logistic_regression_layout():
    bits = np.zeros(17, dtype=np.uint8)
    bits[[3, 16]] = 1
    w, b = unpack(bits, 0, 16)
    assert w[3] == 1 and w[0] == -1 and b == 1
    x = np.zeros((1, 16))
    x[0, 3] = 0.5
    assert forward_single(x, bits, 0)[0] == pytest.approx(1 / (1 + np.exp(-1.5)))


def test_table_with_inputs_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (12, 4))
    ds = Dataset("x", X[:8], np.arange(8) % 2, X[8:], np.arange(4) % 2, {"n_train": 8})
    table = enumerate_tables(ds, hidden=0)
    save_table(table, tmp_path / "t.npz")
    back = load_table(tmp_path / "t.npz")
    assert (back.inputs, back.n, back.n_train) == (4, 5, 8)
    np.testing.assert_array_equal(back.ll_train, table.ll_train)


def test_scale_likelihood_and_optimum_indices():
    from qhnet.model.binn import optimum_indices, scale_likelihood

    ll = np.array([-4.0, -2.0, -2.0 + 1e-12, -8.0])
    np.testing.assert_array_equal(scale_likelihood(ll, "mean", 4), ll / 4)
    assert scale_likelihood(ll, "sum", 4) is not None
    np.testing.assert_array_equal(optimum_indices(ll), [1, 2])
    with pytest.raises(ValueError, match="likelihood must be one of"):
        scale_likelihood(ll, "max", 4)


@pytest.mark.parametrize("hidden", [0, 2])
def test_accuracy_table_is_the_tables_accuracy_on_any_split(small_data, hidden):
    from qhnet.model.binn import accuracy_table

    table = enumerate_tables(small_data, hidden=hidden)
    got = accuracy_table(small_data.X_test, small_data.y_test, hidden, chunk=77)
    np.testing.assert_array_equal(got, table.acc_test)
    with pytest.raises(ValueError, match="one label per point"):
        accuracy_table(small_data.X_test, small_data.y_test[:-1], hidden)
