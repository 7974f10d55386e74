"""Adversarial examples: the fast gradient sign method on the digits MLP.

The same adcompiler gradient as training, taken with respect to the INPUT
instead of the weights: ``g = d loss / d x``. Moving every pixel by epsilon
in the direction of ``sign(g)`` (Goodfellow et al., 2015) raises the loss
as fast as a change of at most epsilon per pixel can, and often flips the
prediction although the digit still looks the same.

Run: python examples/adversarial.py [--quick]
"""

import numpy as np

import adcompiler
import lecture

EPSILON = 0.2  # the stated attack strength; pixels are in [0, 1]


def fgsm(params, x, labels, epsilon):
    """Adversarial versions of the images ``x``, pixels kept in [0, 1]."""
    d_x = adcompiler.grad(lecture.mlp_loss, wrt="x")(params, x, lecture.one_hot(labels))
    return np.clip(x + epsilon * np.sign(d_x), 0.0, 1.0)


def success_rate(params, x, labels, epsilon):
    """Among the images the model gets right, the fraction the attack flips."""
    right = np.argmax(lecture.mlp_logits(params, x), axis=1) == labels
    x_adv = fgsm(params, x[right], labels[right], epsilon)
    flipped = np.argmax(lecture.mlp_logits(params, x_adv), axis=1) != labels[right]
    return float(np.mean(flipped))


def main():
    args = lecture.parse_args(__doc__.splitlines()[0])
    params, (_, _, x_test, y_test), history = lecture.train_digits_mlp(args)
    print(f"digits MLP: test accuracy {history['test_accuracy'][-1]:.4f}")

    epsilons = np.round(np.linspace(0.0, 0.3, 4 if args.quick else 13), 3)
    rates = [success_rate(params, x_test, y_test, e) for e in epsilons]
    rng = np.random.default_rng(args.seed)
    noise = [
        lecture.accuracy(
            lecture.mlp_logits(
                params,
                np.clip(x_test + e * rng.choice([-1.0, 1.0], x_test.shape), 0, 1),
            ),
            y_test,
        )
        for e in epsilons
    ]
    for e, r in zip(epsilons, rates):
        print(f"  epsilon {e:.3f}: FGSM flips {r:6.1%} of the correct predictions")

    fig, (ax,) = lecture.figure()
    ax.plot(epsilons, rates, "o-", label="FGSM success rate")
    ax.plot(epsilons, 1 - np.array(noise), "s--", label="error with random ±epsilon")
    ax.axvline(EPSILON, color="gray", lw=0.8)
    ax.set_xlabel("epsilon (per-pixel change, pixels in [0, 1])")
    ax.set_ylabel("fraction")
    ax.set_title("fast gradient sign attack on the digits MLP")
    ax.grid(alpha=0.3)
    ax.legend()
    lecture.save(fig, args, "success_vs_epsilon")

    # one image per class: original, perturbation, adversarial
    picks = [np.flatnonzero(y_test == c)[0] for c in range(10)]
    x, labels = x_test[picks], y_test[picks]
    x_adv = fgsm(params, x, labels, EPSILON)

    def predicted(images):
        probs = lecture.softmax(lecture.mlp_logits(params, images))
        return [f"{np.argmax(p)} ({np.max(p):.0%})" for p in probs]

    fig = lecture.image_grid(
        [list(x), list(x_adv - x), list(x_adv)],
        titles=[predicted(x), [f"±{EPSILON}"] * 10, predicted(x_adv)],
        row_labels=["original", "perturbation", "adversarial"],
        cmaps=["gray_r", "RdBu", "gray_r"],
    )
    lecture.save(fig, args, "examples")

    print(f"FGSM at epsilon = {EPSILON} (pixels in [0, 1]), on the test set")
    print(f"fgsm_success: {success_rate(params, x_test, y_test, EPSILON):.4f}")


if __name__ == "__main__":
    main()
