"""Time gradients: forward alone, hand-written NumPy backward, adcompiler, and
the peers that are installed (autograd; PyTorch eager, JAX eager and JAX jit
from peers.py), side by side in one process.

Run: python benchmarks/run.py [--repeat N] [--batch SECONDS] [--output FILE]

While working on one case: ``python benchmarks/run.py --only a,d`` times
those cases against their forward and hand-written backward only (no peers)
and prints the ratios without writing the results file.

Each method is timed once per round, over a batch of calls lasting at least
--batch seconds (so it runs in the state it leaves itself, as a gradient
called in a training loop does), the rounds interleave the methods, and the
table reports medians (so a slow stretch of the machine hits every method
alike). The hand-written backward of each case is checked against
adcompiler and against central differences in a random direction, and each
peer of peers.py against adcompiler, before anything is timed.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from typing import Any, Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import adcompiler  # noqa: E402
from cases import (  # noqa: E402
    CASES,
    lstm_inputs,
    lstm_loss_checkpointed,
    lstm_loss_steps,
)

try:
    import peers  # noqa: E402
except ImportError:
    peers = None

#: the peers' columns, in order (shown when a peer was timed for some case)
PEERS = ("autograd", "PyTorch eager", "JAX eager", "JAX jit")


def _flat(tree: Any) -> np.ndarray:
    if isinstance(tree, (tuple, list)):
        return np.concatenate([_flat(t) for t in tree])
    return np.ravel(np.asarray(tree, dtype=float))


def check(name: str, loss: Callable, hand: Callable, args: tuple, wrt: tuple) -> None:
    """The hand-written gradient agrees with adcompiler's and with finite differences."""
    value, hand_grads = hand(*args)
    ours = adcompiler.grad(loss, wrt=wrt)(*args)
    np.testing.assert_allclose(value, loss(*args), rtol=1e-10)
    np.testing.assert_allclose(_flat(hand_grads), _flat(ours), rtol=1e-6, atol=1e-9)
    rng = np.random.default_rng(1)
    direction = [rng.normal(size=np.shape(args[i])) for i in wrt]
    h = 1e-6

    def moved(sign: float) -> float:
        new = list(args)
        for i, d in zip(wrt, direction):
            new[i] = args[i] + sign * h * (d if np.ndim(args[i]) else float(d))
        return loss(*new)

    numeric = (moved(1.0) - moved(-1.0)) / (2 * h)
    analytic = sum(float(np.sum(g * d)) for g, d in zip(hand_grads, direction))
    # loose: a random direction may cross a few ReLU kinks
    assert abs(numeric - analytic) <= 1e-3 * max(1.0, abs(analytic)), (
        name,
        numeric,
        analytic,
    )


def autograd_methods(wrt: tuple, name: str) -> Callable | None:
    """The same loss differentiated by autograd (its own NumPy wrapper)."""
    try:
        import autograd
        import autograd.numpy as anp  # noqa: F401
    except ImportError:
        return None
    import cases

    source = (
        open(cases.__file__)
        .read()
        .replace("import numpy as np", "import autograd.numpy as np")
    )
    namespace: dict[str, Any] = {"__name__": "cases_autograd"}
    exec(compile(source, cases.__file__, "exec"), namespace)
    loss = namespace["CASES"][name][0]
    if "math.sin" in name:
        return None  # autograd cannot differentiate math.sin
    return autograd.grad(loss, wrt)


def median_times(
    methods: dict[str, Callable], args: tuple, repeat: int, batch: float = 0.05
) -> dict[str, float]:
    """Median seconds per call of each method, over ``repeat`` interleaved
    rounds; in each round a method is called once untimed, then until
    ``batch`` seconds have passed, and timed as the mean of those calls.

    So a method is timed in the state it leaves itself, as a gradient called
    again and again in training is. Timed right after another method, a
    call pays for that method's allocations (fresh pages for arrays of other
    sizes): with batches of one or two calls, the order of the methods alone
    moved the MLP's adcompiler/hand-written by 20%."""
    times: dict[str, list[float]] = {key: [] for key in methods}
    for fn in methods.values():  # warm up (compiles adcompiler's code)
        fn(*args)
    for _ in range(repeat):
        for key, fn in methods.items():
            fn(*args)  # untimed: the call that finds the previous method's state
            gc.disable()
            count = 0
            start = time.perf_counter()
            while True:
                fn(*args)
                count += 1
                elapsed = time.perf_counter() - start
                if elapsed >= batch:
                    break
            times[key].append(elapsed / count)
            gc.enable()
    return {key: statistics.median(values) for key, values in times.items()}


