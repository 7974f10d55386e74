"""Initialisation of a deep sigmoid network: naive versus Glorot.

Four hidden layers of 100 sigmoid units on the digits, trained by SGD. We
follow the mean and standard deviation of each hidden layer's activations
during training (Glorot and Bengio, 2010, Figure 2, in the lecture):

- naive, the "standard" heuristic W ~ U(-1/sqrt(n_in), 1/sqrt(n_in)): the
  signal shrinks from layer to layer, the top hidden layer saturates at 0
  (its standard deviation collapses) and learning stalls;
- Glorot, uniform with variance 16 * 2 / (n_in + n_out) (the factor 4 = 1 /
  sigmoid'(0)): every layer keeps a spread of activations and learns.

Run: python examples/initialization.py [--quick]
"""

import numpy as np

import lecture
from lecture import dense, sigmoid

HIDDEN = (100, 100, 100, 100)


def deep_forward(layers, x):
    """``layers`` is a list of (W, b); returns the logits and the activations
    of every hidden layer."""
    h = x
    activations = []
    for W, b in layers[:-1]:
        h = sigmoid(dense(h, W, b))
        activations.append(h)
    W, b = layers[-1]
    return dense(h, W, b), activations


def deep_loss(layers, x, targets):
    logits, _ = deep_forward(layers, x)
    return lecture.softmax_cross_entropy(logits, targets)


def naive(rng, n_in, n_out):
    bound = 1.0 / np.sqrt(n_in)
    return rng.uniform(-bound, bound, size=(n_in, n_out))


def glorot_sigmoid(rng, n_in, n_out):
    return lecture.glorot(rng, n_in, n_out, gain=4.0)


def train(args, init, data, epochs):
    x_train, y_train, x_test, y_test = data
    rng = np.random.default_rng(args.seed)
    sizes = (64, *HIDDEN, 10)
    layers = [(init(rng, n, m), np.zeros(m)) for n, m in zip(sizes[:-1], sizes[1:])]
    probe = x_train[:300]  # a fixed set of images to look at the activations

    def evaluate(params):
        _, activations = deep_forward(params, probe)
        return {
            "mean": [float(np.mean(a)) for a in activations],
            "std": [float(np.std(a)) for a in activations],
            "test_accuracy": lecture.accuracy(deep_forward(params, x_test)[0], y_test),
        }

    start = evaluate(layers)
    _, history = lecture.sgd(
        deep_loss,
        layers,
        x_train,
        lecture.one_hot(y_train),
        epochs=epochs,
        lr=0.5,
        rng=rng,
        evaluate=evaluate,
        progress=args.progress,
        desc=init.__name__,
    )
    for name in start:  # epoch 0: before training
        history[name].insert(0, start[name])
    return history


def main():
    args = lecture.parse_args(__doc__.splitlines()[0])
    data = lecture.load_digits(seed=args.seed)
    epochs = 6 if args.quick else 30
    inits = {"naive U(±1/√n_in)": naive, "Glorot (gain 4 for sigmoid)": glorot_sigmoid}
    histories = {
        label: train(args, init, data, epochs) for label, init in inits.items()
    }

    fig, axes = lecture.figure(3, width=4.6)
    for ax, (label, history) in zip(axes, histories.items()):
        mean, std = np.array(history["mean"]), np.array(history["std"])
        epoch = np.arange(len(mean))
        for k in range(mean.shape[1]):
            ax.errorbar(
                epoch + 0.15 * k,
                mean[:, k],
                yerr=std[:, k],
                errorevery=max(1, len(epoch) // 10),
                capsize=2,
                label=f"layer {k + 1}",
            )
        ax.set_ylim(-0.1, 1.1)
        ax.set_title(f"{label}: sigmoid activations")
        ax.set_xlabel("epoch")
        ax.set_ylabel("mean ± standard deviation")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    accuracy = {k: v["test_accuracy"] for k, v in histories.items()}
    for (label, values), colour in zip(accuracy.items(), ("black", "tab:purple")):
        axes[2].plot(values, label=label, color=colour)
    axes[2].set_title("test accuracy")
    axes[2].set_xlabel("epoch")
    axes[2].grid(alpha=0.3)
    axes[2].legend(fontsize=8)
    lecture.save(fig, args, "activations")

    for label, history in histories.items():
        top_mean, top_std = history["mean"][-1][-1], history["std"][-1][-1]
        print(
            f"{label}: test accuracy {history['test_accuracy'][-1]:.4f}, "
            f"top hidden layer mean {top_mean:.3f} std {top_std:.3f}"
        )
    naive_acc, glorot_acc = (v[-1] for v in accuracy.values())
    print(f"test_accuracy_glorot_minus_naive: {glorot_acc - naive_acc:.4f}")


if __name__ == "__main__":
    main()
