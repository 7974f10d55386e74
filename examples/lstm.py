"""An LSTM trained by backpropagation through time on the adding problem.

Each sequence has T steps of two inputs: a random number in [0, 1] and a
marker, 1 at exactly two steps and 0 elsewhere. The target is the sum of
the two marked numbers, to be output after the last step (Hochreiter and
Schmidhuber, 1997). Predicting the mean, 1, gives a mean squared error of
1/6: the LSTM must learn to remember.

``lstm_loss`` is an ordinary Python loop over time; adcompiler turns it
into a forward loop that records what the backward needs and a backward
loop over the time steps, latest first: backpropagation through time.

Run: python examples/lstm.py [--quick]
"""

import re

import numpy as np

import adcompiler
import lecture
from lecture import sigmoid

STEPS = 20  # sequence length (10 under --quick)
BASELINE = 1.0 / 6.0  # the error of always predicting 1


def lstm_loss(params, x, target):
    """Mean squared error of an LSTM's final output; ``x`` is (batch, T, 2)."""
    H = params["Wh"].shape[0]
    h = np.zeros((x.shape[0], H))
    c = np.zeros((x.shape[0], H))
    for t in range(x.shape[1]):
        z = x[:, t] @ params["Wx"] + h @ params["Wh"] + params["b"]
        i = sigmoid(z[:, :H])  # input gate
        f = sigmoid(z[:, H : 2 * H])  # forget gate
        o = sigmoid(z[:, 2 * H : 3 * H])  # output gate
        g = np.tanh(z[:, 3 * H :])  # candidate cell
        c = f * c + i * g
        h = o * np.tanh(c)
    y = h @ params["Wy"] + params["by"]
    return np.mean((y[:, 0] - target) ** 2)


def lstm_predict(params, x):
    """The same forward pass, returning the predictions (plain NumPy)."""
    H = params["Wh"].shape[0]
    h = c = np.zeros((x.shape[0], H))
    for t in range(x.shape[1]):
        z = x[:, t] @ params["Wx"] + h @ params["Wh"] + params["b"]
        i, f, o = (sigmoid(z[:, k * H : (k + 1) * H]) for k in range(3))
        c = f * c + i * np.tanh(z[:, 3 * H :])
        h = o * np.tanh(c)
    return (h @ params["Wy"] + params["by"])[:, 0]


def adding_problem(rng, n, steps):
    values = rng.uniform(size=(n, steps))
    markers = np.zeros((n, steps))
    for row in markers:
        row[rng.choice(steps, size=2, replace=False)] = 1.0
    return np.stack([values, markers], axis=2), np.sum(values * markers, axis=1)


def init_lstm(rng, inputs, hidden):
    H = hidden
    return {
        "Wx": lecture.glorot(rng, inputs, 4 * H),
        "Wh": lecture.glorot(rng, H, 4 * H),
        # forget gate biased open: remember by default
        "b": np.concatenate([np.zeros(H), np.ones(H), np.zeros(2 * H)]),
        "Wy": lecture.glorot(rng, H, 1),
        "by": np.ones(1),
    }


def main():
    args = lecture.parse_args(__doc__.splitlines()[0])
    rng = np.random.default_rng(args.seed)
    steps = STEPS // 2 if args.quick else STEPS
    x_train, y_train = adding_problem(rng, 2048, steps)
    x_test, y_test = adding_problem(rng, 512, steps)
    params = init_lstm(rng, 2, 16)

    source = adcompiler.grad(lstm_loss).source
    forward = re.search(r"for t in range\(\w+\):", source).group()
    saved = re.search(r"for \((.*?)\) in reversed\(\s*tape\s*\):", source, re.S)
    names = saved.group(1).replace(",", " ").split()
    print(f"the generated gradient ({len(source.splitlines())} lines) has two loops:")
    print(f"  forward sweep:  {forward}  ... tape.append(...)")
    print(f"  backward sweep: for ({names[0]}, ..., {names[-1]}) in reversed(tape):")
    print(f"  ({len(names)} values recorded per time step)")

    def evaluate(p):
        return {"test_mse": float(np.mean((lstm_predict(p, x_test) - y_test) ** 2))}

    params, history = lecture.sgd(
        lstm_loss,
        params,
        x_train,
        y_train,
        epochs=8 if args.quick else 30,
        lr=0.05,
        momentum=0.9,
        rng=rng,
        evaluate=evaluate,
        progress=args.progress,
        desc="LSTM",
    )
    for epoch in range(0, len(history["loss"]), 5):
        print(f"  epoch {epoch + 1:3d}: test mse {history['test_mse'][epoch]:.5f}")

    fig, (left, right) = lecture.figure(2)
    lecture.plot_curves(
        left,
        {"train (mini-batch mean)": history["loss"], "test": history["test_mse"]},
        f"adding problem, T = {steps}",
        "mean squared error",
        log=True,
    )
    left.axhline(BASELINE, color="gray", ls="--", label="predict the mean")
    left.legend()
    predicted = lstm_predict(params, x_test)
    right.scatter(y_test, predicted, s=6, alpha=0.6)
    right.plot([0, 2], [0, 2], color="gray", lw=0.8)
    right.set_xlabel("target: sum of the two marked numbers")
    right.set_ylabel("LSTM output")
    right.set_title("test sequences")
    lecture.save(fig, args, "training")

    print(f"baseline (predict 1): {BASELINE:.4f}")
    print(f"test_mse: {history['test_mse'][-1]:.5f}")


if __name__ == "__main__":
    main()
