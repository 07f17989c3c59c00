"""Hostile checkpoints: zip bombs, absurd headers, floods of keys and NaN weights are refused
by name, before any data is read, without the memory they ask for."""

import io
import struct
import time
import tracemalloc
import zlib

import numpy as np
import pytest

import nn

GIB = 1 << 30


def model(seed=0):
    return nn.MLP(2, (3,), 1, rng=seed)


def npy_header(dtype, shape):
    """The bytes of a .npy file's magic and header for an array of ``dtype`` and ``shape``."""
    buffer = io.BytesIO()
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def deflated(prefix, zeros):
    """A raw deflate stream of ``prefix`` then ``zeros`` zero bytes, made cheaply: a flushed block
    of 1 MiB of zeros compresses to the same ~1 KB each time, so it is repeated."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(bytes(1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    assert zeros % (1 << 20) == 0
    return head + block * (zeros >> 20) + c.flush()


def write_zip(path, members):
    """A zip file by hand: ``members`` are (name, data, uncompressed size, CRC-32, method: 8 for
    deflate, 0 for stored). A bomb's CRC is left 0: a reader checks it only after inflating the
    whole member, which is what a checkpoint reader must never do."""
    local, central = [], []
    offset = 0
    for name, data, size, crc, method in members:
        name = name.encode()
        head = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data), size, len(name), 0)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(data),
                                   size, len(name), 0, 0, 0, 0, 0, offset) + name)
        local += [head, name, data]
        offset += len(head) + len(name) + len(data)
    directory = b"".join(central)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(len(members), 0xFFFF), min(len(members), 0xFFFF),
                      len(directory), offset, 0)
    if len(members) > 0xFFFF:  # zip64: the count is in a zip64 end record, found by a locator
        zip64_end = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(members), len(members),
                                len(directory), offset)
        locator = struct.pack("<IIQI", 0x07064B50, 0, offset + len(directory), 1)
        end = zip64_end + locator + end
    path.write_bytes(b"".join(local) + directory + end)
    return path


def member(name, raw, method=8):
    """A zip member holding ``raw``, deflated (8) or stored (0)."""
    if method == 8:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        return name, c.compress(raw) + c.flush(), len(raw), zlib.crc32(raw), 8
    return name, raw, len(raw), zlib.crc32(raw), 0


def bomb(name, header, zeros, declared=None):
    """A member whose .npy ``header`` is followed by ``zeros`` zero bytes (``declared``: the size
    the directory claims instead of the true one)."""
    return name, deflated(header, zeros), len(header) + zeros if declared is None else declared, 0, 8


def npy(value):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, value)
    return buffer.getvalue()


def honest_members():
    """The members of a real checkpoint of ``model()``, deflated."""
    return [member(f"{key}.npy", npy(value)) for key, value in model().state_dict().items()]


def refused_cheaply(path, words, **kwargs):
    """nn.load refuses ``path`` with ``words``, in well under a second and 100 MB, leaving the module as it was."""
    target = model(5)
    before = target.state_dict()
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ValueError, match=words) as info:
            nn.load(target, path, **kwargs)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100e6, f"{peak / 1e6:.0f} MB"
    assert seconds < 1.0, f"{seconds:.2f} s"
    assert all(np.array_equal(v, before[k]) for k, v in target.state_dict().items())
    return str(info.value)


def test_a_zip_bomb_under_an_unexpected_key_is_never_inflated(tmp_path):
    payload = bomb("payload.npy", npy_header(np.float64, (GIB // 4,)), 2 * GIB)
    path = write_zip(tmp_path / "bomb.npz", [*honest_members(), payload])
    assert path.stat().st_size < 4e6  # 2 GiB of zeros in about 2 MB
    message = refused_cheaply(path, r"bomb.npz: unexpected key\(s\) \['payload'\]")
    assert "\n" not in message


def test_a_zip_bomb_under_a_right_key_with_a_right_header_is_refused_by_its_declared_size(tmp_path):
    header = npy_header(np.float64, (2, 3))  # the shape of layers.0.weight: only the size gives it away
    members = honest_members()
    members[0] = bomb("layers.0.weight.npy", header, 2 * GIB)
    path = write_zip(tmp_path / "bomb.npz", members)
    refused_cheaply(path, r"bomb.npz: key 'layers.0.weight': the member declares 2,147,483,776 bytes, but a "
                          r"\(2, 3\) float64 array takes 176")


def test_a_member_that_hides_its_size_is_read_no_further_than_its_header_declares(tmp_path):
    header = npy_header(np.float64, (2, 3))
    members = honest_members()
    members[0] = bomb("layers.0.weight.npy", header, 2 * GIB, declared=len(header) + 48)  # the directory lies
    path = write_zip(tmp_path / "liar.npz", members)
    refused_cheaply(path, r"liar.npz is not a chainrule checkpoint.*CRC")


def test_a_header_declaring_10_to_the_12_elements_names_the_file_and_the_shapes(tmp_path):
    members = honest_members()
    members[0] = bomb("layers.0.weight.npy", npy_header(np.float64, (10**6, 10**6)), 1 << 20)
    path = write_zip(tmp_path / "huge.npz", members)
    refused_cheaply(path, r"huge.npz: key 'layers.0.weight': the file has shape \(1000000, 1000000\), the "
                          r"module's parameter has shape \(2, 3\)")
    refused_cheaply(path, r"huge.npz: key 'layers.0.weight': the file has shape", strict=False)


def test_200000_extra_keys_are_named_a_few_and_counted(tmp_path):
    extra = npy(np.zeros(()))
    members = [*honest_members(), *(member(f"extra{i}.npy", extra, method=0) for i in range(200_000))]
    path = write_zip(tmp_path / "flood.npz", members)
    with pytest.raises(ValueError) as info:
        nn.load(model(), path)
    message = str(info.value)
    assert len(message) < 400, message
    assert "unexpected key(s) ['extra0', 'extra1', 'extra2', 'extra3', 'extra4'] and 199,995 more" in message


def test_strict_false_loads_the_modules_keys_and_never_reads_the_others(tmp_path):
    payload = bomb("payload.npy", npy_header(np.float64, (GIB // 4,)), 2 * GIB)
    path = write_zip(tmp_path / "bomb.npz", [*honest_members(), payload])
    loaded = nn.load(model(5), path, strict=False)
    assert np.array_equal(loaded.layers[0].weight.data, model().layers[0].weight.data)


def test_load_state_dict_names_a_few_of_many_unexpected_keys():
    state = {**model().state_dict(), **{f"extra{i}": np.zeros(1) for i in range(200_000)}}
    with pytest.raises(ValueError) as info:
        model().load_state_dict(state)
    assert len(str(info.value)) < 400 and "and 199,995 more" in str(info.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_weights_are_refused_by_name_unless_allowed(tmp_path, bad):
    source = model(1)
    source.layers[2].bias.data[0] = bad
    path = nn.save(source, tmp_path / "m.npz")
    target = model(5)
    before = target.layers[0].weight.data.copy()
    with pytest.raises(ValueError, match=r"m.npz: key 'layers.2.bias' holds 1 NaN or infinite value\(s\) of 1; "
                                         r"pass allow_nonfinite=True to load them anyway"):
        nn.load(target, path)
    assert np.array_equal(target.layers[0].weight.data, before)
    nn.load(target, path, allow_nonfinite=True)
    assert np.array_equal(target.layers[2].bias.data, [bad]) or np.isnan(target.layers[2].bias.data[0])
    assert np.array_equal(target.layers[0].weight.data, source.layers[0].weight.data)


@pytest.mark.parametrize("value, words", [
    (np.zeros((2, 3), dtype=np.complex128), "values of dtype complex128 are not real numbers"),
    (np.zeros((2, 3), dtype="S8"), r"values of dtype \|S8 are not real numbers"),
    (np.zeros(6, dtype=[("a", "f8")]).reshape(2, 3), "are not real numbers"),
])
def test_arrays_that_are_not_real_numbers_are_refused(tmp_path, value, words):
    state = {**model().state_dict(), "layers.0.weight": value}
    np.savez(tmp_path / "m.npz", **state)
    refused_cheaply(tmp_path / "m.npz", words)


def test_a_compressed_checkpoint_loads(tmp_path):
    np.savez_compressed(tmp_path / "m.npz", **model(1).state_dict())
    loaded = nn.load(model(5), tmp_path / "m.npz")
    assert np.array_equal(loaded.layers[0].weight.data, model(1).layers[0].weight.data)
