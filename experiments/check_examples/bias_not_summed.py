"""The lab's network as plain functions with biases, with one mistake: a bias gradient not
summed over the batch.

b2 is added to every row of the batch, so dL/db2 is the sum of dz2 over the rows; here db2 =
dz2, one row per point. The update b2 - lr·db2 then quietly broadcasts b2 to one row per point.

    python -m experiments.check experiments/check_examples/bias_not_summed.py
"""

import numpy as np

rng = np.random.default_rng(0)
W1, b1 = rng.normal(size=(2, 4)), np.zeros((1, 4))
W2, b2 = rng.normal(size=(4, 4)), np.zeros((1, 4))
W3, b3 = rng.normal(size=(4, 1)), np.zeros((1, 1))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def forward(x, W1, b1, W2, b2, W3, b3):
    z1 = x @ W1 + b1
    a1 = sigmoid(z1)
    z2 = a1 @ W2 + b2
    a2 = sigmoid(z2)
    z3 = a2 @ W3 + b3
    y_pred = sigmoid(z3)
    return y_pred, (a1, a2)


def loss(y_pred, y):
    return np.mean((y_pred - y) ** 2)


def backward(x, y, y_pred, cache, W2, W3):
    a1, a2 = cache
    n = len(x)
    dz3 = 2 * (y_pred - y) / n * y_pred * (1 - y_pred)
    dW3, db3 = a2.T @ dz3, dz3.sum(axis=0, keepdims=True)
    dz2 = dz3 @ W3.T * a2 * (1 - a2)
    dW2, db2 = a1.T @ dz2, dz2  # the mistake: db2 is not summed over the batch
    dz1 = dz2 @ W2.T * a1 * (1 - a1)
    dW1, db1 = x.T @ dz1, dz1.sum(axis=0, keepdims=True)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "W3": dW3, "b3": db3}


if __name__ == "__main__":
    x = np.array([[0.1 * i, 0.1 * i] for i in range(11)] + [[0.1 * i, 1 - 0.1 * i] for i in range(11) if i != 5])
    y = np.array([[0.0]] * 11 + [[1.0]] * 10)
    weights = {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "W3": W3, "b3": b3}
    for epoch in range(1, 20001):
        y_pred, cache = forward(x, **weights)
        grads = backward(x, y, y_pred, cache, weights["W2"], weights["W3"])
        weights = {k: v - 1.0 * grads[k] for k, v in weights.items()}
        if epoch % 2000 == 0:
            print(f"epoch {epoch} loss : {loss(y_pred, y)}")
