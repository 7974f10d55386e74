"""adcompiler: a source-transforming automatic differentiation compiler for NumPy.

``@grad`` reads a function's source, lowers it to an SSA graph, and
generates readable Python for its reverse pass: a forward sweep that keeps
what the backward needs, then the chain rule applied in reverse order.
"""

from .api import (
    GradFunction,
    checkpoint,
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    jvp_source,
    show,
    stop_gradient,
    value_and_grad,
    vjp,
)
from .primitives.registry import defjvp, defvjp, nondifferentiable
from .errors import (
    ADError,
    ArgumentError,
    NoRuleError,
    NonDifferentiableError,
    OutputError,
    SourceUnavailableError,
    UnsupportedSyntaxError,
    WrtError,
)
from .testing import check_grad, numerical_grad
from .trees import register_tree
from .tools.display import gradient_html
from .tools.explain import explain

# The notebook display lives with the tools, which the core never imports.
GradFunction._repr_html_ = gradient_html

__all__ = [
    "grad",
    "value_and_grad",
    "vjp",
    "jvp",
    "jvp_source",
    "jacobian",
    "jacrev",
    "jacfwd",
    "hessian",
    "hvp",
    "stop_gradient",
    "checkpoint",
    "defvjp",
    "defjvp",
    "nondifferentiable",
    "register_tree",
    "show",
    "explain",
    "numerical_grad",
    "check_grad",
    "GradFunction",
    "ADError",
    "ArgumentError",
    "NoRuleError",
    "NonDifferentiableError",
    "OutputError",
    "SourceUnavailableError",
    "UnsupportedSyntaxError",
    "WrtError",
]
