r"""Streaming estimators of simulated activity, each with a standard error.

Statistics are accumulated in float64 (block sums of float32 products are formed by BLAS and
added to float64 accumulators once per block), in O(N^2 + trials * N * lags) memory:

- :class:`CovarianceAccumulator` -- per-unit means and the equal-time covariances of ``x``, of
  ``phi(x)`` and their cross-covariance, with batch-means standard errors over ``n_blocks``
  consecutive time blocks and a split-half (first half / second half) estimate.
- :class:`AutocovarianceAccumulator` -- population-averaged autocovariance functions
  :math:`(1/N)\sum_i \langle x_i(t) x_i(t+l)\rangle` (raw and connected) up to a maximum lag.
- :func:`split_half_correlation` -- the noise ceiling of an estimated matrix.

Results: :class:`MatrixEstimate` (a measured matrix with its entry-wise SE and split halves),
:class:`CovarianceEstimate`, :class:`AutocovarianceEstimate`, :class:`FourthCumulantEstimate`
and :class:`ResidualEstimate`.

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

from randrnn import _kernels
from randrnn._typing import FloatArray

_ROW_CHUNK = 256


def _accumulate(a: np.ndarray, b: np.ndarray, acc: np.ndarray, tmp: np.ndarray) -> None:
    """``acc += a.T @ b`` in place, through NumPy's BLAS (which uses ``syrk`` when ``b is a``).

    The simulator's step GEMM runs on NumPy's BLAS. SciPy wheels ship a second OpenBLAS with
    its own thread pool; calling it here made its spinning threads compete with NumPy's on every
    step (measured: simulator step 2.7x the bare GEMM instead of 1.4x at N=1000, B=128).
    """
    np.matmul(a.T, b, out=tmp)
    acc += tmp


class _PairMoments:
    """Block accumulator of the second moment between two streams ``u`` and ``v``."""

    def __init__(
        self, n: int, dtype: np.dtype, symmetric: bool, n_blocks: int, tmp: np.ndarray
    ) -> None:
        self.symmetric = symmetric
        self.tmp = tmp  # (n, n) scratch shared between the pairs
        self.fresh = True  # the block sum holds nothing yet: the first product goes straight in
        self.block = np.zeros((n, n), dtype=dtype)  # current block sum of u^T v (BLAS dtype)
        self.mean = np.zeros((n, n))  # running mean over blocks of block covariances, float64
        self.m2 = np.zeros((n, n), dtype=np.float32)  # Welford sum of squared deviations
        self.half = np.zeros((n, n), dtype=np.float32)  # sum of block covariances, first half
        self.n_blocks = n_blocks

    def add(self, zu: np.ndarray, zv: np.ndarray | None) -> None:
        other = zu if self.symmetric else zv
        if other is None:
            raise ValueError("`zv` is required for the moments of two different streams.")
        if self.fresh:
            np.matmul(zu.T, other, out=self.block)
            self.fresh = False
        else:
            _accumulate(zu, other, self.block, self.tmp)

    def add_sum(self, block_sum: np.ndarray) -> None:
        """Add a precomputed sum of ``u^T v`` over samples (e.g. formed on another device)."""
        if self.fresh:
            self.block[...] = block_sum
            self.fresh = False
        else:
            self.block += block_sum

    def close_block(self, k: int, count: int, mu: np.ndarray, mv: np.ndarray) -> None:
        """Fold the current block (``count`` samples, block means ``mu``, ``mv``) in; k >= 1."""
        # one compiled pass (NumPy's ten passes over N x N float64 temporaries cost 1.5 s per
        # block at N = 4000)
        _kernels.welford_block(
            self.block,
            float(count),
            mu,
            mv,
            float(k),
            k <= self.n_blocks // 2,
            self.mean,
            self.m2,
            self.half,
        )
        self.fresh = True


@dataclass(frozen=True, slots=True, eq=False)
class MatrixEstimate:
    r"""A measured matrix with its entry-wise standard error and its two split-half estimates.

    Parameters
    ----------
    value : (n, n) ndarray
        The full-run estimate (float64).
    se : (n, n) ndarray
        Entry-wise batch-means standard error of ``value``: the spread of the estimates from
        ``n_blocks`` consecutive time blocks divided by :math:`\sqrt{n_\mathrm{blocks}}`
        (float32). It holds the temporal sampling noise of this run only: the deviation of
        this realization from the ensemble (quenched disorder) is not in it.
    halves : (2, n, n) ndarray
        Estimates from the first and the second half of the blocks (float32); their sampling
        noise is independent, which gives the noise ceiling of a comparison.
    n_blocks : int
        Number of time blocks behind ``se`` (its degrees of freedom are ``n_blocks - 1``).
    """

    value: FloatArray
    se: FloatArray
    halves: FloatArray
    n_blocks: int

    def __post_init__(self) -> None:
        n = np.shape(self.value)
        if len(n) != 2 or np.shape(self.se) != n or np.shape(self.halves) != (2, *n):
            raise ValueError(
                "`value`, `se` and `halves` of a MatrixEstimate must have shapes (n, m), (n, m) "
                f"and (2, n, m); got {np.shape(self.value)}, {np.shape(self.se)} and "
                f"{np.shape(self.halves)}."
            )
        if int(self.n_blocks) < 2:
            raise ValueError(
                f"`n_blocks` of a MatrixEstimate must be >= 2 (the SE needs two blocks); got "
                f"{self.n_blocks!r}."
            )

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the matrix."""
        return tuple(np.shape(self.value))


