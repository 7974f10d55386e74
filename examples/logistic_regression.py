"""Logistic regression by SGD: is this digit a 3 or an 8?

    p = sigmoid(x . w + b),   loss = -mean(y log p + (1 - y) log(1 - p))

adcompiler reads ``loss`` below and generates its gradient; this script
prints the generated code (forward sweep, then backward sweep), checks it
against central finite differences, and trains the model with it.

Run: python examples/logistic_regression.py [--quick]
"""

import numpy as np

import adcompiler
import lecture
from lecture import sigmoid


def loss(params, x, y):
    """Binary cross-entropy of the logistic model, averaged over the batch."""
    p = sigmoid(x @ params["w"] + params["b"])
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def main():
    args = lecture.parse_args(__doc__.splitlines()[0])
    x_train, y_train, x_test, y_test = lecture.load_digits(seed=args.seed)
    keep_train = (y_train == 3) | (y_train == 8)
    keep_test = (y_test == 3) | (y_test == 8)
    x_train, y_train = x_train[keep_train], (y_train[keep_train] == 8) * 1.0
    x_test, y_test = x_test[keep_test], (y_test[keep_test] == 8) * 1.0
    print(f"3 vs 8: {len(x_train)} training and {len(x_test)} test images")

    rng = np.random.default_rng(args.seed)
    params = {"w": rng.normal(size=64) * 0.01, "b": 0.0}

    print("\nThe gradient adcompiler generates for loss (adcompiler.show):\n")
    gradient = adcompiler.value_and_grad(loss)
    gradient(params, x_train[:4], y_train[:4])
    adcompiler.show(gradient)

    point = {"w": rng.normal(size=64), "b": 0.3}
    adcompiler.check_grad(loss, point, x_train[:50], y_train[:50])
    print("check_grad: the gradient agrees with central finite differences\n")

    def evaluate(p):
        scores = sigmoid(x_test @ p["w"] + p["b"])
        return {
            "test_loss": float(loss(p, x_test, y_test)),
            "test_accuracy": float(np.mean((scores > 0.5) == (y_test == 1.0))),
        }

    params, history = lecture.sgd(
        loss,
        params,
        x_train,
        y_train,
        epochs=5 if args.quick else 30,
        lr=0.5,
        batch_size=16,
        rng=rng,
        evaluate=evaluate,
        progress=args.progress,
        desc="logistic regression",
    )

    fig, (left, middle, right) = lecture.figure(3, width=4.2)
    lecture.plot_curves(
        left,
        {"train (mini-batch mean)": history["loss"], "test": history["test_loss"]},
        "binary cross-entropy",
        "loss",
        log=True,
    )
    lecture.plot_curves(middle, {"test": history["test_accuracy"]}, "accuracy", "")
    bound = np.max(np.abs(params["w"]))
    image = right.imshow(
        params["w"].reshape(8, 8), cmap="RdBu", vmin=-bound, vmax=bound
    )
    right.set_title("w as an image (red: 3, blue: 8)")
    right.set_xticks([])
    right.set_yticks([])
    fig.colorbar(image, ax=right)
    lecture.save(fig, args, "training")

    print(f"accuracy: {history['test_accuracy'][-1]:.4f}")


if __name__ == "__main__":
    main()
