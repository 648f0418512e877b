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


def pit(samples: np.ndarray, observed: np.ndarray, seed: int = 0) -> np.ndarray:
    """Randomised PIT values for count data: F(y-1) + U * (F(y) - F(y-1))."""
    rng = np.random.default_rng(seed)
    y = np.asarray(observed, dtype=float)[:, None]
    below = (samples < y).mean(axis=1)
    at_or_below = (samples <= y).mean(axis=1)
    return below + rng.uniform(size=len(observed)) * (at_or_below - below)


def summary(samples: np.ndarray, observed: np.ndarray) -> dict[str, float]:
    """All scores for a set of forecasts (means over forecasts)."""
    observed = np.asarray(observed, dtype=float)
    prob = (samples >= THRESHOLD).mean(axis=1)
    event = (observed >= THRESHOLD).astype(float)
    mean_obs = observed.mean()
    return {
        "crps": float(crps(samples, observed).mean()),
        "ignorance": float(ignorance(samples, observed).mean()),
        "interval_score_90": float(interval_score(samples, observed).mean()),
        "brier_25": float(np.mean((prob - event) ** 2)),
        "average_precision_25": float(average_precision_score(event, prob))
        if 0 < event.sum() < len(event)
        else float("nan"),
        "coverage_50": coverage(samples, observed, 0.5),
        "coverage_90": coverage(samples, observed, 0.9),
        "level_ratio": float(samples.mean() / mean_obs) if mean_obs > 0 else float("nan"),
        "n": float(len(observed)),
    }
