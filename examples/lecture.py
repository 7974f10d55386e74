"""What the lecture examples share: data, layers, initialisation, SGD, plots.

Every gradient in the examples is computed by adcompiler from the plain NumPy
functions below (``mlp_loss`` and friends): there is no hand-written backward.
The examples import this module; run them from anywhere, e.g.
``python examples/mlp_digits.py --quick``.
"""

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

from adcompiler import value_and_grad  # noqa: E402

HERE = Path(__file__).resolve().parent


# -- command line and output ------------------------------------------------


def parse_args(description, argv=None):
    """``--quick`` (a smoke run in seconds), ``--output`` and ``--seed``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a smoke run, seconds")
    parser.add_argument("--output", type=Path, help="where the PNG files go")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    script = Path(sys.argv[0]).stem
    args.output = args.output or HERE / "output" / script
    args.output.mkdir(parents=True, exist_ok=True)
    print(f"output folder: {args.output}")
    args.progress = not args.quick and sys.stderr.isatty()
    return args


def save(fig, args, name):
    """Save a figure as ``<output>/<name>.png`` and say so."""
    path = args.output / f"{name}.png"
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(f"wrote {path}")
    return path


# -- data ----------------------------------------------------------------------


def load_digits(seed=0, test_fraction=0.25):
    """scikit-learn's bundled 8x8 digits (1797 images, no download).

    Returns ``x_train, y_train, x_test, y_test``: pixels scaled to [0, 1] as
    rows of 64, labels as integers 0..9; a stratified random split.
    """
    from sklearn.datasets import load_digits as sk_load_digits
    from sklearn.model_selection import train_test_split

    data = sk_load_digits()
    x = data.data.astype(np.float64) / 16.0
    return tuple(
        train_test_split(
            x,
            data.target,
            test_size=test_fraction,
            random_state=seed,
            stratify=data.target,
        )[i]
        for i in (0, 2, 1, 3)
    )


def one_hot(labels, classes=10):
    return np.eye(classes)[labels]


# -- layers and losses (differentiated by adcompiler) ---------------------------


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def relu(z):
    return np.maximum(z, 0.0)


def dense(x, W, b):
    return x @ W + b


def log_softmax(z):
    z = z - np.max(z, axis=1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))


def softmax_cross_entropy(logits, targets):
    """Mean cross-entropy of the softmax of ``logits`` against one-hot ``targets``."""
    return -np.mean(np.sum(targets * log_softmax(logits), axis=1))


def mlp_logits(params, x):
    """The lecture's 2-layer network: ``relu(x W1 + b1) W2 + b2``."""
    h = relu(dense(x, params["W1"], params["b1"]))
    return dense(h, params["W2"], params["b2"])


def mlp_loss(params, x, targets):
    return softmax_cross_entropy(mlp_logits(params, x), targets)


def softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


# -- initialisation ------------------------------------------------------------


def glorot(rng, n_in, n_out, gain=1.0):
    """Glorot and Bengio (2010): uniform with variance gain² 2 / (n_in + n_out).

    ``gain`` 1 suits tanh (slope 1 at 0); a sigmoid, whose slope at 0 is 1/4,
    needs ``gain=4`` to keep the variance from layer to layer.
    """
    limit = gain * np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_in, n_out))


def init_mlp(rng, sizes, init=glorot):
    """``{"W1", "b1", "W2", "b2", ...}`` for layer sizes such as (64, 128, 10)."""
    params = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{i}"] = init(rng, n_in, n_out)
        params[f"b{i}"] = np.zeros(n_out)
    return params


# -- training ------------------------------------------------------------------


def tree_map(fn, tree, *rest):
    """``fn`` applied leaf by leaf to parameter trees of the same structure
    (dicts, lists and tuples of arrays), as adcompiler's gradients are."""
    if isinstance(tree, dict):
        return {k: tree_map(fn, tree[k], *(r[k] for r in rest)) for k in tree}
    if isinstance(tree, (list, tuple)):
        items = [tree_map(fn, *leaves) for leaves in zip(tree, *rest)]
        return type(tree)(items)
    return fn(tree, *rest)


