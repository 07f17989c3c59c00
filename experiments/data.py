"""The lab's data sets, and a few from teaching playgrounds. Each generator returns ``X``
of shape (n, 2), float64, and ``y`` of shape (n, 1) holding 0.0 or 1.0, and draws its
randomness from ``rng``: a ``numpy.random.Generator`` or an int seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Rng = np.random.Generator | int | None


def _generator(rng: Rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy.random.Generator or an int seed, got {type(rng).__name__}")


def _count(n: int, name: str = "n") -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return int(n)


def _noise(noise: float) -> float:
    if not isinstance(noise, (int, float)) or not noise >= 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    return float(noise)


def _column(labels: np.ndarray) -> np.ndarray:
    return labels.astype(np.float64).reshape(-1, 1)


def generate_linear(n: int = 100, rng: Rng = None) -> tuple[np.ndarray, np.ndarray]:
    """n points uniform in the unit square; label 0 where x1 > x2, else 1 (the lab's rule)."""
    X = _generator(rng).uniform(0.0, 1.0, size=(_count(n), 2))
    return X, _column(~(X[:, 0] > X[:, 1]))


def generate_xor_easy(rng: Rng = None) -> tuple[np.ndarray, np.ndarray]:
    """The lab's 21 points, in the lab's order: for i = 0..10, (0.1i, 0.1i) labelled 0, then
    (0.1i, 1 - 0.1i) labelled 1, the latter skipped at i = 5 where it would repeat the centre.
    Nothing is random; ``rng`` is accepted so every generator is called the same way."""
    points, labels = [], []
    for i in range(11):
        points.append([0.1 * i, 0.1 * i])
        labels.append(0)
        if 0.1 * i == 0.5:
            continue
        points.append([0.1 * i, 1 - 0.1 * i])
        labels.append(1)
    return np.array(points, dtype=np.float64), _column(np.array(labels))


def generate_chessboard(n: int = 1000, grid: int = 4, rng: Rng = None) -> tuple[np.ndarray, np.ndarray]:
    """n points uniform in the unit square, labelled like a grid×grid chessboard:
    label = (⌊grid·x1⌋ + ⌊grid·x2⌋) mod 2. (From the student report, not the assignment.)"""
    grid = _count(grid, "grid")
    X = _generator(rng).uniform(0.0, 1.0, size=(_count(n), 2))
    cells = np.minimum(np.floor(grid * X), grid - 1).astype(int)
    return X, _column(cells.sum(axis=1) % 2)


def generate_circle(n: int = 200, noise: float = 0.0, rng: Rng = None) -> tuple[np.ndarray, np.ndarray]:
    """A disc inside a ring, centred in the unit square (as the TensorFlow Playground's
    circle): half the points at radius 0 to 0.25 labelled 1, half at 0.35 to 0.5 labelled 0.
    ``noise`` moves each coordinate by up to ±noise·0.5 after labelling."""
    gen, n, noise = _generator(rng), _count(n), _noise(noise)
    inner = np.arange(n) < (n + 1) // 2
    radius = np.where(inner, gen.uniform(0.0, 0.25, n), gen.uniform(0.35, 0.5, n))
    angle = gen.uniform(0.0, 2 * math.pi, n)
    X = 0.5 + radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    X += gen.uniform(-0.5, 0.5, size=X.shape) * noise
    return X, _column(inner)


def generate_spiral(n: int = 200, noise: float = 0.0, rng: Rng = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals in the unit square (as the TensorFlow Playground's): along
    each, the radius grows to 0.5 while the angle turns 1.75 times around; the second is the
    first turned by π. Labels 1 and 0. ``noise`` moves each coordinate by up to ±noise·0.1."""
    gen, n, noise = _generator(rng), _count(n), _noise(noise)
    half = (n + 1) // 2
    k = np.concatenate([np.arange(half), np.arange(n - half)])
    first = np.arange(n) < half
    span = np.where(first, half, max(n - half, 1))
    radius = 0.5 * k / span
    angle = 1.75 * 2 * math.pi * k / span + np.where(first, 0.0, math.pi)
    X = 0.5 + radius[:, None] * np.stack([np.sin(angle), np.cos(angle)], axis=1)
    X += gen.uniform(-0.1, 0.1, size=X.shape) * noise
    return X, _column(first)


@dataclass(frozen=True)
class Dataset:
    """A named generator and how to call it."""

    name: str
    description: str
    make: Callable[..., tuple[np.ndarray, np.ndarray]]
    sized: bool = True  # takes n
    noisy: bool = False  # takes noise


DATASETS: dict[str, Dataset] = {
    "linear": Dataset("linear", "linearly separable: label 0 where x1 > x2", generate_linear),
    "xor": Dataset("xor", "the lab's 21-point XOR-easy", generate_xor_easy, sized=False),
    "chessboard": Dataset("chessboard", "4×4 chessboard (an extension from the student report)",
                          generate_chessboard),
    "circle": Dataset("circle", "a disc inside a ring", generate_circle, noisy=True),
    "spiral": Dataset("spiral", "two interleaved spirals", generate_spiral, noisy=True),
}


def load(name: str, n: int, n_test: int, seed: int, noise: float = 0.0,
         grid: int = 4) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Training and test sets of data set ``name``, drawn separately from the same generator
    with two streams derived from ``seed`` (XOR-easy: the same 21 points twice, as the lab)."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; allowed: {', '.join(DATASETS)}")
    spec = DATASETS[name]
    train_rng, test_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))

    def draw(count: int, gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        kwargs = {"rng": gen}
        if spec.sized:
            kwargs["n"] = count
        if spec.noisy:
            kwargs["noise"] = noise
        if name == "chessboard":
            kwargs["grid"] = grid
        return spec.make(**kwargs)

    return draw(n, train_rng), draw(n_test, test_rng)


SHAPES = ("horizontal bar", "vertical bar", "cross", "box")


def generate_shapes(n: int = 2000, size: int = 12, noise: float = 0.3,
                    rng: Rng = None) -> tuple[np.ndarray, np.ndarray]:
    """n small grey images of one of four shapes, drawn at a random place and size, plus
    Gaussian noise of standard deviation ``noise``: for the convolution experiment.

    Returns X of shape (n, 1, size, size), float64, and y of shape (n,), the class index into
    ``SHAPES``: 0 a horizontal bar, 1 a vertical bar, 2 a cross (+), 3 a hollow box. Classes
    take turns, so each has n/4 images (±1). Nothing is downloaded.
    """
    gen, n, noise = _generator(rng), _count(n), _noise(noise)
    size = _count(size, "size")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels for the shapes to fit, got {size}")
    X = np.zeros((n, 1, size, size))
    y = np.arange(n) % len(SHAPES)
    for k in range(n):
        image = X[k, 0]
        kind = y[k]
        if kind in (0, 1):  # a bar: a line of length size/2 .. size-2
            length = int(gen.integers(size // 2, size - 1))
            along, across = int(gen.integers(0, size - length + 1)), int(gen.integers(1, size - 1))
            if kind == 0:
                image[across, along:along + length] = 1.0
            else:
                image[along:along + length, across] = 1.0
        elif kind == 2:  # a cross: two arms of 2 .. 4 pixels each side of its centre
            arm = int(gen.integers(2, 5))
            r, c = (int(v) for v in gen.integers(arm, size - arm, size=2))
            image[r, c - arm:c + arm + 1] = 1.0
            image[r - arm:r + arm + 1, c] = 1.0
        else:  # a hollow box of side 4 .. 8
            side = int(gen.integers(4, min(8, size - 2) + 1))
            r, c = (int(v) for v in gen.integers(0, size - side + 1, size=2))
            image[r, c:c + side] = image[r + side - 1, c:c + side] = 1.0
            image[r:r + side, c] = image[r:r + side, c + side - 1] = 1.0
    X += gen.normal(0.0, noise, size=X.shape) if noise else 0.0
    return X, y
