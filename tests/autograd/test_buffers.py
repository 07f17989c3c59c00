"""The engine's buffer pool: an array is handed out again only when nothing else refers to
it, small arrays skip the pool, and unused arrays are dropped."""

import gc

import numpy as np
import pytest

from autograd import Tensor, buffers

BIG = (64, 128)  # 64 KiB of float64: pooled
F64 = np.dtype(np.float64)


@pytest.fixture(autouse=True)
def empty_pool():
    buffers.release()
    yield
    buffers.release()


def test_a_dropped_array_is_handed_out_again():
    a = buffers.empty(BIG, F64)
    first = id(a)
    del a
    b = buffers.empty(BIG, F64)
    assert id(b) == first


def test_an_array_that_anything_refers_to_is_never_handed_out():
    a = buffers.empty(BIG, F64)
    view = a[1:]  # a view keeps its base busy
    held = [a]
    del a
    b = buffers.empty(BIG, F64)
    assert b is not held[0]
    del held
    c = buffers.empty(BIG, F64)
    assert c.base is None and not np.shares_memory(c, view) and not np.shares_memory(c, b)


def test_small_arrays_and_out_arguments():
    assert buffers.out((4, 4), F64) is None  # numpy allocates small results itself
    zero_d = buffers.out((), F64)
    assert isinstance(zero_d, np.ndarray) and zero_d.shape == ()
    big = buffers.out(BIG, F64)
    assert big.shape == BIG and big.dtype == F64
    assert buffers.out_like(np.ones(3)) is None


def test_release_and_pooled_bytes():
    kept = buffers.empty(BIG, F64)
    dropped = buffers.empty(BIG, F64)
    del dropped
    used, free = buffers.pooled_bytes()
    assert used == kept.nbytes and free == kept.nbytes
    assert buffers.release() == kept.nbytes
    assert buffers.pooled_bytes() == (kept.nbytes, 0)


def test_arrays_nobody_asks_for_expire(monkeypatch):
    monkeypatch.setattr(buffers, "EXPIRY", 10)
    buffers._pool.next_sweep = buffers._pool.clock + 10
    a = buffers.empty(BIG, F64)
    del a
    for _ in range(25):  # requests for another shape only
        buffers.empty((128, 64), F64)
    assert buffers.pooled_bytes()[1] == 128 * 64 * 8  # only the shape still asked for


def test_at_most_per_shape_arrays_are_pooled():
    held = [buffers.empty(BIG, F64) for _ in range(buffers.PER_SHAPE + 3)]
    used, _ = buffers.pooled_bytes()
    assert used == buffers.PER_SHAPE * held[0].nbytes


def test_training_steps_reuse_the_same_memory_and_keep_results():
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(256, 64)))
    w = Tensor(rng.normal(size=(64, 64)) * 0.1, requires_grad=True)
    kept = (x @ w).sigmoid()  # a result the caller holds: never reused
    snapshot = kept.data.copy()
    ids = []
    for _ in range(4):
        s = (x @ w).sigmoid()
        ids.append(id(s.data))
        s.sum().backward()
        del s
        gc.collect()
    assert len(set(ids[1:])) == 1  # from the second step on, the same buffer
    np.testing.assert_array_equal(kept.data, snapshot)
