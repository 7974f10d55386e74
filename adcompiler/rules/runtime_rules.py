"""Rules for the runtime helpers that generated code calls.

With these, generated code stays inside the subset adcompiler accepts: every
helper is a primitive whose derivative is known. The names bound here are
the helpers as primitives; the other rule tables call them.
"""

from __future__ import annotations

import numpy as np

from .. import runtime
from .registry import defvjp, nondifferentiable

nondifferentiable(runtime.seed_adjoint, hint="seed")
nondifferentiable(runtime.bilinear_spec, hint="spec")
nondifferentiable(runtime.piece_index, hint="piece")
# second derivatives of np.prod would need this one's: none yet, so asking
# for them is an error naming prod_others
defvjp(runtime.prod_others, None, signature_of=lambda g, ans, a, axis=None: None)

# unbroadcast sums over broadcast axes; its adjoint broadcasts back.
unbroadcast = defvjp(
    runtime.unbroadcast,
    lambda g, ans, adjoint, shape: np.broadcast_to(g, np.shape(adjoint)),
    None,
)

# fit_gradient only converts type and dtype: the identity on values.
fit_gradient = defvjp(
    runtime.fit_gradient,
    lambda g, ans, adjoint, x: unbroadcast(g, np.shape(adjoint)),
    None,
    hint="grad",
)

# unindex scatters into zeros; its adjoint gathers.
unindex = defvjp(
    runtime.unindex,
    lambda g, ans, adjoint, shape, index: g[index],
    None,
    None,
)


def _einsum_adjoint_of_g(G, ans, spec, k, shape, g, *operands):
    # the transpose of "operand k -> einsum" is that map itself
    ops = list(operands)
    ops[k] = G
    return np.einsum(spec, *ops)


def _einsum_adjoint_of_operands(G, ans, spec, k, shape, g, *operands):
    adjoints = []
    for j, operand in enumerate(operands):
        if j == k or operand is None:
            adjoints.append(None)
            continue
        ops = list(operands)
        ops[k] = G
        ops[j] = None
        adjoints.append(einsum_adjoint(spec, j, np.shape(operand), g, *ops))
    return adjoints


# einsum_adjoint is multilinear in g and the operands: its own rules are
# einsums again, so every order of derivative stays inside this family.
einsum_adjoint = defvjp(
    runtime.einsum_adjoint,
    None,
    None,
    None,
    _einsum_adjoint_of_g,
    _einsum_adjoint_of_operands,
    static=("k",),
)
untile = defvjp(
    runtime.untile,
    lambda g, ans, adjoint, shape, reps: np.tile(g, reps),
    None,
    None,
)
unrepeat = defvjp(
    runtime.unrepeat,
    lambda g, ans, adjoint, shape, repeats, axis=None: np.repeat(g, repeats, axis),
    None,
    None,
    static=("axis",),
)
