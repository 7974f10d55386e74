"""A 2-layer ReLU network on scikit-learn's digits, trained by mini-batch SGD.

    logits = relu(x W1 + b1) W2 + b2,   loss = softmax cross-entropy

Glorot initialisation, mini-batches of 32, adcompiler computing the gradient
of the loss with respect to the whole parameter dict at each step.

Run: python examples/mlp_digits.py [--quick]
"""

import numpy as np

import adcompiler
import lecture


def main():
    args = lecture.parse_args(__doc__.splitlines()[0])
    params, data, history = lecture.train_digits_mlp(args)
    x_train, y_train, x_test, y_test = data
    print(
        f"{len(x_train)} training and {len(x_test)} test images, "
        f"{sum(p.size for p in params.values())} parameters, "
        f"{len(history['loss'])} epochs"
    )
    print("generated gradient (first lines):")
    source = adcompiler.value_and_grad(lecture.mlp_loss).source
    print("\n".join(source.splitlines()[:12]) + "\n    ...")

    fig, (left, right) = lecture.figure(2)
    lecture.plot_curves(
        left, {"training loss": history["loss"]}, "loss", "loss", log=True
    )
    lecture.plot_curves(
        right,
        {"train": history["train_accuracy"], "test": history["test_accuracy"]},
        "accuracy",
        "accuracy",
    )
    lecture.save(fig, args, "curves")

    logits = lecture.mlp_logits(params, x_test)
    predicted = np.argmax(logits, axis=1)
    wrong = np.flatnonzero(predicted != y_test)[:10]
    if len(wrong):
        fig = lecture.image_grid(
            [list(x_test[wrong])],
            titles=[[f"{y_test[i]} -> {predicted[i]}" for i in wrong]],
        )
        lecture.save(fig, args, "mistakes")

    print(f"train_accuracy: {history['train_accuracy'][-1]:.4f}")
    print(f"test_accuracy: {lecture.accuracy(logits, y_test):.4f}")


if __name__ == "__main__":
    main()
