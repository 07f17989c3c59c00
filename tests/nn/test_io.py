"""Checkpoints: round trip, atomic writes, and every bad file refused without harm."""

import pickle

import numpy as np
import pytest

import nn


def model(seed=0):
    return nn.MLP(2, (3,), 1, rng=seed)


def test_save_and_load_round_trip(tmp_path):
    a, b = model(0), model(1)
    path = nn.save(a, tmp_path / "m.npz")
    assert path == tmp_path / "m.npz"
    assert nn.load(b, path) is b
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert np.array_equal(p.data, q.data)
    with np.load(path, allow_pickle=False) as archive:  # a plain npz anyone can open
        assert "layers.0.weight" in archive.files
    assert [f.name for f in tmp_path.iterdir()] == ["m.npz"]  # no temporary file left behind


def test_save_replaces_atomically_and_refuses_a_missing_folder(tmp_path):
    path = tmp_path / "m.npz"
    nn.save(model(0), path)
    nn.save(model(1), path)
    assert np.array_equal(nn.load(model(2), path).layers[0].weight.data, model(1).layers[0].weight.data)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nn.save(model(), tmp_path / "nowhere" / "m.npz")


def check_refused(tmp_path, path, words):
    target = model(5)
    before = target.state_dict()
    with pytest.raises(ValueError, match=words):
        nn.load(target, path)
    for key, value in target.state_dict().items():
        assert np.array_equal(value, before[key])


def test_a_shape_mismatch_names_the_key_and_both_shapes(tmp_path):
    path = nn.save(nn.MLP(2, (4,), 1, rng=0), tmp_path / "m.npz")
    check_refused(tmp_path, path, r"m.npz.*'layers.0.weight': the file has shape \(2, 4\).*\(2, 3\)")


def test_missing_and_unexpected_keys_are_named(tmp_path):
    path = nn.save(nn.MLP(2, (3, 3), 1, rng=0), tmp_path / "m.npz")
    check_refused(tmp_path, path, r"unexpected key\(s\) \['layers.4.weight', 'layers.4.bias'\]")
    sd = model().state_dict()
    del sd["layers.2.bias"]
    np.savez(tmp_path / "partial.npz", **sd)
    check_refused(tmp_path, tmp_path / "partial.npz", r"missing key\(s\) \['layers.2.bias'\]")


@pytest.mark.parametrize("content, words", [
    (b"not a zip file at all", "is not a chainrule checkpoint"),
    (b"", "is not a chainrule checkpoint"),
])
def test_files_that_are_not_checkpoints(tmp_path, content, words):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    check_refused(tmp_path, path, words)


def test_a_single_array_and_a_pickle_are_refused_and_never_run(tmp_path):
    np.save(tmp_path / "one.npy", np.ones(3))
    check_refused(tmp_path, tmp_path / "one.npy", "not a chainrule checkpoint")

    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('pickle ran')",))

    with open(tmp_path / "evil.npz", "wb") as f:
        np.savez(f, **{**model().state_dict(), "layers.0.weight": np.array([Boom()], dtype=object)})
    check_refused(tmp_path, tmp_path / "evil.npz", r"not a chainrule checkpoint.*pickle")
    (tmp_path / "raw.pkl").write_bytes(pickle.dumps({"a": 1}))
    check_refused(tmp_path, tmp_path / "raw.pkl", "not a chainrule checkpoint")


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no checkpoint file at .*absent\.npz"):
        nn.load(model(), tmp_path / "absent.npz")
