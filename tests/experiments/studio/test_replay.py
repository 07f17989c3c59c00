"""Snapshots kept by the training CLI, and the replay's API over them: runs listed by id,
never by path; frames at any kept epoch; bad ids, indices and files refused clearly."""

import numpy as np
import pytest

from experiments.studio.snapshots import SnapshotRecorder, choose_every, read
from experiments.training import RunConfig, fit


def test_the_cli_keeps_every_tenth_epoch_and_the_weights_match_a_fresh_run(runs_folder):
    snaps = read(runs_folder / "xor" / "snapshots.npz")
    assert snaps.epochs.tolist() == list(range(0, 301, 10))
    assert len(snaps.losses) == 300
    config = RunConfig(dataset="xor", epochs=300, lr=0.1, optimizer="adam", seed=0)
    again = fit(config)
    final = snaps.model_at(len(snaps.epochs) - 1)
    for (name, kept), fresh in zip(final.state_dict().items(), again.model.state_dict().values(), strict=True):
        assert np.allclose(kept, fresh, atol=1e-6), name  # float32 copies of the same run
    assert np.allclose(snaps.losses, again.losses, rtol=1e-6)


def test_a_20000_epoch_run_of_the_lab_network_stays_small(tmp_path):
    config = RunConfig(dataset="xor", epochs=20000)
    assert choose_every(config) == 40  # 501 snapshots of 41 numbers
    big = RunConfig(dataset="chessboard", hidden=(100, 50, 10), epochs=20000)
    assert 20000 / choose_every(big) * 4 * 5671 <= 2.2 * 1024 * 1024
    recorder = SnapshotRecorder(RunConfig(dataset="xor", epochs=2000), every=None)
    result = fit(recorder.config, on_epoch=recorder)
    path = recorder.write(tmp_path, result.losses)
    assert path.stat().st_size < 100_000
    assert read(path).epochs[-1] == 2000


def test_read_refuses_files_that_are_not_snapshots(tmp_path):
    (tmp_path / "a.npz").write_bytes(b"junk")
    with pytest.raises(ValueError, match=r"a\.npz: not a snapshots file"):
        read(tmp_path / "a.npz")
    np.savez(tmp_path / "b.npz", format=np.array("chainrule-snapshots-1"), config=np.array("{}"),
             epochs=np.array([0, 5]), losses=np.zeros(5), **{"w:layers.0.weight": np.zeros((2, 3, 3))})
    with pytest.raises(ValueError, match=r"weights layers.0.weight should have shape \(2, 2, 4\)"):
        read(tmp_path / "b.npz")


def test_the_runs_are_listed_by_id_with_the_broken_one_explained(client):
    listing = client.get("/api/runs").json()
    runs = {r["name"]: r for r in listing["runs"]}
    assert set(runs) == {"broken", "xor"}
    assert runs["xor"]["epochs"] == 300 and runs["xor"]["snapshots"] == 31
    assert "not a snapshots file" in runs["broken"]["error"]
    assert all("/" not in r["id"] and "." not in r["id"] for r in listing["runs"])


def test_a_run_scrubs_to_any_kept_epoch(client):
    run = next(r for r in client.get("/api/runs").json()["runs"] if r["name"] == "xor")
    summary = client.get(f"/api/runs/{run['id']}").json()
    assert summary["epochs"][:3] == [0, 10, 20] and summary["layers"] == [2, 4, 4, 1]
    assert len(summary["train"]) == 21 and summary["losses"][0][0] == 1
    first = client.get(f"/api/runs/{run['id']}/frame", params={"index": 0}).json()
    last = client.get(f"/api/runs/{run['id']}/frame", params={"index": 30, "point": 0}).json()
    assert (first["epoch"], first["loss"]) == (0, None)
    assert last["epoch"] == 300 and last["loss"] == pytest.approx(summary["losses"][-1][1])
    assert first["view"]["boundary"]["data"] != last["view"]["boundary"]["data"]
    assert last["svg"] is None or last["svg"].startswith("<svg")


@pytest.mark.parametrize(("path", "params", "words"), [
    ("/api/runs/0123456789ab", {}, "unknown run"),
    ("/api/runs/..%2F..%2Fetc", {}, "unknown run"),
    ("/api/runs/{xor}/frame", {"index": 31}, "index must be in [0, 30]"),
    ("/api/runs/{xor}/frame", {"index": "x"}, "index must be a whole number"),
    ("/api/runs/{xor}/frame", {"index": 0, "point": 21}, "point must be in [0, 20]"),
    ("/api/runs/{xor}/frame", {"index": 0, "file": "/etc/passwd"}, "unknown query parameter(s) file"),
    ("/api/runs/{broken}", {}, "this run cannot be replayed"),
])
def test_bad_replay_requests_are_refused(client, path, params, words):
    ids = {r["name"]: r["id"] for r in client.get("/api/runs").json()["runs"]}
    r = client.get(path.format(**ids), params=params)
    assert r.status_code in (400, 404)
    assert words in r.json()["error"] or r.status_code == 404
