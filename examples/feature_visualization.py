"""Feature visualisation: the image each class of the digits MLP likes best.

DeepDream-style gradient ascent on the INPUT (Erhan et al., 2009; Simonyan
et al., 2013): start from a blank image and repeatedly move it along
d score_c / d x, the gradient adcompiler generates for the class score,
with an L2 penalty and pixels kept in [0, 1]. Second row: start from a real
digit instead and let the model "dream" it towards another class.

Run: python examples/feature_visualization.py [--quick]
"""

import numpy as np

import adcompiler
import lecture

L2 = 0.5  # weight of the penalty on the pixels' squared values


def objective(params, x, classes):
    """Each image's score for its class (one-hot ``classes``) minus an L2
    penalty, summed over the batch: each image gets its own gradient."""
    scores = np.sum(lecture.mlp_logits(params, x) * classes)
    return scores - L2 * np.sum(x**2)


def ascend(params, x, classes, steps, lr=0.05):
    step = adcompiler.grad(objective, wrt="x")
    for _ in range(steps):
        x = np.clip(x + lr * step(params, x, classes), 0.0, 1.0)
    return x


def target_probability(params, x, classes):
    return np.sum(lecture.softmax(lecture.mlp_logits(params, x)) * classes, axis=1)


def main():
    args = lecture.parse_args(__doc__.splitlines()[0])
    params, (_, _, x_test, y_test), history = lecture.train_digits_mlp(args)
    print(f"digits MLP: test accuracy {history['test_accuracy'][-1]:.4f}")
    classes = np.eye(10)
    steps = 50 if args.quick else 300

    blank = np.full((10, 64), 0.1)
    dreams = ascend(params, blank, classes, steps)
    p_blank = target_probability(params, dreams, classes)

    # from a real digit c + 1 towards class c
    starts = np.array(
        [x_test[np.flatnonzero(y_test == (c + 1) % 10)[0]] for c in range(10)]
    )
    dreamed = ascend(params, starts, classes, 12)  # a few steps: keep the start
    p_real = target_probability(params, dreamed, classes)

    def labels(images):
        probs = lecture.softmax(lecture.mlp_logits(params, images))
        return [f"{np.argmax(p)} ({np.max(p):.0%})" for p in probs]

    fig = lecture.image_grid(
        [list(dreams), list(starts), list(dreamed)],
        titles=[
            [f"class {c}: {p:.0%}" for c, p in enumerate(p_blank)],
            labels(starts),
            labels(dreamed),
        ],
        row_labels=["from blank", "real digit", "dreamed"],
    )
    lecture.save(fig, args, "class_images")

    for c in range(10):
        print(
            f"  class {c}: p = {p_blank[c]:.3f} from blank, {p_real[c]:.3f} from a {(c + 1) % 10}"
        )
    print("mean probability of the target class, images from blank")
    print(f"mean_target_probability: {np.mean(p_blank):.4f}")


if __name__ == "__main__":
    main()