@dataclass(frozen=True, slots=True, eq=False)
class FourthCumulantEstimate:
    r"""Standardised fourth-order cross-cumulants of ``phi`` on quadruples of distinct units.

    For jointly Gaussian activities the fourth cross-cumulant vanishes (Wick's theorem); its
    Gaussian part, the sum of the three products of pair covariances, does not.

    Parameters
    ----------
    kappa : (q,) ndarray
        :math:`\kappa_4(\phi_i, \phi_j, \phi_k, \phi_l) / \sqrt{v_i v_j v_k v_l}`.
    kappa_se : (q,) ndarray
        Batch-means standard error of ``kappa`` (temporal sampling noise only).
    gaussian_part : (q,) ndarray
        The Gaussian (Wick) part of the fourth central moment, standardised alike.
    quads : (q, 4) int ndarray
        The unit indices.
    n_blocks : int
        Number of time blocks behind ``kappa_se``.
    """

    kappa: FloatArray
    kappa_se: FloatArray
    gaussian_part: FloatArray
    quads: np.ndarray
    n_blocks: int

    @property
    def n_quadruples(self) -> int:
        """Number of quadruples."""
        return len(self.kappa)


@dataclass(frozen=True, slots=True, kw_only=True)
class CovarianceEstimate:
    """Equal-time statistics of ``x`` and ``phi`` with standard errors.

    Parameters
    ----------
    mean_x, mean_phi : (n,) ndarray
        Per-unit means over trials and time.
    mean_x_se, mean_phi_se : (n,) ndarray
        Their batch-means standard errors.
    cov_x, cov_phi, cov_xphi : MatrixEstimate or None
        Covariances with their entry-wise SEs and split halves (``cov_xphi.value[i, j] =
        cov(x_i, phi_j)``); None when not accumulated.
    var_x_blocks, var_phi_blocks : (n_blocks,) ndarray
        Population-averaged variance in each block.
    wick : FourthCumulantEstimate or None
        Fourth-order cross-cumulants of ``phi`` on sampled quadruples of distinct units.
    n_blocks : int
        Number of time blocks.
    n_samples : int
        Number of sampled states (time samples times trials).
    """

    mean_x: FloatArray
    mean_phi: FloatArray
    mean_x_se: FloatArray
    mean_phi_se: FloatArray
    cov_x: MatrixEstimate | None
    cov_phi: MatrixEstimate | None
    cov_xphi: MatrixEstimate | None
    var_x_blocks: FloatArray
    var_phi_blocks: FloatArray
    wick: FourthCumulantEstimate | None
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
    quads : (q, 4) int ndarray, optional
        Quadruples of distinct units for the Wick test on ``phi``.
    """

    def __init__(
        self,
        n: int,
        n_blocks: int,
        dtype: np.dtype,
        *,
        covariance: bool = True,
        cross: bool = True,
        quads: np.ndarray | None = None,
    ) -> None:
        self.n = n
        self.n_blocks = n_blocks
        self.dtype = np.dtype(dtype)
        self.pairs: dict[str, _PairMoments] = {}
        tmp = np.empty((n, n) if covariance or cross else (0, 0), dtype=self.dtype)
        if covariance:
            self.pairs["x"] = _PairMoments(n, self.dtype, True, n_blocks, tmp)
            self.pairs["phi"] = _PairMoments(n, self.dtype, True, n_blocks, tmp)
        if cross:
            self.pairs["xphi"] = _PairMoments(n, self.dtype, False, n_blocks, tmp)
        self.sum_x = np.zeros(n)
        self.sum_p = np.zeros(n)
        self.sq_x = np.zeros(n)
        self.sq_p = np.zeros(n)
        self.quad = QuadrupleAccumulator(quads) if quads is not None and len(quads) else None
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
        if self.quad is not None:
            self.quad.add(zp)
        self.count += zx.shape[0]

    def add_sums(
        self,
        count: int,
        sum_x: np.ndarray,
        sum_p: np.ndarray,
        sq_x: np.ndarray,
        sq_p: np.ndarray,
        *,
        xx: np.ndarray | None = None,
        pp: np.ndarray | None = None,
        xp: np.ndarray | None = None,
        quad_moments: np.ndarray | None = None,
    ) -> None:
        """Add ``count`` samples given by their sums instead of the samples themselves.

        The entry point of a backend that forms the sums elsewhere (on an accelerator): the
        state after this call is that of :meth:`add` with the same samples, so
        :meth:`close_block` and :meth:`finalize` are unchanged.

        Parameters
        ----------
        count : int
            Number of samples (rows) summed.
        sum_x, sum_p, sq_x, sq_p : (n,) ndarray
            Per-unit sums of ``x``, ``phi``, ``x^2``, ``phi^2`` (float64).
        xx, pp, xp : (n, n) ndarray, optional
            Sums of ``x^T x``, ``phi^T phi`` and ``x^T phi`` (required when the accumulator
            has those covariances).
        quad_moments : (q, 15) ndarray, optional
            Raw-moment sums on the quadruples (see :meth:`QuadrupleAccumulator.add_sums`).
        """
        for name, s in (("x", xx), ("phi", pp), ("xphi", xp)):
            if name in self.pairs:
                if s is None:
                    raise ValueError(f"the `{name}` block sum is required; got None.")
                self.pairs[name].add_sum(s)
        self.sum_x += sum_x
        self.sum_p += sum_p
        self.sq_x += sq_x
        self.sq_p += sq_p
        if self.quad is not None:
            if quad_moments is None:
                raise ValueError("`quad_moments` is required with quadruples; got None.")
            self.quad.add_sums(quad_moments, count)
        self.count += count

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
        if self.quad is not None:
            self.quad.close_block()
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
        var_p_units = np.array(self.block_sq_p).mean(0) - mean_p**2
        wick = self.quad.finalize(var_p_units) if self.quad is not None else None
        h = nb // 2
        out: dict[str, MatrixEstimate | None] = {}
        means = {"x": (mbx, mbx, mean_x, mean_x), "phi": (mbp, mbp, mean_p, mean_p)}
        means["xphi"] = (mbx, mbp, mean_x, mean_p)
        for moments in self.pairs.values():  # free the BLAS block sums and scratch first
            del moments.block, moments.tmp
        for name in ("x", "phi", "xphi"):
            pair = self.pairs.pop(name) if name in self.pairs else None
            if pair is None:
                out[name] = None
                continue
            bu, bv, mu, mv = means[name]
            mu1, mv1 = bu[:h].mean(0), bv[:h].mean(0)
            mu2, mv2 = bu[h:].mean(0), bv[h:].mean(0)
            # With T_b the block covariances (block-centred) and m_b the block means:
            # C = <u v^T> - mu mv^T = mean_b[T_b] + mean_b[mu_b mv_b^T] - mu mv^T.
            # Split-half: the same over the first h blocks and over the remaining nb - h.
            # Row chunks keep the float64 temporaries small (peak memory at large N).
            cov = pair.mean
            halves = np.empty((2, self.n, self.n), dtype=np.float32)
            for r0 in range(0, self.n, _ROW_CHUNK):
                r = slice(r0, min(self.n, r0 + _ROW_CHUNK))
                tot_t = cov[r] * nb  # sum over blocks of T_b
                halves[0, r] = pair.half[r] / h + bu[:h, r].T @ bv[:h] / h - np.outer(mu1[r], mv1)
                halves[1, r] = (
                    (tot_t - pair.half[r]) / (nb - h)
                    + bu[h:, r].T @ bv[h:] / (nb - h)
                    - np.outer(mu2[r], mv2)
                )
                cov[r] += bu[:, r].T @ bv / nb - np.outer(mu[r], mv)
            se = pair.m2
            se /= np.float32((nb - 1) * nb)
            np.sqrt(se, out=se)
            del pair
            out[name] = MatrixEstimate(cov, se, halves, nb)
        return CovarianceEstimate(
            mean_x=mean_x,
            mean_phi=mean_p,
            mean_x_se=mbx.std(0, ddof=1) / sqrt_nb,
            mean_phi_se=mbp.std(0, ddof=1) / sqrt_nb,
            cov_x=out["x"],
            cov_phi=out["phi"],
            cov_xphi=out["xphi"],
            var_x_blocks=var_x_blocks,
            var_phi_blocks=var_p_blocks,
            wick=wick,
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
    n_blocks : int
        Number of time blocks behind the standard errors.
    """

    lags: FloatArray
    acf_x: FloatArray
    acf_x_se: FloatArray
    acf_phi: FloatArray
    acf_phi_se: FloatArray
    acf_x_raw: FloatArray
    acf_phi_raw: FloatArray
    n_series: int
    n_blocks: int


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

    def add_sums(
        self,
        n_samples: int,
        raw_x: np.ndarray,
        raw_p: np.ndarray,
        cnt: np.ndarray,
        sum_x: np.ndarray,
        sum_p: np.ndarray,
    ) -> None:
        """Add ``n_samples`` samples given by their lagged-product sums (formed elsewhere).

        The state after this call is that of :meth:`add` with the same samples (apart from the
        ring buffer, which the caller keeps), so :meth:`close_block` and :meth:`finalize` are
        unchanged.

        Parameters
        ----------
        n_samples : int
            Number of samples.
        raw_x, raw_p : (n_lags,) ndarray
            Per lag ``l``, the sum over the samples of ``x(t) . x(t - l)`` (all series) for the
            pairs whose earlier sample exists.
        cnt : (n_lags,) ndarray
            Per lag, the number of pairs in ``raw_x``.
        sum_x, sum_p : (n_units,) ndarray
            Per-unit sums over the samples and trials.
        """
        self.raw_x += raw_x
        self.raw_p += raw_p
        self.cnt += cnt
        self.sum_x += sum_x
        self.sum_p += sum_p
        rows = n_samples * (self.n_series // self.n_units)
        bx, bp, bn = self._block_sums
        self._block_sums = (bx + sum_x, bp + sum_p, bn + rows)
        self.nsum += rows
        self.k += n_samples

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
            n_blocks=nb,
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


# ----------------------------------------------------------------------------------------------
# Residuals of the linear decomposition and a Wick test on fourth-order cross-cumulants

_PAIRS = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
_TRIPLES = ((1, 2, 3), (0, 2, 3), (0, 1, 3), (0, 1, 2))  # the triple missing index i


class QuadrupleAccumulator:
    """Raw moments up to fourth order of ``phi`` on sampled quadruples of distinct units.

    Parameters
    ----------
    quads : (q, 4) int ndarray
        Unit indices, distinct within each row.
    """

    def __init__(self, quads: np.ndarray) -> None:
        self.quads = np.asarray(quads, dtype=np.intp)
        q = len(self.quads)
        self._zero = lambda: np.zeros((q, 15))
        self.cur = self._zero()
        self.count = 0
        self.blocks: list[FloatArray] = []

    def add(self, zp: np.ndarray) -> None:
        """Add ``k`` samples of ``phi`` (shape ``(k, n)``)."""
        v = zp[:, self.quads].astype(np.float64)  # (k, q, 4)
        m = self.cur
        m[:, 0:4] += v.sum(0)
        for c, (a, b) in enumerate(_PAIRS):
            m[:, 4 + c] += np.einsum("kq,kq->q", v[:, :, a], v[:, :, b])
        for c, (a, b, d) in enumerate(_TRIPLES):
            m[:, 10 + c] += np.einsum("kq,kq,kq->q", v[:, :, a], v[:, :, b], v[:, :, d])
        m[:, 14] += np.prod(v, axis=2).sum(0)
        self.count += v.shape[0]

    def add_sums(self, moments: np.ndarray, count: int) -> None:
        """Add ``count`` samples given by their raw-moment sums, shape ``(q, 15)``.

        Columns: the four first moments, the six pair products (:data:`_PAIRS`), the four
        triple products (:data:`_TRIPLES`) and the product of all four, as in :meth:`add`.
        """
        self.cur += moments
        self.count += count

    def close_block(self) -> None:
        """End the current time block."""
        self.blocks.append(self.cur / self.count)
        self.cur = self._zero()
        self.count = 0

    @staticmethod
    def _cumulant(m: FloatArray, mu: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Fourth cross-cumulant and its Gaussian (Wick) part from raw moments ``m``."""
        m2 = m[:, 4:10]
        m3 = m[:, 10:14]
        m4 = m[:, 14]
        cen4 = m4.copy()
        for i in range(4):
            cen4 -= mu[:, i] * m3[:, i]
        c = np.empty((len(m), 6))
        for k, (a, b) in enumerate(_PAIRS):
            other = 5 - k  # the complementary pair (pairs listed so that k and 5-k are disjoint)
            cen4 += mu[:, a] * mu[:, b] * m2[:, other]
            c[:, k] = m2[:, k] - mu[:, a] * mu[:, b]
        cen4 -= 3 * np.prod(mu, axis=1)
        wick = c[:, 0] * c[:, 5] + c[:, 1] * c[:, 4] + c[:, 2] * c[:, 3]
        return cen4 - wick, wick

    def finalize(self, variances: FloatArray) -> FourthCumulantEstimate:
        """Standardised cumulants ``kappa4 / sqrt(prod var)`` with batch-means SEs.

        Parameters
        ----------
        variances : (n,) ndarray
            Per-unit variances of ``phi`` (for standardisation).

        Returns
        -------
        FourthCumulantEstimate
            ``kappa``, ``kappa_se``, the standardised Gaussian part and the quadruples.
        """
        blocks = np.array(self.blocks)  # (nb, q, 15)
        tot = blocks.mean(0)
        mu = tot[:, 0:4]
        norm = np.sqrt(np.prod(variances[self.quads], axis=1))
        kappa, wick = self._cumulant(tot, mu)
        per_block = np.array([self._cumulant(b, b[:, 0:4])[0] for b in blocks]) / norm
        nb = len(blocks)
        return FourthCumulantEstimate(
            kappa=kappa / norm,
            kappa_se=per_block.std(0, ddof=1) / np.sqrt(nb),
            gaussian_part=wick / norm,
            quads=self.quads,
            n_blocks=nb,
        )


def sample_quadruples(n: int, q: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``q`` rows of 4 distinct unit indices out of ``n`` (``n >= 4``)."""
    if n < 4:
        raise ValueError(f"`n` must be >= 4 to sample quadruples of distinct units; got {n!r}.")
    return np.array([rng.choice(n, 4, replace=False) for _ in range(q)], dtype=np.intp)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResidualEstimate:
    r"""Cross-covariances of the residuals :math:`r_i = \phi_i - \langle\phi_i\rangle - g_i x_i`.

    The per-unit gain :math:`g_i = \mathrm{cov}(x_i, \phi_i)/\mathrm{var}(x_i)` is measured
    (Bussgang/Price: for Gaussian ``x`` it equals :math:`\mu_1 = E[\phi']`), so that each
    residual is uncorrelated with its own preactivation at equal times.

    Parameters
    ----------
    gains : (n,) ndarray
        Measured :math:`g_i`.
    cov_r : (n, n) ndarray
        Residual covariance.
    ms_offdiag_r, ms_offdiag_phi : float
        Mean over :math:`i \ne j` of squared cross-covariances of residuals and of activities,
        estimated without the sampling-noise bias as :math:`\overline{C^{(1)}_{ij} C^{(2)}_{ij}}`
        from the two independent halves of the run.
    ms_offdiag_r_se, ms_offdiag_phi_se : float
        Their standard errors (over disjoint row blocks of the matrix).
    ms_offdiag_r_naive : float
        The biased plug-in :math:`\overline{C_{ij}^2}` of the full run (for reference).
    """

    gains: FloatArray
    cov_r: FloatArray
    ms_offdiag_r: float
    ms_offdiag_r_se: float
    ms_offdiag_phi: float
    ms_offdiag_phi_se: float
    ms_offdiag_r_naive: float

    @property
    def rms_ratio(self) -> float:
        """RMS off-diagonal residual covariance over that of ``phi`` (bias-corrected)."""
        return float(np.sqrt(max(self.ms_offdiag_r, 0.0) / self.ms_offdiag_phi))


def _residual_cov(c_phi, c_xphi, c_x, g):
    # cov(r_i, r_j) = C_phi - g_j cov(phi_i, x_j) - g_i cov(x_i, phi_j) + g_i g_j C_x
    return c_phi - c_xphi.T * g[None, :] - g[:, None] * c_xphi + np.outer(g, g) * c_x


def _ms_offdiag(a: FloatArray, b: FloatArray, n_groups: int = 16) -> tuple[float, float]:
    """Mean of a_ij b_ij over i != j, with an SE from row groups."""
    n = a.shape[0]
    prod = np.asarray(a, dtype=float) * np.asarray(b, dtype=float)
    np.fill_diagonal(prod, np.nan)
    groups = np.array_split(np.arange(n), min(n_groups, n))
    vals = np.array([np.nanmean(prod[gr]) for gr in groups])
    return float(np.nanmean(prod)), float(vals.std(ddof=1) / np.sqrt(len(vals)))


def residual_covariance(est: CovarianceEstimate) -> ResidualEstimate:
    """Residual cross-covariances from an equal-time estimate with all three covariances.

    Parameters
    ----------
    est : CovarianceEstimate
        From a simulation with ``covariance`` and ``cross_covariance`` on.

    Returns
    -------
    ResidualEstimate
        Residual covariance, bias-corrected mean squares and their ratio.
    """
    cx, cp, cxp = est.cov_x, est.cov_phi, est.cov_xphi
    if cx is None or cxp is None or cp is None:
        raise ValueError(
            "`est` must contain cov_x, cov_phi and cov_xphi; got a simulation run with "
            "covariance or cross_covariance off."
        )
    g = np.diag(cxp.value) / np.diag(cx.value)
    cov_r = _residual_cov(cp.value, cxp.value, cx.value, g)
    halves = [_residual_cov(cp.halves[k], cxp.halves[k], cx.halves[k], g) for k in (0, 1)]
    ms_r, ms_r_se = _ms_offdiag(halves[0], halves[1])
    ms_p, ms_p_se = _ms_offdiag(cp.halves[0], cp.halves[1])
    naive, _ = _ms_offdiag(cov_r, cov_r)
    return ResidualEstimate(
        gains=g,
        cov_r=cov_r,
        ms_offdiag_r=ms_r,
        ms_offdiag_r_se=ms_r_se,
        ms_offdiag_phi=ms_p,
        ms_offdiag_phi_se=ms_p_se,
        ms_offdiag_r_naive=naive,
    )
