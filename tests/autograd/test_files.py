"""The atomic writer: a planted symlink is replaced, never followed; a full or read-only disk
raises one OSError naming the file and leaves the old file whole."""

import errno

import pytest

from autograd.teach import write_atomic
from tests.disks import fill, read_only, small_disk


def test_a_symlink_at_the_path_is_replaced_and_its_target_left_alone(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "out" / "figure.png"
    link.parent.mkdir()
    link.symlink_to(victim)
    write_atomic(link, b"new picture")
    assert victim.read_text() == "precious"
    assert not link.is_symlink() and link.read_bytes() == b"new picture"


def test_a_full_disk_names_the_file_and_keeps_the_old_one(tmp_path):
    with small_disk(tmp_path / "disk", "1m") as disk:
        target = write_atomic(disk / "metrics.json", "old")
        fill(disk, leave=16 * 1024)
        with pytest.raises(OSError) as info:
            write_atomic(target, bytes(200 * 1024))
        assert info.value.errno == errno.ENOSPC and info.value.filename == str(target)
        assert str(info.value) == f"[Errno {errno.ENOSPC}] No space left on device: '{target}'"
        assert target.read_text() == "old"
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "metrics.json"]  # no temporary file left


def test_a_read_only_folder_names_the_file(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "model.npz").write_bytes(b"old")
    with read_only(folder):
        with pytest.raises(OSError) as info:
            write_atomic(folder / "model.npz", b"new")
        assert info.value.errno in (errno.EROFS, errno.EACCES) and info.value.filename == str(folder / "model.npz")
        assert (folder / "model.npz").read_bytes() == b"old"
