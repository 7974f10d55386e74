"""Saliency maps: which pixels does a class score depend on most?

Simonyan, Vedaldi and Zisserman (2013): the saliency of pixel i for class c
is |d score_c / d x_i|, the gradient of the class score (the logit, before
the softmax) with respect to the INPUT image, which adcompiler computes from
the same ``mlp_logits`` used for training.

Run: python examples/saliency.py [--quick]
"""

import numpy as np

import adcompiler
import lecture


def class_score(params, x, classes):
    """Sum over the batch of each image's score for its class (one-hot
    ``classes``): its gradient is each image's own score gradient."""
    return np.sum(lecture.mlp_logits(params, x) * classes)


def main():
    args = lecture.parse_args(__doc__.splitlines()[0])
    params, (_, _, x_test, y_test), history = lecture.train_digits_mlp(args)
    print(f"digits MLP: test accuracy {history['test_accuracy'][-1]:.4f}")
    saliency_of = adcompiler.grad(class_score, wrt="x")

    d_x = saliency_of(params, x_test, lecture.one_hot(y_test))
    saliency = np.abs(d_x)
    ink = x_test > 0.25
    on_ink = np.sum(saliency * ink, axis=1) / np.sum(saliency, axis=1)
    print(f"pixels with ink: {np.mean(ink):.1%} of all pixels")

    rows, titles, labels, cmaps = [], [], [], []
    for k in range(1 if args.quick else 2):
        picks = [np.flatnonzero(y_test == c)[k] for c in range(10)]
        rows += [list(x_test[picks]), list(saliency[picks]), list(d_x[picks])]
        titles += [[f"digit {c}" for c in range(10)], None, None]
        labels += ["image", "|d score / d x|", "d score / d x"]
        cmaps += ["gray_r", "hot_r", "RdBu"]
    fig = lecture.image_grid(rows, titles=titles, row_labels=labels, cmaps=cmaps)
    lecture.save(fig, args, "saliency")

    # the saliency of every class for one image
    image = x_test[np.flatnonzero(y_test == 8)[0]]
    maps = saliency_of(params, np.repeat(image[None], 10, axis=0), np.eye(10))
    fig = lecture.image_grid(
        [[image] * 10, list(np.abs(maps))],
        titles=[None, [f"class {c}" for c in range(10)]],
        row_labels=["image", "|d score_c / d x|"],
        cmaps=["gray_r", "hot_r"],
    )
    lecture.save(fig, args, "one_image_every_class")

    print("share of the saliency on ink pixels (mean over the test set)")
    print(f"saliency_ink_fraction: {np.mean(on_ink):.4f}")


if __name__ == "__main__":
    main()
