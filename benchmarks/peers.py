"""The benchmark cases written for the peers that are installed: PyTorch eager,
JAX eager (jax.value_and_grad, no jit) and JAX jit (jax.jit of the same).

Each loss mirrors its NumPy original in cases.py operation for operation. The
inputs are converted once, in `prepare`, outside the timed call; the timed
call (a callable of no arguments) computes the loss and its gradients and
returns both. run.py checks every peer's value and gradients against
adcompiler's before timing.

The scalar loops (b) and (c) are the same code for both peers: Python floats
become 0-d float64 tensors (arrays for JAX), and math.sin and np.sin both
become torch.sin (jnp.sin; math.sin cannot take a tensor or a JAX tracer).

PyTorch uses as many threads as NumPy's BLAS (torch.set_num_threads); JAX
runs in float64 (jax_enable_x64) with its default threading.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

import numpy as np

import cases

#: label -> library version, for the peers that imported
VERSIONS: dict[str, str] = {}
#: case loss -> seconds of the first call of the jitted JAX gradient
JAX_COMPILE: dict[Callable, float] = {}


def numpy_threads() -> int:
    """How many threads NumPy's BLAS uses (threadpoolctl if there, else the cores)."""
    try:
        from threadpoolctl import threadpool_info

        counts = [
            i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"
        ]
        if counts:
            return max(counts)
    except ImportError:
        pass
    return os.cpu_count() or 1


try:
    import torch
except ImportError:
    torch = None
else:
    torch.set_num_threads(numpy_threads())
    VERSIONS["PyTorch eager"] = (
        f"{torch.__version__} ({torch.get_num_threads()} threads)"
    )

try:
    import jax
except ImportError:
    jax = None
else:
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    VERSIONS["JAX eager"] = VERSIONS["JAX jit"] = jax.__version__


# PyTorch ----------------------------------------------------------------------
def torch_mlp(W1, b1, W2, b2, x, y):
    h = torch.clamp_min(x @ W1 + b1, 0.0)
    logits = h @ W2 + b2
    shifted = logits - torch.amax(logits, dim=1, keepdim=True)
    logp = shifted - torch.log(torch.sum(torch.exp(shifted), dim=1, keepdim=True))
    return -torch.mean(torch.sum(logp * y, dim=1))


def torch_loop(x, a):
    s = 0.0
    for i in range(200):
        s = s + torch.sin(x * a + s * 0.01)
    return s


def torch_chain(x):
    y = torch.sin(x) * torch.exp(-x * x)
    z = torch.tanh(y * 3.0 + x)
    return torch.sum(z * z)


def torch_rnn(W, U, b, xs):
    h = torch.zeros((xs.shape[1], W.shape[0]), dtype=torch.float64)
    for t in range(xs.shape[0]):
        h = torch.tanh(h @ W + xs[t] @ U + b)
    return torch.mean(h**2)


def torch_sigmoid(z):
    return 1.0 / (1.0 + torch.exp(-z))


def torch_lstm(Wx, Wh, b, xs):
    H = Wh.shape[0]
    h = torch.zeros((xs.shape[1], H), dtype=torch.float64)
    c = torch.zeros((xs.shape[1], H), dtype=torch.float64)
    for t in range(xs.shape[0]):
        z = xs[t] @ Wx + h @ Wh + b
        i = torch_sigmoid(z[:, :H])
        f = torch_sigmoid(z[:, H : 2 * H])
        o = torch_sigmoid(z[:, 2 * H : 3 * H])
        g = torch.tanh(z[:, 3 * H :])
        c = f * c + i * g
        h = o * torch.tanh(c)
    return torch.mean(h**2)


# JAX --------------------------------------------------------------------------
def jax_mlp(W1, b1, W2, b2, x, y):
    h = jnp.maximum(x @ W1 + b1, 0.0)
    logits = h @ W2 + b2
    shifted = logits - jnp.max(logits, axis=1, keepdims=True)
    logp = shifted - jnp.log(jnp.sum(jnp.exp(shifted), axis=1, keepdims=True))
    return -jnp.mean(jnp.sum(logp * y, axis=1))