def peak_memory(fn: Callable, args: tuple) -> int:
    fn(*args)
    tracemalloc.start()
    fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def checkpoint_trade_off(repeat: int, batch: float) -> tuple[tuple, tuple]:
    """(time, peak memory) of the gradient of (f) with its step stored, then
    with its step checkpointed; the two gradients are checked equal."""
    args = lstm_inputs()
    stored = adcompiler.value_and_grad(lstm_loss_steps, wrt=(0, 1, 2))
    recomputed = adcompiler.value_and_grad(lstm_loss_checkpointed, wrt=(0, 1, 2))
    np.testing.assert_allclose(
        _flat(stored(*args)[1]), _flat(recomputed(*args)[1]), rtol=1e-12, atol=1e-15
    )
    times = median_times(
        {"stored": stored, "recomputed": recomputed}, args, repeat, batch
    )
    return (
        (times["stored"], peak_memory(stored, args)),
        (times["recomputed"], peak_memory(recomputed, args)),
    )


def per_call_overhead(repeat: int = 20000) -> float:
    from cases import chain  # noqa: F401  (a module with source, for the one-liner)

    g = adcompiler.grad(_one_line)
    g(1.0)
    raw = g._current().generated.fn
    start = time.perf_counter()
    for _ in range(repeat):
        g(1.0)
    total = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(repeat):
        raw(1.0)
    generated = time.perf_counter() - start
    return (total - generated) / repeat


def _one_line(x):
    return x * 2.0


def first_call_time() -> float:
    from cases import mlp_inputs, mlp_loss

    args = mlp_inputs()
    namespace: dict[str, Any] = {}
    # a fresh function object with the same code: nothing cached for it
    fresh = type(mlp_loss)(mlp_loss.__code__, mlp_loss.__globals__, "mlp_loss")
    g = adcompiler.grad(fresh, wrt=(0, 1, 2, 3))
    start = time.perf_counter()
    g._compiled(tuple([tuple(None for _ in args), ()]))
    namespace["t"] = time.perf_counter() - start
    return namespace["t"]


