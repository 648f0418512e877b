"""Stacking: a mixture of the best validation candidates, its weights fitted on validation.

For test year Y and a country, the `TOP` configurations with the lowest validation CRPS
(peacewatch.forecast.selection, months up to the test origin only) are mixed: the weights on a
grid of step `STEP` over the simplex are those whose mixture has the lowest mean CRPS over the
same validation rows. The mixture's CRPS is exact for its weighted quantile points (each
component kept as 100 quantiles by the jobs), and the test forecast draws each sample from a
component with its weight. The weights see no test outcome.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from peacewatch.forecast import scoring, selection

STACKED = "stacked"
TOP = 3
STEP = 0.1
DRAWS = 1000


def weighted_crps(points: np.ndarray, weights: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """CRPS per row of a distribution of weighted points: points and weights (rows, n).

    sum w|x - y| - 1/2 sum sum w w'|x - x'|, the double sum from the sorted points:
    2 sum_k w_k x_k (2 F_k + w_k - 1), F_k the weight below point k.
    """
    order = np.argsort(points, axis=1)
    x = np.take_along_axis(points, order, axis=1)
    w = np.take_along_axis(weights, order, axis=1)
    below = np.cumsum(w, axis=1) - w
    y = np.asarray(observed, dtype=float)[:, None]
    spread = 2 * (w * x * (2 * below + w - 1)).sum(axis=1)
    return (w * np.abs(x - y)).sum(axis=1) - 0.5 * spread


def simplex(k: int, step: float = STEP) -> list[tuple[float, ...]]:
    """Every weight vector of k components on a grid of `step` (summing to one)."""
    n = round(1 / step)
    return [
        tuple(c / n for c in combo)
        for combo in itertools.product(range(n + 1), repeat=k)
        if sum(combo) == n
    ]


def _aligned(rows: pd.DataFrame, labels: list[str]) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Quantiles (rows, components, q) and observed values of the labels on shared rows."""
    keys = ["origin", "unit", "month"]
    parts = [rows[rows["model"] == label].set_index(keys).sort_index() for label in labels]
    shared = parts[0].index
    for part in parts[1:]:
        shared = shared.intersection(part.index)
    stack = np.stack([np.stack(part.loc[shared, "quantiles"].to_list()) for part in parts], axis=1)
    return stack.astype(float), parts[0].loc[shared, "observed"].to_numpy(), parts[0].loc[shared]


def fit_weights(quantiles: np.ndarray, observed: np.ndarray) -> tuple[float, ...]:
    """The simplex-grid weights whose mixture has the lowest mean CRPS (ties: the first)."""
    rows, k, q = quantiles.shape
    points = quantiles.reshape(rows, k * q)
    order = np.argsort(points, axis=1)
    x = np.take_along_axis(points, order, axis=1)
    component = np.repeat(np.arange(k), q)[order]
    y = np.asarray(observed, dtype=float)[:, None]
    best, chosen = np.inf, simplex(k)[0]
    for weights in simplex(k):
        w = (np.array(weights) / q)[component]
        below = np.cumsum(w, axis=1) - w
        score = (w * np.abs(x - y)).sum(axis=1) - (w * x * (2 * below + w - 1)).sum(axis=1)
        if score.mean() < best - 1e-12:
            best, chosen = float(score.mean()), weights
    return chosen


def stack(
    forecasts: pd.DataFrame, years: list[int], n: int = selection.VALIDATION_YEARS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows, weights): the stacked model's scored test rows and its weights per country-year.

    `forecasts` holds every configuration's rows at the validation and test origins, with
    `country` and `quantiles` columns.
    """
    rng = np.random.default_rng(12)
    out, chosen = [], []
    for year in years:
        scores = selection.validation_scores(forecasts, year, n)
        seen = forecasts[
            forecasts["origin"].isin(selection.validation_origins(year, n))
            & (forecasts["month"] <= selection.origin_for(year))
        ]
        test = forecasts[forecasts["origin"] == selection.origin_for(year)]
        for country, part in scores.groupby("country"):
            labels = part.sort_values(selection.CRITERION)["model"].head(TOP).to_list()
            quantiles, observed, _rows = _aligned(seen[seen["country"] == country], labels)
            weights = fit_weights(quantiles, observed)
            test_q, test_y, test_rows = _aligned(test[test["country"] == country], labels)
            component = rng.choice(len(labels), size=(len(test_y), DRAWS), p=weights)
            level = rng.integers(0, test_q.shape[2], size=(len(test_y), DRAWS))
            samples = test_q[np.arange(len(test_y))[:, None], component, level]
            config = " + ".join(
                f"{w:.1f} {label}" for w, label in zip(weights, labels, strict=True)
            )
            rows = test_rows.reset_index()[
                ["origin", "unit", "month", "year", "horizon", "observed", "country"]
            ]
            scored = pd.concat([rows, scoring.pointwise(samples, test_y)], axis=1)
            out.append(scored.assign(model=STACKED, config=config))
            chosen.append({"year": year, "country": country, "stacked": config})
    frame = pd.concat(out, ignore_index=True) if out else pd.DataFrame()
    return frame, pd.DataFrame(chosen)
