"""The lab's network with one mistake: each weight is updated as soon as its gradient is known.

W3 is changed before the gradient of the layer below is computed from it (da2 = dz3·W3ᵀ), so
the second and first layers get the gradient of a network that never ran.

    python -m experiments.check experiments/check_examples/update_too_early.py
"""

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def derivative_sigmoid(s):
    """σ'(z) written with the sigmoid's output s = σ(z): s(1 - s)."""
    return s * (1.0 - s)


class SimpleNet:
    def __init__(self, hidden=4, lr=1.0, seed=0):
        rng = np.random.default_rng(seed)
        self.W1 = rng.normal(size=(2, hidden))
        self.W2 = rng.normal(size=(hidden, hidden))
        self.W3 = rng.normal(size=(hidden, 1))
        self.lr = lr

    def forward(self, x):
        self.x = x
        self.z1 = x @ self.W1
        self.a1 = sigmoid(self.z1)
        self.z2 = self.a1 @ self.W2
        self.a2 = sigmoid(self.z2)
        self.z3 = self.a2 @ self.W3
        self.y = sigmoid(self.z3)
        return self.y

    def loss(self, y_pred, y):
        return np.mean((y_pred - y) ** 2)

    def backward(self, y):
        n = y.shape[0]
        dy = 2 * (self.y - y) / n
        dz3 = dy * derivative_sigmoid(self.y)
        self.dW3 = self.a2.T @ dz3
        self.W3 = self.W3 - self.lr * self.dW3  # the mistake: updated before da2 uses it
        da2 = dz3 @ self.W3.T
        dz2 = da2 * derivative_sigmoid(self.a2)
        self.dW2 = self.a1.T @ dz2
        self.W2 = self.W2 - self.lr * self.dW2
        da1 = dz2 @ self.W2.T
        dz1 = da1 * derivative_sigmoid(self.a1)
        self.dW1 = self.x.T @ dz1
        self.W1 = self.W1 - self.lr * self.dW1

    def update(self):
        self.W1 = self.W1 - self.lr * self.dW1
        self.W2 = self.W2 - self.lr * self.dW2
        self.W3 = self.W3 - self.lr * self.dW3


def xor_easy():
    """The lab's 21 XOR points."""
    points = [(0.1 * i, 0.1 * i, 0) for i in range(11)]
    points += [(0.1 * i, 1 - 0.1 * i, 1) for i in range(11) if i != 5]
    data = np.array(points)
    return data[:, :2], data[:, 2:]


if __name__ == "__main__":
    x, y = xor_easy()
    net = SimpleNet()
    for epoch in range(1, 20001):
        loss = net.loss(net.forward(x), y)
        net.backward(y)  # updates the weights too
        if epoch % 2000 == 0:
            print(f"epoch {epoch} loss : {loss}")
    print(f"accuracy {np.mean((net.forward(x) > 0.5) == y):.2%}")
