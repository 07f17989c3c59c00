"""The data generators: exact points where they are known, the labelling rules elsewhere."""

import numpy as np
import pytest

from experiments import data


def test_xor_easy_is_the_labs_21_points_in_the_labs_order():
    X, y = data.generate_xor_easy()
    assert X.shape == (21, 2) and y.shape == (21, 1) and X.dtype == y.dtype == np.float64
    expected = []
    for i in range(11):
        expected.append(([0.1 * i, 0.1 * i], 0.0))
        if i != 5:
            expected.append(([0.1 * i, 1 - 0.1 * i], 1.0))
    assert X.tolist() == [p for p, _ in expected]
    assert y.ravel().tolist() == [label for _, label in expected]
    assert y.sum() == 10 and [0.5, 0.5] in X.tolist() and X.tolist().count([0.5, 0.5]) == 1


def test_linear_follows_the_labs_rule():
    X, y = data.generate_linear(500, rng=3)
    assert X.shape == (500, 2) and np.all((X >= 0) & (X <= 1))
    assert np.array_equal(y.ravel(), np.where(X[:, 0] > X[:, 1], 0.0, 1.0))


def test_chessboard_labels_are_cell_parity():
    X, y = data.generate_chessboard(800, grid=4, rng=1)
    cells = np.floor(4 * X).astype(int)
    assert np.array_equal(y.ravel(), (cells.sum(axis=1) % 2).astype(float))
    X3, y3 = data.generate_chessboard(10, grid=3, rng=1)
    assert np.array_equal(y3.ravel(), (np.floor(3 * X3).astype(int).sum(axis=1) % 2).astype(float))


def test_circle_and_spiral():
    X, y = data.generate_circle(300, rng=0)
    r = np.linalg.norm(X - 0.5, axis=1)
    assert np.all(r[y.ravel() == 1] <= 0.25) and np.all(r[y.ravel() == 0] >= 0.35) and y.sum() == 150
    noisy, _ = data.generate_circle(300, noise=0.2, rng=0)
    assert not np.allclose(noisy, X) and np.all(np.abs(noisy - X) <= 0.1 + 1e-12)
    S, t = data.generate_spiral(200, rng=0)
    assert S.shape == (200, 2) and t.sum() == 100
    assert np.all(np.linalg.norm(S - 0.5, axis=1) <= 0.5 + 1e-12)
    first, second = S[:100] - 0.5, S[100:] - 0.5
    assert np.allclose(first, -second)  # the second spiral is the first turned by π


@pytest.mark.parametrize("make", [
    lambda rng: data.generate_linear(50, rng=rng),
    lambda rng: data.generate_chessboard(50, rng=rng),
    lambda rng: data.generate_circle(50, noise=0.1, rng=rng),
    lambda rng: data.generate_spiral(50, noise=0.1, rng=rng),
])
def test_a_seed_or_generator_fixes_the_points(make):
    a, b = make(7), make(np.random.default_rng(7))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(make(8)[0], a[0])


def test_test_sets_are_drawn_separately_except_for_xor():
    (X, _), (X_test, _) = data.load("linear", 100, 50, seed=0)
    assert X.shape == (100, 2) and X_test.shape == (50, 2) and not np.isin(X_test, X).all()
    (X, y), (X_test, y_test) = data.load("xor", 100, 50, seed=0)
    assert np.array_equal(X, X_test) and np.array_equal(y, y_test) and len(X) == 21


@pytest.mark.parametrize("call, words", [
    (lambda: data.generate_linear(0), "n must be a positive integer, got 0"),
    (lambda: data.generate_chessboard(10, grid=0), "grid must be a positive integer"),
    (lambda: data.generate_circle(10, noise=-1), "noise must be a number >= 0"),
    (lambda: data.load("moons", 10, 10, 0), "unknown dataset 'moons'; allowed: linear, xor, chessboard"),
])
def test_bad_arguments(call, words):
    with pytest.raises(ValueError, match=words):
        call()
    with pytest.raises(TypeError, match="rng must be"):
        data.generate_linear(5, rng="seven")
