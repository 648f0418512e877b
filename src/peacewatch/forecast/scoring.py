"""Scores with the VIEWS prediction challenge's definitions, from forecast samples.

- CRPS from samples: E|X - y| - 1/2 E|X - X'| (the energy form), computed exactly from sorted
  samples in O(n log n).
- Ignorance: -log2 of the forecast probability of the observed bin, bins with edges 0, 0.5, 2.5,
  5.5, 10.5, 25.5, 50.5, 100.5, 250.5, 500.5, 1000.5 (and above), one pseudo-count per bin.
- Interval score of the central 90% interval (Gneiting & Raftery 2007).
- Brier score and average precision for P(y >= 25); 50% and 90% coverage; PIT values; the level
  ratio (mean forecast / mean observed) so a model near zero everywhere cannot hide.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

BIN_EDGES = np.array([0, 0.5, 2.5, 5.5, 10.5, 25.5, 50.5, 100.5, 250.5, 500.5, 1000.5])
THRESHOLD = 25


def crps(samples: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """CRPS per forecast: samples (n_forecasts, n_samples), observed (n_forecasts,)."""
    x = np.sort(np.asarray(samples, dtype=float), axis=1)
    y = np.asarray(observed, dtype=float)[:, None]
    m = x.shape[1]
    term1 = np.abs(x - y).mean(axis=1)
    # E|X - X'| = 2/m^2 * sum_i (2i - m - 1) x_(i) for sorted samples (i = 1..m).
    weights = 2 * np.arange(1, m + 1) - m - 1
    term2 = 2.0 / m**2 * (x * weights).sum(axis=1)
    return term1 - 0.5 * term2


def ignorance(samples: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """-log2 P(observed bin), with one pseudo-count added to each of the 11 bins."""
    edges = BIN_EDGES
    n_bins = len(edges)  # 10 bounded bins plus one open above 1000.5
    sample_bins = np.searchsorted(edges, samples, side="right") - 1
    sample_bins = np.clip(sample_bins, 0, n_bins - 1)
    obs_bins = np.clip(np.searchsorted(edges, observed, side="right") - 1, 0, n_bins - 1)
    counts = np.stack([(sample_bins == b).sum(axis=1) for b in range(n_bins)], axis=1) + 1.0
    probs = counts / counts.sum(axis=1, keepdims=True)
    return -np.log2(probs[np.arange(len(observed)), obs_bins])


def interval_score(samples: np.ndarray, observed: np.ndarray, alpha: float = 0.1) -> np.ndarray:
    """Interval score of the central (1 - alpha) interval from sample quantiles."""
    lo = np.quantile(samples, alpha / 2, axis=1)
    hi = np.quantile(samples, 1 - alpha / 2, axis=1)
    y = np.asarray(observed, dtype=float)
    return (hi - lo) + 2 / alpha * (lo - y) * (y < lo) + 2 / alpha * (y - hi) * (y > hi)


def coverage(samples: np.ndarray, observed: np.ndarray, level: float) -> float:
    """Share of observations inside the central `level` interval."""
    lo = np.quantile(samples, (1 - level) / 2, axis=1)
    hi = np.quantile(samples, 1 - (1 - level) / 2, axis=1)
    return float(np.mean((observed >= lo) & (observed <= hi)))


def uniforms(n: int, seed: int = 0) -> np.ndarray:
    """The uniform draws of the randomised PIT of `n` forecasts (fixed, so runs repeat)."""
    return np.random.default_rng(seed).uniform(size=n)


def pit(
    samples: np.ndarray, observed: np.ndarray, seed: int = 0, u: np.ndarray | None = None
) -> np.ndarray:
    """Randomised PIT values for count data: F(y-1) + U * (F(y) - F(y-1)).

    `u` gives the uniform draws (else `uniforms(len(observed), seed)`), so that two forecasts
    of the same rows are randomised alike.
    """
    y = np.asarray(observed, dtype=float)[:, None]
    below = (samples < y).mean(axis=1)
    at_or_below = (samples <= y).mean(axis=1)
    draws = uniforms(len(observed), seed) if u is None else u
    return below + draws * (at_or_below - below)


def pointwise(
    samples: np.ndarray, observed: np.ndarray, u: np.ndarray | None = None
) -> pd.DataFrame:
    """Per forecast: every score's contribution, so that samples need not be kept.

    Columns: crps, ignorance, interval_score_90, p_ge_25, in_50, in_90 (inside the central
    interval), pit (randomised; `u` its uniform draws), mean_forecast. `aggregate` turns any
    subset into the summary.
    """
    samples = np.asarray(samples, dtype=float)
    observed = np.asarray(observed, dtype=float)
    q = np.quantile(samples, [0.05, 0.25, 0.75, 0.95], axis=1)
    return pd.DataFrame(
        {
            "crps": crps(samples, observed),
            "ignorance": ignorance(samples, observed),
            "interval_score_90": interval_score(samples, observed),
            "p_ge_25": (samples >= THRESHOLD).mean(axis=1),
            "in_50": (observed >= q[1]) & (observed <= q[2]),
            "in_90": (observed >= q[0]) & (observed <= q[3]),
            "pit": pit(samples, observed, u=u),
            "mean_forecast": samples.mean(axis=1),
        }
    )


def aggregate(points: pd.DataFrame, observed: np.ndarray) -> dict[str, float]:
    """All scores (means over forecasts) from `pointwise` rows and the observed values.

    `pit_coverage_90` is the share of randomised PIT values in [0.05, 0.95]: 90% for a
    calibrated forecast even of counts, where the inclusive interval `coverage_90` overstates
    coverage when most observations are zeros inside an interval [0, 0].
    """
    observed = np.asarray(observed, dtype=float)
    prob = points["p_ge_25"].to_numpy()
    event = (observed >= THRESHOLD).astype(float)
    pits = points["pit"].to_numpy()
    return {
        "crps": float(points["crps"].mean()),
        "ignorance": float(points["ignorance"].mean()),
        "interval_score_90": float(points["interval_score_90"].mean()),
        "brier_25": float(np.mean((prob - event) ** 2)),
        "average_precision_25": float(average_precision_score(event, prob))
        if 0 < event.sum() < len(event)
        else float("nan"),
        "coverage_50": float(points["in_50"].mean()),
        "coverage_90": float(points["in_90"].mean()),
        "pit_coverage_90": float(np.mean((pits >= 0.05) & (pits <= 0.95))),
        "level_ratio": float(points["mean_forecast"].sum() / observed.sum())
        if observed.sum() > 0
        else float("nan"),
        "n": float(len(observed)),
    }


def summary(samples: np.ndarray, observed: np.ndarray) -> dict[str, float]:
    """All scores for a set of forecasts (means over forecasts)."""
    return aggregate(pointwise(samples, observed), observed)


def pit_histogram(pits: np.ndarray, bins: int = 10) -> np.ndarray:
    """Share of PIT values in each of `bins` equal bins of [0, 1] (flat = calibrated)."""
    counts, _edges = np.histogram(np.asarray(pits, dtype=float), bins=bins, range=(0.0, 1.0))
    return counts / max(len(pits), 1)
