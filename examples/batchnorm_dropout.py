"""Batch normalisation and dropout in the digits MLP, training vs evaluation.

    z = x W1 + b1 -> batch norm -> relu -> dropout -> h W2 + b2

Training mode: batch norm normalises z with the mean and variance of the
mini-batch (Ioffe and Szegedy, 2015) and dropout zeroes each hidden unit
with probability P_DROP (Srivastava et al., 2014). The dropout mask is drawn
with NumPy outside the differentiated function and passed in as an argument;
adcompiler differentiates through the batch statistics.

Evaluation mode: batch norm uses running averages of those statistics, and
dropout is off (the mask is scaled by 1 / (1 - P_DROP) during training, so
nothing needs rescaling at test time).

Run: python examples/batchnorm_dropout.py [--quick]
"""

import numpy as np

import lecture
from lecture import dense, relu

HIDDEN = 128
P_DROP = 0.5
EPS = 1e-5


def train_loss(params, x, targets, mask, batch_norm):
    """The training-mode loss; also returns the batch statistics (aux)."""
    z = dense(x, params["W1"], params["b1"])
    mean = np.mean(z, axis=0)
    var = np.mean((z - mean) ** 2, axis=0)
    if batch_norm:
        z = (z - mean) / np.sqrt(var + EPS) * params["gamma"] + params["beta"]
    h = relu(z) * mask
    logits = dense(h, params["W2"], params["b2"])
    return lecture.softmax_cross_entropy(logits, targets), (mean, var)


def predict(params, x, running, batch_norm):
    """Evaluation mode: running statistics, no dropout (plain NumPy)."""
    z = dense(x, params["W1"], params["b1"])
    if batch_norm:
        mean, var = running
        z = (z - mean) / np.sqrt(var + EPS) * params["gamma"] + params["beta"]
    return dense(relu(z), params["W2"], params["b2"])


def train(args, data, batch_norm, dropout, epochs):
    x_train, y_train, x_test, y_test = data
    rng = np.random.default_rng(args.seed)
    params = lecture.init_mlp(rng, (64, HIDDEN, 10))
    params["gamma"], params["beta"] = np.ones(HIDDEN), np.zeros(HIDDEN)
    running = [np.zeros(HIDDEN), np.ones(HIDDEN)]

    def masks(rng, n):
        if not dropout:
            return np.ones((n, HIDDEN)), batch_norm
        keep = rng.random((n, HIDDEN)) >= P_DROP
        return keep / (1.0 - P_DROP), batch_norm

    def update_running(stats):
        for i in (0, 1):
            running[i] = 0.9 * running[i] + 0.1 * stats[i]

    def evaluate(p):
        return {
            "train_accuracy": lecture.accuracy(
                predict(p, x_train, running, batch_norm), y_train
            ),
            "test_accuracy": lecture.accuracy(
                predict(p, x_test, running, batch_norm), y_test
            ),
        }

    _, history = lecture.sgd(
        train_loss,
        params,
        x_train,
        lecture.one_hot(y_train),
        epochs=epochs,
        lr=0.1,
        rng=rng,
        extra=masks,
        has_aux=True,
        on_aux=update_running,
        evaluate=evaluate,
        progress=args.progress,
        desc=f"batch norm {batch_norm}, dropout {dropout}",
    )
    return history


def main():
    args = lecture.parse_args(__doc__.splitlines()[0])
    data = lecture.load_digits(seed=args.seed)
    epochs = 5 if args.quick else 40
    variants = {
        "plain MLP": (False, False),
        "dropout": (False, True),
        "batch norm": (True, False),
        "batch norm + dropout": (True, True),
    }
    histories = {
        label: train(args, data, bn, dropout, epochs)
        for label, (bn, dropout) in variants.items()
    }

    fig, (left, middle, right) = lecture.figure(3, width=4.4)
    lecture.plot_curves(
        left,
        {k: h["loss"] for k, h in histories.items()},
        "training loss (training mode)",
        "cross-entropy",
        log=True,
    )
    lecture.plot_curves(
        middle,
        {k: h["train_accuracy"] for k, h in histories.items()},
        "train accuracy (evaluation mode)",
        "accuracy",
    )
    lecture.plot_curves(
        right,
        {k: h["test_accuracy"] for k, h in histories.items()},
        "test accuracy (evaluation mode)",
        "accuracy",
    )
    for ax in (middle, right):
        ax.set_ylim(0.85, 1.005)
    lecture.save(fig, args, "curves")

    for label, history in histories.items():
        print(
            f"{label:>22}: train {history['train_accuracy'][-1]:.4f}, "
            f"test {history['test_accuracy'][-1]:.4f}"
        )
    best = histories["batch norm + dropout"]["test_accuracy"][-1]
    print(f"test_accuracy_batchnorm_dropout: {best:.4f}")


if __name__ == "__main__":
    main()
