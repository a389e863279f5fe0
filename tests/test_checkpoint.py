"""Checkpoints round-trip, refuse other configurations and survive a torn write."""

import numpy as np

from qhnet.training.checkpoint import Checkpoint, fingerprint, restore_rng, rng_state


def test_round_trip_and_remove(tmp_path):
    ck = Checkpoint(tmp_path / "run.ckpt" / "seed3.npz", fingerprint({"seed": 3, "lam": 1.0}))
    assert ck.load() is None
    ck.save({"theta": np.arange(6.0).reshape(2, 3), "step": np.int64(40)}, {"note": "x"})
    arrays, meta = ck.load()
    np.testing.assert_array_equal(arrays["theta"], np.arange(6.0).reshape(2, 3))
    assert int(arrays["step"]) == 40 and meta["note"] == "x"
    ck.remove()
    assert ck.load() is None and not (tmp_path / "run.ckpt").exists()


def test_other_configuration_is_not_resumed(tmp_path):
    path = tmp_path / "c.npz"
    Checkpoint(path, fingerprint({"lam": 1.0})).save({"theta": np.zeros(2)})
    assert Checkpoint(path, fingerprint({"lam": 2.0})).load() is None
    assert Checkpoint(path, fingerprint({"lam": 1.0})).load() is not None


def test_unreadable_file_is_ignored(tmp_path):
    path = tmp_path / "c.npz"
    path.write_bytes(b"PK\x03\x04 torn write")
    assert Checkpoint(path, "f").load() is None


def test_rng_state_continues_the_stream():
    rng = np.random.default_rng([7, 1])
    rng.random(5)
    again = restore_rng(rng_state(rng))
    np.testing.assert_array_equal(rng.random(4), again.random(4))


def test_fingerprint_is_stable_and_sensitive():
    a = fingerprint({"table": np.arange(4.0), "lam": 1.0})
    assert a == fingerprint({"lam": 1.0, "table": np.arange(4.0)})
    assert a != fingerprint({"lam": 1.0, "table": np.arange(4.0) + 1})