def jax_loop(x, a):
    s = 0.0
    for i in range(200):
        s = s + jnp.sin(x * a + s * 0.01)
    return s


def jax_chain(x):
    y = jnp.sin(x) * jnp.exp(-x * x)
    z = jnp.tanh(y * 3.0 + x)
    return jnp.sum(z * z)


def jax_rnn(W, U, b, xs):
    h = jnp.zeros((xs.shape[1], W.shape[0]))
    for t in range(xs.shape[0]):
        h = jnp.tanh(h @ W + xs[t] @ U + b)
    return jnp.mean(h**2)


def jax_sigmoid(z):
    return 1.0 / (1.0 + jnp.exp(-z))


def jax_lstm(Wx, Wh, b, xs):
    H = Wh.shape[0]
    h = jnp.zeros((xs.shape[1], H))
    c = jnp.zeros((xs.shape[1], H))
    for t in range(xs.shape[0]):
        z = xs[t] @ Wx + h @ Wh + b
        i = jax_sigmoid(z[:, :H])
        f = jax_sigmoid(z[:, H : 2 * H])
        o = jax_sigmoid(z[:, 2 * H : 3 * H])
        g = jnp.tanh(z[:, 3 * H :])
        c = f * c + i * g
        h = o * jnp.tanh(c)
    return jnp.mean(h**2)


#: NumPy loss in cases.py -> (PyTorch loss, JAX loss)
MIRRORS = {
    cases.mlp_loss: (torch_mlp, jax_mlp),
    cases.loop_math: (torch_loop, jax_loop),
    cases.loop_np: (torch_loop, jax_loop),
    cases.chain: (torch_chain, jax_chain),
    cases.rnn_loss: (torch_rnn, jax_rnn),
    cases.lstm_loss: (torch_lstm, jax_lstm),
}


def prepare_torch(fn: Callable, args: tuple, wrt: tuple) -> Callable[[], Any]:
    tensors = [
        torch.tensor(a, dtype=torch.float64, requires_grad=i in wrt)
        for i, a in enumerate(args)
    ]
    params = [tensors[i] for i in wrt]

    def value_and_grads():
        loss = fn(*tensors)
        return loss, torch.autograd.grad(loss, params)

    return value_and_grads


def prepare_jax(
    fn: Callable, args: tuple, wrt: tuple, jit: bool
) -> tuple[Callable[[], Any], float | None]:
    arrays = [jnp.asarray(a, dtype=jnp.float64) for a in args]
    g = jax.value_and_grad(fn, argnums=wrt)
    compile_time = None
    if jit:
        g = jax.jit(g)
        start = time.perf_counter()
        jax.block_until_ready(g(*arrays))  # trace, compile (XLA) and run once
        compile_time = time.perf_counter() - start

    def value_and_grads():
        return jax.block_until_ready(g(*arrays))

    return value_and_grads, compile_time


def prepare(loss: Callable, args: tuple, wrt: tuple) -> dict[str, Callable[[], Any]]:
    """label -> timed callable of no arguments, for each installed peer."""
    if loss not in MIRRORS:
        return {}
    torch_fn, jax_fn = MIRRORS[loss]
    methods: dict[str, Callable[[], Any]] = {}
    if torch is not None:
        methods["PyTorch eager"] = prepare_torch(torch_fn, args, wrt)
    if jax is not None:
        methods["JAX eager"], _ = prepare_jax(jax_fn, args, wrt, jit=False)
        methods["JAX jit"], JAX_COMPILE[loss] = prepare_jax(jax_fn, args, wrt, jit=True)
    return methods


def to_numpy(value: Any) -> np.ndarray:
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().numpy()
    return np.asarray(value)


def check(label: str, call: Callable[[], Any], ours: tuple) -> None:
    """The peer's value and gradients equal adcompiler's (value, gradients)."""
    value, grads = call()
    np.testing.assert_allclose(to_numpy(value), ours[0], rtol=1e-6, err_msg=label)
    assert len(grads) == len(ours[1]), label
    for g, o in zip(grads, ours[1]):
        np.testing.assert_allclose(to_numpy(g), o, rtol=1e-6, atol=1e-9, err_msg=label)
