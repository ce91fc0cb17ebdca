r"""The vector field of a rate network with constant inputs, and its exact batched Jacobian.

.. math:: F(x) = T^{-1}\bigl(-x + J\,\phi(x) + b + B u\bigr), \qquad
          \partial F/\partial x = T^{-1}\bigl(-I + J\,\mathrm{diag}\,\phi'(x)\bigr)

(docs/theory.md section 6.1). Rows of ``X`` are states; every function works on a batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from randrnn._typing import FloatArray
from randrnn._validation import check_array
from randrnn.networks import Realization
from randrnn.nonlinearities import AbstractNonlinearity


@dataclass(frozen=True, slots=True, eq=False)
class RateField:
    r"""The autonomous vector field of one realization at constant input ``u``.

    Parameters
    ----------
    J : (n, n) ndarray
        Couplings.
    drive : (n,) ndarray
        Constant drive :math:`b + B u`.
    tau : (n,) ndarray
        Time constants.
    phi : AbstractNonlinearity
        Transfer function.
    """

    J: FloatArray
    drive: FloatArray
    tau: FloatArray
    phi: AbstractNonlinearity

    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.tau.size)

    def __call__(self, X: FloatArray) -> FloatArray:
        """``F(X)`` for a batch of states ``X`` (B, n) (or one state (n,))."""
        X = np.asarray(X, dtype=float)
        return (-X + self.phi(X) @ self.J.T + self.drive) / self.tau

    def jvp(self, X: FloatArray) -> Callable[[FloatArray], FloatArray]:
        """``V -> `` the Jacobian at row ``k`` of ``X`` applied to row ``k`` of ``V``.

        The gains are computed once; each application is one matrix product for the batch.
        """
        d = np.asarray(self.phi.derivative(np.asarray(X, dtype=float)), dtype=float)
        JT, tau = self.J.T, self.tau

        def apply(V: FloatArray) -> FloatArray:
            return (-V + (d * V) @ JT) / tau

        return apply

    def jacobian(self, X: FloatArray) -> FloatArray:
        """Exact Jacobians ``(B, n, n)`` at a batch of states (or ``(n, n)`` at one state)."""
        X = np.asarray(X, dtype=float)
        d = np.asarray(self.phi.derivative(X), dtype=float)
        A = self.J * d[..., None, :]
        idx = np.arange(self.n)
        A[..., idx, idx] -= 1.0
        A /= self.tau[:, None]
        return A


def rate_field(realization: Realization, *, inputs: Any = None, u: Any = None) -> RateField:
    """The vector field of ``realization`` with constant input ``B u`` added to its ``b``.

    Parameters
    ----------
    realization : Realization
        Couplings, static input ``b``, time constants and (via its network) ``phi``.
    inputs : (n, k) array_like, optional
        Input vectors ``B`` (columns).
    u : (k,) array_like, optional
        Constant input amplitudes (required with ``inputs``).

    Returns
    -------
    RateField

    Examples
    --------
    >>> from randrnn import GaussianEnsemble, RateNetwork, realize
    >>> real = realize(RateNetwork(ensemble=GaussianEnsemble(n=30, g=0.5)))
    >>> f = rate_field(real, inputs=np.ones((30, 1)), u=[0.2])
    >>> f(np.zeros(30))[:2]
    array([0.2, 0.2])
    """
    if not isinstance(realization, Realization):
        raise TypeError(
            f"`realization` must be a randrnn.Realization; got {type(realization).__name__}."
        )
    n = realization.n
    drive = np.array(realization.b, dtype=float)
    if inputs is not None or u is not None:
        if inputs is None or u is None:
            raise ValueError(
                "`inputs` (n x k input vectors B) and `u` (k amplitudes) go together; got "
                f"inputs={'None' if inputs is None else 'an array'}, "
                f"u={'None' if u is None else 'an array'}."
            )
        Bm = check_array("inputs", inputs, shape=(n, None)) if np.ndim(inputs) == 2 else None
        if Bm is None:
            Bm = check_array("inputs", inputs, shape=(n,))[:, None]
        uu = check_array("u", np.atleast_1d(np.asarray(u, dtype=float)), shape=(Bm.shape[1],))
        drive = drive + Bm @ uu
    phi = realization.network.phi
    assert isinstance(phi, AbstractNonlinearity)
    return RateField(J=realization.J, drive=drive, tau=np.asarray(realization.tau), phi=phi)
