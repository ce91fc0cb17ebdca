r"""Streaming estimators of simulated activity, each with a standard error.

Statistics are accumulated in float64 (block sums of float32 products are formed by BLAS and
added to float64 accumulators once per block), in O(N^2 + trials * N * lags) memory:

- :class:`CovarianceAccumulator` -- per-unit means and the equal-time covariances of ``x``, of
  ``phi(x)`` and their cross-covariance, with batch-means standard errors over ``n_blocks``
  consecutive time blocks and a split-half (first half / second half) estimate.
- :class:`AutocovarianceAccumulator` -- population-averaged autocovariance functions
  :math:`(1/N)\sum_i \langle x_i(t) x_i(t+l)\rangle` (raw and connected) up to a maximum lag.
- :func:`split_half_correlation` -- the noise ceiling of an estimated matrix.

Standard errors are batch means [1]_: the estimate in each of ``n_blocks`` time blocks, their
spread divided by :math:`\sqrt{n_\mathrm{blocks}}`. Blocks must be long compared with the
correlation time; :func:`block_se` warns-free estimators return the SE and the number of blocks.

References
----------
.. [1] Flyvbjerg & Petersen (1989), J. Chem. Phys. 91, 461 (blocking analysis).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import blas

from randrnn._typing import FloatArray

_ROW_CHUNK = 256


def _syrk_acc(z: np.ndarray, acc: np.ndarray) -> None:
    """``acc[upper] += z.T @ z`` in place (z: (k, n) C-contiguous, acc: (n, n) C-contiguous)."""
    fn = blas.ssyrk if z.dtype == np.float32 else blas.dsyrk
    # acc.T is Fortran-ordered; with trans=0 on a = z.T (Fortran (n, k)) syrk forms a a^T.
    # The upper triangle of acc.T is the lower triangle of acc.
    fn(1.0, z.T, beta=1.0, c=acc.T, trans=0, lower=0, overwrite_c=1)


def _gemm_acc(a: np.ndarray, b: np.ndarray, acc: np.ndarray) -> None:
    """``acc += a.T @ b`` in place (a, b: (k, n) C-contiguous; acc (n, n) C-contiguous)."""
    fn = blas.sgemm if a.dtype == np.float32 else blas.dgemm
    # acc.T (Fortran) += b.T @ a  <=>  acc += a.T @ b
    fn(1.0, b.T, a, beta=1.0, c=acc.T, overwrite_c=1)


class _PairMoments:
    """Block accumulator of the second moment between two streams ``u`` and ``v``."""

    def __init__(self, n: int, dtype: np.dtype, symmetric: bool, n_blocks: int) -> None:
        self.symmetric = symmetric
        self.block = np.zeros((n, n), dtype=dtype)  # current block sum of u^T v (BLAS dtype)
        self.mean = np.zeros((n, n))  # running mean over blocks of block covariances, float64
        self.m2 = np.zeros((n, n), dtype=np.float32)  # Welford sum of squared deviations
        self.half = np.zeros((n, n), dtype=np.float32)  # sum of block covariances, first half
        self.n_blocks = n_blocks

    def add(self, zu: np.ndarray, zv: np.ndarray | None) -> None:
        if self.symmetric:
            _syrk_acc(zu, self.block)
        else:
            _gemm_acc(zu, zv, self.block)  # type: ignore[arg-type]

    def close_block(self, k: int, count: int, mu: np.ndarray, mv: np.ndarray) -> None:
        """Fold the current block (``count`` samples, block means ``mu``, ``mv``) in; k >= 1."""
        n = self.block.shape[0]
        first_half = k <= self.n_blocks // 2
        for r0 in range(0, n, _ROW_CHUNK):
            r = slice(r0, min(n, r0 + _ROW_CHUNK))
            # for symmetric pairs syrk filled only the lower triangle; mirrored in finalize
            blk = self.block[r].astype(np.float64)
            t = blk / count - np.outer(mu[r], mv)
            delta = t - self.mean[r]
            self.mean[r] += delta / k
            self.m2[r] += delta * (t - self.mean[r])
            if first_half:
                self.half[r] += t
        self.block[...] = 0


def _mirror_lower(a: np.ndarray) -> None:
    """Copy the lower triangle of ``a`` onto its upper triangle, in place."""
    iu = np.triu_indices(a.shape[0], 1)
    a[iu] = a.T[iu]


@dataclass(frozen=True, slots=True, kw_only=True)
class CovarianceEstimate:
    """Equal-time statistics of ``x`` and ``phi`` with standard errors.

    Parameters
    ----------
    mean_x, mean_phi : (n,) ndarray
        Per-unit means over trials and time.
    mean_x_se, mean_phi_se : (n,) ndarray
        Their batch-means standard errors.
    cov_x, cov_phi, cov_xphi : (n, n) ndarray or None
        Covariances (``cov_xphi[i, j] = cov(x_i, phi_j)``).
    cov_x_se, cov_phi_se, cov_xphi_se : (n, n) ndarray or None
        Entry-wise standard errors (float32).
    cov_x_halves, cov_phi_halves, cov_xphi_halves : (2, n, n) ndarray or None
        Estimates from the first and second half of the blocks (float32).
    var_x_blocks, var_phi_blocks : (n_blocks,) ndarray
        Population-averaged variance in each block.
    n_blocks : int
        Number of time blocks.
    n_samples : int
        Number of sampled states (time samples times trials).
    """

    mean_x: FloatArray
    mean_phi: FloatArray
    mean_x_se: FloatArray
    mean_phi_se: FloatArray
    cov_x: FloatArray | None
    cov_phi: FloatArray | None
    cov_xphi: FloatArray | None
    cov_x_se: FloatArray | None
    cov_phi_se: FloatArray | None
    cov_xphi_se: FloatArray | None
    cov_x_halves: FloatArray | None
    cov_phi_halves: FloatArray | None
    cov_xphi_halves: FloatArray | None
    var_x_blocks: FloatArray
    var_phi_blocks: FloatArray
    n_blocks: int
    n_samples: int

    @property
    def var_x(self) -> float:
        """Population-averaged variance of ``x``."""
        return float(np.mean(self.var_x_blocks))

    @property
    def var_x_se(self) -> float:
        """Its batch-means standard error."""
        return float(np.std(self.var_x_blocks, ddof=1) / np.sqrt(self.n_blocks))

    @property
    def var_phi(self) -> float:
        """Population-averaged variance of ``phi``."""
        return float(np.mean(self.var_phi_blocks))

    @property
    def var_phi_se(self) -> float:
        """Its batch-means standard error."""
        return float(np.std(self.var_phi_blocks, ddof=1) / np.sqrt(self.n_blocks))


class CovarianceAccumulator:
    """Stream equal-time moments of ``x`` and ``phi`` sampled from a batch of trials.

    Call :meth:`add` with buffers of samples (shape ``(k, n)``, rows = trial-time samples) and
    :meth:`close_block` at the end of each of the ``n_blocks`` time blocks; then
    :meth:`finalize`.

    Parameters
    ----------
    n : int
        Number of units.
    n_blocks : int
        Number of time blocks (>= 4; 16-32 recommended).
    dtype : numpy dtype
        Dtype of the samples (float32 or float64).
    covariance : bool
        Accumulate ``cov_x`` and ``cov_phi``.
    cross : bool
        Accumulate ``cov_xphi``.
    """

    def __init__(
        self, n: int, n_blocks: int, dtype: np.dtype, *, covariance: bool = True, cross: bool = True
    ) -> None:
        self.n = n
        self.n_blocks = n_blocks
        self.dtype = np.dtype(dtype)
        self.pairs: dict[str, _PairMoments] = {}
        if covariance:
            self.pairs["x"] = _PairMoments(n, self.dtype, True, n_blocks)
            self.pairs["phi"] = _PairMoments(n, self.dtype, True, n_blocks)
        if cross:
            self.pairs["xphi"] = _PairMoments(n, self.dtype, False, n_blocks)
        self.sum_x = np.zeros(n)
        self.sum_p = np.zeros(n)
        self.sq_x = np.zeros(n)
        self.sq_p = np.zeros(n)
        self.count = 0
        self.block_sq_x: list[FloatArray] = []
        self.block_sq_p: list[FloatArray] = []
        self.block_means_x: list[FloatArray] = []
        self.block_means_p: list[FloatArray] = []

    def add(self, zx: np.ndarray, zp: np.ndarray) -> None:
        """Add ``k`` samples: ``zx``, ``zp`` of shape ``(k, n)``, C-contiguous."""
        if "x" in self.pairs:
            self.pairs["x"].add(zx, None)
            self.pairs["phi"].add(zp, None)
        if "xphi" in self.pairs:
            self.pairs["xphi"].add(zx, zp)
        self.sum_x += np.add.reduce(zx, axis=0, dtype=np.float64)
        self.sum_p += np.add.reduce(zp, axis=0, dtype=np.float64)
        self.sq_x += np.einsum("ki,ki->i", zx, zx, dtype=np.float64)
        self.sq_p += np.einsum("ki,ki->i", zp, zp, dtype=np.float64)
        self.count += zx.shape[0]

    def close_block(self) -> None:
        """End the current time block."""
        if self.count == 0:
            raise RuntimeError("`close_block` called on an empty block.")
        k = len(self.block_means_x) + 1
        mx = self.sum_x / self.count
        mp = self.sum_p / self.count
        if "x" in self.pairs:
            self.pairs["x"].close_block(k, self.count, mx, mx)
            self.pairs["phi"].close_block(k, self.count, mp, mp)
        if "xphi" in self.pairs:
            self.pairs["xphi"].close_block(k, self.count, mx, mp)
        self.block_means_x.append(mx)
        self.block_means_p.append(mp)
        self.block_sq_x.append(self.sq_x / self.count)
        self.block_sq_p.append(self.sq_p / self.count)
        self.samples_per_block = self.count
        self.sum_x = np.zeros(self.n)
        self.sum_p = np.zeros(self.n)
        self.sq_x = np.zeros(self.n)
        self.sq_p = np.zeros(self.n)
        self.count = 0

    def finalize(self) -> CovarianceEstimate:
        """Return the estimates and release the accumulators."""
        nb = len(self.block_means_x)
        if nb < 2:
            raise RuntimeError(f"need at least 2 closed blocks for standard errors; got {nb}.")
        mbx = np.array(self.block_means_x)
        mbp = np.array(self.block_means_p)
        mean_x, mean_p = mbx.mean(0), mbp.mean(0)
        sqrt_nb = np.sqrt(nb)
        # population-averaged variance per block, centred on the global means (centring each
        # block on its own mean would bias it low by the variance of the block mean)
        var_x_blocks = (np.array(self.block_sq_x) - mean_x**2).mean(1)
        var_p_blocks = (np.array(self.block_sq_p) - mean_p**2).mean(1)
        h = nb // 2
        out: dict[str, FloatArray | None] = {}
        means = {"x": (mbx, mbx, mean_x, mean_x), "phi": (mbp, mbp, mean_p, mean_p)}
        means["xphi"] = (mbx, mbp, mean_x, mean_p)
        for name in ("x", "phi", "xphi"):
            pair = self.pairs.pop(name, None)
            if pair is None:
                out[f"cov_{name}"] = out[f"cov_{name}_se"] = out[f"cov_{name}_halves"] = None
                continue
            bu, bv, mu, mv = means[name]
            del pair.block
            if pair.symmetric:
                for a in (pair.mean, pair.m2, pair.half):
                    _mirror_lower(a)
            # C = <u v^T> - mu mv^T = mean_b[T_b] + mean_b[mu_b mv_b^T] - mu mv^T
            cov = pair.mean
            cov += bu.T @ bv / nb
            cov -= np.outer(mu, mv)
            se = np.sqrt(pair.m2 / np.float32((nb - 1) * nb))
            del pair.m2
            # split-half: first h blocks vs the remaining nb - h blocks
            halves = np.empty((2, self.n, self.n), dtype=np.float32)
            mu1, mv1 = bu[:h].mean(0), bv[:h].mean(0)
            mu2, mv2 = bu[h:].mean(0), bv[h:].mean(0)
            # total sum of T_b = nb * mean_T; mean_T = cov - bu^T bv / nb + mu mv^T
            tot_t = (cov + np.outer(mu, mv) - bu.T @ bv / nb) * nb
            halves[0] = pair.half / h + bu[:h].T @ bv[:h] / h - np.outer(mu1, mv1)
            halves[1] = (tot_t - pair.half) / (nb - h) + bu[h:].T @ bv[h:] / (nb - h)
            halves[1] -= np.outer(mu2, mv2).astype(np.float32)
            del tot_t, pair
            out[f"cov_{name}"] = cov
            out[f"cov_{name}_se"] = se
            out[f"cov_{name}_halves"] = halves
        return CovarianceEstimate(
            mean_x=mean_x,
            mean_phi=mean_p,
            mean_x_se=mbx.std(0, ddof=1) / sqrt_nb,
            mean_phi_se=mbp.std(0, ddof=1) / sqrt_nb,
            cov_x=out["cov_x"],
            cov_phi=out["cov_phi"],
            cov_xphi=out["cov_xphi"],
            cov_x_se=out["cov_x_se"],
            cov_phi_se=out["cov_phi_se"],
            cov_xphi_se=out["cov_xphi_se"],
            cov_x_halves=out["cov_x_halves"],
            cov_phi_halves=out["cov_phi_halves"],
            cov_xphi_halves=out["cov_xphi_halves"],
            var_x_blocks=var_x_blocks,
            var_phi_blocks=var_p_blocks,
            n_blocks=nb,
            n_samples=nb * self.samples_per_block,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AutocovarianceEstimate:
    r"""Population-averaged autocovariance functions with standard errors.

    ``acf_x[l]`` estimates :math:`(1/N)\sum_i [\langle x_i(t) x_i(t+\ell)\rangle - m_i^2]`
    (connected); ``acf_x_raw`` keeps the :math:`m_i^2` (static) part, which is what the DMFT
    :math:`\Delta(t)` includes.

    Parameters
    ----------
    lags : (L,) ndarray
        Lags in units of tau.
    acf_x, acf_x_se, acf_phi, acf_phi_se : (L,) ndarray
        Connected autocovariances and their batch-means standard errors.
    acf_x_raw, acf_phi_raw : (L,) ndarray
        Raw (non-centred) autocorrelations.
    n_series : int
        Number of (trial, unit) series averaged.
    """

    lags: FloatArray
    acf_x: FloatArray
    acf_x_se: FloatArray
    acf_phi: FloatArray
    acf_phi_se: FloatArray
    acf_x_raw: FloatArray
    acf_phi_raw: FloatArray
    n_series: int


class AutocovarianceAccumulator:
    """Stream population-averaged autocovariances of ``x`` and ``phi`` up to ``n_lags - 1`` lags.

    A ring buffer holds the last ``n_lags`` samples of ``n_series`` series (memory
    ``2 * n_lags * n_series`` floats); each new sample is dotted with all of them.

    Parameters
    ----------
    n_series : int
        Number of series (trials times units) per sample.
    n_units : int
        Units per trial (the series are ``(trials, n_units)`` flattened).
    n_lags : int
        Number of lags including 0.
    n_blocks : int
        Number of time blocks for standard errors.
    dtype : numpy dtype
        Sample dtype.
    """

    def __init__(self, n_series: int, n_units: int, n_lags: int, n_blocks: int, dtype) -> None:
        self.n_lags = n_lags
        self.n_units = n_units
        self.n_series = n_series
        self.ring_x = np.zeros((n_lags, n_series), dtype=dtype)
        self.ring_p = np.zeros((n_lags, n_series), dtype=dtype)
        self.k = 0  # samples seen
        self.raw_x = np.zeros(n_lags)
        self.raw_p = np.zeros(n_lags)
        self.cnt = np.zeros(n_lags)
        self.sum_x = np.zeros(n_units)
        self.sum_p = np.zeros(n_units)
        self.nsum = 0
        self.blocks: list[tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]] = []
        self._block_start = (self.raw_x.copy(), self.raw_p.copy(), self.cnt.copy())
        self._block_sums = (np.zeros(n_units), np.zeros(n_units), 0)

    def add(self, x: np.ndarray, p: np.ndarray) -> None:
        """Add one sample (arrays with ``n_series`` elements, ``(trials, n_units)`` order)."""
        s = self.k % self.n_lags
        self.ring_x[s] = x.reshape(-1)
        self.ring_p[s] = p.reshape(-1)
        dx = (self.ring_x @ self.ring_x[s]).astype(np.float64)
        dp = (self.ring_p @ self.ring_p[s]).astype(np.float64)
        nvalid = min(self.k + 1, self.n_lags)
        lags = np.arange(nvalid)
        slots = (s - lags) % self.n_lags
        self.raw_x[:nvalid] += dx[slots]
        self.raw_p[:nvalid] += dp[slots]
        self.cnt[:nvalid] += 1
        ux = np.add.reduce(x.reshape(-1, self.n_units), axis=0, dtype=np.float64)
        up = np.add.reduce(p.reshape(-1, self.n_units), axis=0, dtype=np.float64)
        self.sum_x += ux
        self.sum_p += up
        bx, bp, bn = self._block_sums
        self._block_sums = (bx + ux, bp + up, bn + x.size // self.n_units)
        self.nsum += x.size // self.n_units
        self.k += 1

    def close_block(self) -> None:
        """End the current time block."""
        rx0, rp0, c0 = self._block_start
        bx, bp, bn = self._block_sums
        cnt = self.cnt - c0
        if bn == 0 or np.any(cnt == 0):
            raise RuntimeError("an autocovariance block must be longer than the maximum lag.")
        self.blocks.append(
            ((self.raw_x - rx0) / cnt, (self.raw_p - rp0) / cnt, cnt, bx / bn, bp / bn)
        )
        self._block_start = (self.raw_x.copy(), self.raw_p.copy(), self.cnt.copy())
        self._block_sums = (np.zeros(self.n_units), np.zeros(self.n_units), 0)

    def finalize(self, dt_sample: float) -> AutocovarianceEstimate:
        """Return the estimates; ``dt_sample`` is the time between samples."""
        m = self.n_series
        raw_x = self.raw_x / self.cnt / m
        raw_p = self.raw_p / self.cnt / m
        mx = self.sum_x / self.nsum
        mp = self.sum_p / self.nsum
        conn_x = raw_x - np.mean(mx**2)
        conn_p = raw_p - np.mean(mp**2)
        bx = np.array([b[0] / m - np.mean(b[3] ** 2) for b in self.blocks])
        bp = np.array([b[1] / m - np.mean(b[4] ** 2) for b in self.blocks])
        nb = len(self.blocks)
        return AutocovarianceEstimate(
            lags=np.arange(self.n_lags) * dt_sample,
            acf_x=conn_x,
            acf_x_se=bx.std(0, ddof=1) / np.sqrt(nb),
            acf_phi=conn_p,
            acf_phi_se=bp.std(0, ddof=1) / np.sqrt(nb),
            acf_x_raw=raw_x,
            acf_phi_raw=raw_p,
            n_series=m,
        )


def split_half_correlation(halves: FloatArray, *, offdiag: bool = True) -> float:
    """Correlation between the two half-run estimates of a matrix (the noise ceiling).

    Parameters
    ----------
    halves : (2, n, n) ndarray
        Estimates from two independent halves.
    offdiag : bool
        Use only off-diagonal entries.

    Returns
    -------
    float
        Pearson correlation of the entries. A prediction correlated with the full-run estimate
        cannot be expected to beat the Spearman-Brown corrected value of this number.
    """
    a, b = np.asarray(halves[0], dtype=float), np.asarray(halves[1], dtype=float)
    if offdiag:
        mask = ~np.eye(a.shape[0], dtype=bool)
        a, b = a[mask], b[mask]
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])