def accuracy(logits, labels):
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def sgd(
    loss,
    params,
    x,
    targets,
    *,
    epochs,
    lr,
    final_lr=None,
    momentum=0.0,
    batch_size=32,
    rng,
    extra=None,
    has_aux=False,
    on_aux=None,
    evaluate=None,
    progress=True,
    desc="training",
):
    """Mini-batch SGD on ``loss(params, x[batch], targets[batch], *extra(...))``.

    The step size goes linearly from ``lr`` to ``final_lr`` (default
    ``lr / 10``) over the epochs; with ``momentum``, each step follows
    ``velocity = momentum * velocity + gradient``. adcompiler differentiates ``loss`` with respect to ``params`` (a dict).
    ``extra(rng, batch_size)`` may give more arguments per step (dropout
    masks). With ``has_aux``, ``loss`` returns ``(value, aux)`` and
    ``on_aux(aux)`` is called after each step (batch-norm statistics).
    ``evaluate(params)`` is called after every epoch and its dict of numbers
    recorded. Returns ``params, history``: one list per recorded name, plus
    ``"loss"`` (the epoch's mean mini-batch loss).
    """
    step = value_and_grad(loss, has_aux=has_aux)
    n = len(x)
    history = {"loss": []}
    bar = tqdm(range(epochs), desc=desc, disable=not progress, leave=False)
    final_lr = lr / 10 if final_lr is None else final_lr
    velocity = tree_map(np.zeros_like, params)
    for epoch in bar:
        rate = lr + (final_lr - lr) * epoch / max(epochs - 1, 1)
        order = rng.permutation(n)
        losses = []
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            args = extra(rng, len(batch)) if extra is not None else ()
            value, grads = step(params, x[batch], targets[batch], *args)
            if has_aux:
                value, aux = value
                if on_aux is not None:
                    on_aux(aux)
            velocity = tree_map(lambda v, g: momentum * v + g, velocity, grads)
            params = tree_map(lambda p, v: p - rate * v, params, velocity)
            losses.append(value)
        history["loss"].append(float(np.mean(losses)))
        if evaluate is not None:
            for name, value in evaluate(params).items():
                history.setdefault(name, []).append(value)
        bar.set_postfix(loss=f"{history['loss'][-1]:.3f}")
    return params, history


def train_digits_mlp(args, hidden=128, epochs=None, lr=0.1):
    """The digits MLP of ``mlp_digits.py``, trained: ``params, data, history``.

    ``data`` is ``(x_train, y_train, x_test, y_test)``; 40 epochs (8 under
    ``--quick``). Used by the examples
    that look inside a trained model (adversarial, saliency, visualisation).
    """
    if epochs is None:
        epochs = 8 if args.quick else 40
    data = load_digits(seed=args.seed)
    x_train, y_train, x_test, y_test = data
    rng = np.random.default_rng(args.seed)
    params = init_mlp(rng, (64, hidden, 10))

    def evaluate(p):
        return {
            "train_accuracy": accuracy(mlp_logits(p, x_train), y_train),
            "test_accuracy": accuracy(mlp_logits(p, x_test), y_test),
        }

    params, history = sgd(
        mlp_loss,
        params,
        x_train,
        one_hot(y_train),
        epochs=epochs,
        lr=lr,
        rng=rng,
        evaluate=evaluate,
        progress=args.progress,
        desc="digits MLP",
    )
    return params, data, history


# -- plots -----------------------------------------------------------------------


def plot_curves(ax, curves, title, ylabel, xlabel="epoch", log=False):
    """``curves``: ``{label: list of values}`` on one axis."""
    for label, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=label)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()


def image_grid(rows, titles=None, row_labels=None, cmaps=None, size=1.4):
    """A figure of 8x8 images: ``rows`` is a list of lists of 64-vectors.

    ``cmaps`` gives one colour map per row (default grey, ink dark).
    """
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(size * n_cols, size * n_rows), squeeze=False
    )
    for i, row in enumerate(rows):
        cmap = cmaps[i] if cmaps else "gray_r"
        for j in range(n_cols):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(row):
                ax.axis("off")
                continue
            image = np.asarray(row[j]).reshape(8, 8)
            if cmap == "RdBu":
                bound = np.max(np.abs(image)) or 1.0
                ax.imshow(image, cmap=cmap, vmin=-bound, vmax=bound)
            else:
                ax.imshow(image, cmap=cmap)
            if titles is not None and titles[i] is not None:
                ax.set_title(titles[i][j], fontsize=9)
        if row_labels is not None:
            axes[i, 0].set_ylabel(row_labels[i], fontsize=9)
    fig.tight_layout()
    return fig


def figure(n_cols=1, n_rows=1, width=5.0, height=3.6):
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(width * n_cols, height * n_rows), squeeze=False
    )
    return fig, axes.ravel()
