r"""Single-unit transfer functions :math:`\phi` and their derivatives.

Concrete nonlinearities (all frozen, final):

- :class:`Tanh` -- :math:`\tanh x`.
- :class:`Erf` -- :math:`\mathrm{erf}(\sqrt{\pi} x / 2)`, slope 1 at 0 like tanh, with closed-form
  Gaussian integrals.
- :class:`ReLU` -- :math:`\max(x, 0)`.
- :class:`Linear` -- :math:`x`.
- :class:`Custom` -- any user function with its derivative.

:func:`nonlinearity` builds one from its name (used by config files and the CLI).
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, final

import numpy as np
from scipy import special

from randrnn._typing import FloatArray

_ERF_SCALE = math.sqrt(math.pi) / 2.0


class AbstractNonlinearity(abc.ABC):
    """Interface of a transfer function: ``phi(x)``, ``phi.derivative(x)``."""

    name: ClassVar[str] = "abstract"
    #: True if ``phi(-x) == -phi(x)`` (needed by the classical-particle DMFT method).
    odd: ClassVar[bool] = False

    @abc.abstractmethod
    def __call__(self, x: FloatArray) -> FloatArray:
        """Evaluate :math:`\\phi(x)` elementwise."""

    @abc.abstractmethod
    def derivative(self, x: FloatArray) -> FloatArray:
        """Evaluate :math:`\\phi'(x)` elementwise."""

    def antiderivative(self, x: FloatArray) -> FloatArray:
        r"""Evaluate :math:`\Phi(x) = \int_0^x \phi(u)\,du` elementwise.

        Raises
        ------
        TypeError
            If this nonlinearity has no closed-form antiderivative.
        """
        raise TypeError(
            f"`phi` must have a closed-form antiderivative (tanh, erf, relu, linear); "
            f"got {self.name!r}."
        )

    @property
    def is_odd(self) -> bool:
        """Whether :math:`\\phi` is odd."""
        return self.odd

    def to_config(self) -> str:
        """Return the name used in config files."""
        return self.name


@final
@dataclass(frozen=True, slots=True)
class Tanh(AbstractNonlinearity):
    r""":math:`\phi(x) = \tanh x`."""

    name: ClassVar[str] = "tanh"
    odd: ClassVar[bool] = True

    def __call__(self, x: FloatArray) -> FloatArray:
        return np.tanh(x)

    def derivative(self, x: FloatArray) -> FloatArray:
        return 1.0 / np.cosh(x) ** 2

    def antiderivative(self, x: FloatArray) -> FloatArray:
        a = np.abs(x)
        return a + np.log1p(np.exp(-2.0 * a)) - math.log(2.0)


@final
@dataclass(frozen=True, slots=True)
class Erf(AbstractNonlinearity):
    r""":math:`\phi(x) = \mathrm{erf}(\sqrt{\pi}\,x/2)`; :math:`\phi'(x) = e^{-\pi x^2/4}`."""

    name: ClassVar[str] = "erf"
    odd: ClassVar[bool] = True
    #: the factor :math:`\sqrt{\pi}/2` multiplying ``x`` inside erf
    scale: ClassVar[float] = _ERF_SCALE

    def __call__(self, x: FloatArray) -> FloatArray:
        return special.erf(_ERF_SCALE * np.asarray(x))

    def derivative(self, x: FloatArray) -> FloatArray:
        return np.exp(-(_ERF_SCALE**2) * np.asarray(x) ** 2)

    def antiderivative(self, x: FloatArray) -> FloatArray:
        x = np.asarray(x, dtype=float)
        a = _ERF_SCALE
        return x * special.erf(a * x) + (np.exp(-((a * x) ** 2)) - 1.0) / (a * math.sqrt(math.pi))


@final
@dataclass(frozen=True, slots=True)
class ReLU(AbstractNonlinearity):
    r""":math:`\phi(x) = \max(x, 0)`."""

    name: ClassVar[str] = "relu"

    def __call__(self, x: FloatArray) -> FloatArray:
        return np.maximum(x, 0.0)

    def derivative(self, x: FloatArray) -> FloatArray:
        return (np.asarray(x) > 0).astype(float)

    def antiderivative(self, x: FloatArray) -> FloatArray:
        return 0.5 * np.maximum(x, 0.0) ** 2


@final
@dataclass(frozen=True, slots=True)
class Linear(AbstractNonlinearity):
    r""":math:`\phi(x) = x`."""

    name: ClassVar[str] = "linear"
    odd: ClassVar[bool] = True

    def __call__(self, x: FloatArray) -> FloatArray:
        return np.asarray(x) * 1.0

    def derivative(self, x: FloatArray) -> FloatArray:
        return np.ones_like(np.asarray(x, dtype=float))

    def antiderivative(self, x: FloatArray) -> FloatArray:
        return 0.5 * np.asarray(x) ** 2


@final
@dataclass(frozen=True, slots=True)
class Custom(AbstractNonlinearity):
    """A user-supplied nonlinearity.

    Parameters
    ----------
    func : callable
        Vectorised :math:`\\phi`.
    deriv : callable
        Vectorised :math:`\\phi'`.
    label : str
        Name recorded with results.
    is_odd_function : bool
        Declare :math:`\\phi` odd (checked numerically on a grid).
    """

    name: ClassVar[str] = "custom"
    func: Callable[[Any], Any] = field(default=np.tanh)
    deriv: Callable[[Any], Any] = field(default=lambda x: 1.0 / np.cosh(x) ** 2)
    label: str = "custom"
    is_odd_function: bool = False

    def __post_init__(self) -> None:
        for arg in ("func", "deriv"):
            if not callable(getattr(self, arg)):
                raise TypeError(f"`{arg}` must be callable; got {getattr(self, arg)!r}.")
        grid = np.linspace(-3.0, 3.0, 61)
        y = np.asarray(self.func(grid), dtype=float)
        if y.shape != grid.shape:
            raise ValueError(
                f"`func` must be vectorised (same shape out as in); got shape {y.shape} "
                f"for input shape {grid.shape}."
            )
        if self.is_odd_function and not np.allclose(y, -np.asarray(self.func(-grid)), atol=1e-12):
            raise ValueError("`is_odd_function` must match `func`; got True for a non-odd func.")

    @property
    def is_odd(self) -> bool:
        return self.is_odd_function

    def __call__(self, x: FloatArray) -> FloatArray:
        return np.asarray(self.func(x))

    def derivative(self, x: FloatArray) -> FloatArray:
        return np.asarray(self.deriv(x))

    def to_config(self) -> str:
        return f"custom:{self.label}"


_BY_NAME: dict[str, type[AbstractNonlinearity]] = {
    "tanh": Tanh,
    "erf": Erf,
    "relu": ReLU,
    "linear": Linear,
}


def nonlinearity(name: str | AbstractNonlinearity) -> AbstractNonlinearity:
    """Return the nonlinearity called ``name`` (``tanh``, ``erf``, ``relu``, ``linear``).

    Parameters
    ----------
    name : str or AbstractNonlinearity
        A name, or an instance (returned unchanged).

    Returns
    -------
    AbstractNonlinearity
        The transfer function.
    """
    if isinstance(name, AbstractNonlinearity):
        return name
    if not isinstance(name, str) or name.lower() not in _BY_NAME:
        raise ValueError(
            f"`phi` must be one of {sorted(_BY_NAME)} or a Custom instance; got {name!r}. "
            "Pass randrnn.Custom(func=..., deriv=...) for another function."
        )
    return _BY_NAME[name.lower()]()