def machine() -> str:
    import numpy

    cpu = platform.processor() or platform.machine()
    versions = [f"NumPy {numpy.__version__}"]
    try:
        import autograd  # noqa: F401
        from importlib.metadata import version

        versions.append(f"autograd {version('autograd')}")
    except ImportError:
        pass
    if peers is not None:
        if "PyTorch eager" in peers.VERSIONS:
            versions.append(f"PyTorch {peers.VERSIONS['PyTorch eager']}")
        if "JAX jit" in peers.VERSIONS:
            versions.append(f"JAX {peers.VERSIONS['JAX jit']} (x64)")
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, {', '.join(versions)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--batch",
        type=float,
        default=0.05,
        help="seconds of calls per measurement (default 0.05)",
    )
    parser.add_argument(
        "--output", default=os.path.join(os.path.dirname(__file__), "results.md")
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated case letters (a-h): time only these, without "
        "peers, and print instead of writing the results file",
    )
    options = parser.parse_args()
    only = {f"({letter.strip()})" for letter in options.only.split(",") if letter}

    rows = []
    memory_rows = []
    for name, (loss, hand, make_inputs, wrt) in CASES.items():
        if only and name[:3] not in only:
            continue
        args = make_inputs()
        check(name, loss, hand, args, wrt)
        methods: dict[str, Callable] = {
            "forward": loss,
            "hand-written": hand,
            "adcompiler": adcompiler.value_and_grad(loss, wrt=wrt),
        }
        peer = None if only else autograd_methods(wrt, name)
        if peer is not None:
            methods["autograd"] = peer
        if peers is not None and not only:
            ours = methods["adcompiler"](*args)
            for label, call in peers.prepare(loss, args, wrt).items():
                peers.check(f"{name}: {label}", call, ours)
                methods[label] = lambda *_, call=call: call()  # closes over its inputs
        times = median_times(methods, args, options.repeat, options.batch)
        rows.append((name, times))
        if name.startswith(("(e)", "(f)")):
            forward_peak = peak_memory(loss, args)
            grad_peak = peak_memory(methods["adcompiler"], args)
            hand_peak = peak_memory(hand, args)
            memory_rows.append((name, forward_peak, hand_peak, grad_peak))
        print(name, {k: f"{v * 1e3:.3f} ms" for k, v in times.items()}, flush=True)
        if only:
            print(
                f"  adcompiler/hand-written {times['adcompiler'] / times['hand-written']:.2f}",
                flush=True,
            )
    if only:
        return

    trade_off = None if only else checkpoint_trade_off(options.repeat, options.batch)
    compile_ms = first_call_time() * 1e3
    overhead_us = per_call_overhead() * 1e6

    shown = [p for p in PEERS if any(p in t for _, t in rows)]
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}.",
        "",
        f"Command: `python benchmarks/run.py --repeat {options.repeat} --batch "
        f"{options.batch}` (medians of "
        f"{options.repeat} interleaved rounds, each timing a method, after one "
        f"untimed call, over at least {options.batch * 1e3:.0f} ms of calls; times "
        "in milliseconds). A ratio X/Y "
        "is the time of X over the time of Y: a peer's ratio above 1 means "
        "adcompiler is faster.",
        "",
        "| case | forward | hand-written | adcompiler | "
        + "".join(f"{p} | " for p in shown)
        + "gradient/forward | adcompiler/hand-written | "
        + "".join(f"{p}/adcompiler | " for p in shown),
        "| --- |" + " ---: |" * (5 + 2 * len(shown)),
    ]
    for name, t in rows:
        lines.append(
            f"| {name} | {t['forward'] * 1e3:.3f} | {t['hand-written'] * 1e3:.3f} "
            f"| {t['adcompiler'] * 1e3:.3f} | "
            + "".join(f"{t[p] * 1e3:.3f} | " if p in t else "– | " for p in shown)
            + f"{t['adcompiler'] / t['forward']:.2f} | "
            f"{t['adcompiler'] / t['hand-written']:.2f} | "
            + "".join(
                f"{t[p] / t['adcompiler']:.2f} | " if p in t else "– | " for p in shown
            )
        )
    if peers is not None and peers.VERSIONS:
        note = (
            "Peers (benchmarks/peers.py, each checked against adcompiler first): "
            "inputs converted once, outside the timed call; (b) and (c) are the "
            "same code for them (sin of 0-d float64 tensors). "
        )
        if "PyTorch eager" in shown:
            note += "PyTorch eager: the loss and torch.autograd.grad. "
        if "JAX jit" in shown:
            note += (
                "JAX: jax.value_and_grad, eager or under jax.jit, with "
                "jax_enable_x64, waiting with block_until_ready; first call of the "
                "jitted gradient (trace and XLA compile, not in the table), ms: "
                + ", ".join(
                    f"{name[:3]} {peers.JAX_COMPILE[CASES[name][0]] * 1e3:.0f}"
                    for name, _ in rows
                    if CASES[name][0] in peers.JAX_COMPILE
                )
                + "."
            )
        else:
            note += "JAX is not installed: no JAX columns."
        lines += ["", note]
    lines += [
        "",
        f"First call of (a) (parse, differentiate, generate, compile): {compile_ms:.1f} ms.",
        f"Per-call overhead of a cached gradient (one-line function, beyond the "
        f"generated code itself): {overhead_us:.2f} µs.",
        "",
        "Peak memory (tracemalloc) of one call:",
        "",
        "| case | forward | hand-written gradient | adcompiler gradient |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, forward_peak, hand_peak, grad_peak in memory_rows:
        lines.append(
            f"| {name} | {forward_peak / 1e6:.2f} MB | {hand_peak / 1e6:.2f} MB "
            f"| {grad_peak / 1e6:.2f} MB |"
        )
    stored, recomputed = trade_off
    lines += [
        "",
        "`checkpoint` trade-off on (f): the LSTM step written as a function "
        "`lstm_step(x, h, c, Wx, Wh, b)` (benchmarks/cases.py), called as it is "
        "(a small function: inlined, its intermediates stored for every step) or as "
        "`checkpoint(lstm_step)` (only its arguments stored; the backward runs "
        "the step again):",
        "",
        "| (f) gradient | time | peak memory |",
        "| --- | ---: | ---: |",
        f"| step stored | {stored[0] * 1e3:.3f} ms | {stored[1] / 1e6:.2f} MB |",
        f"| step checkpointed | {recomputed[0] * 1e3:.3f} ms "
        f"| {recomputed[1] / 1e6:.2f} MB |",
        f"| checkpointed / stored | {recomputed[0] / stored[0]:.2f} "
        f"| {recomputed[1] / stored[1]:.2f} |",
    ]
    text = "\n".join(line.rstrip() for line in lines) + "\n"
    with open(options.output, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
