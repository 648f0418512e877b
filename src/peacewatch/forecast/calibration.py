"""Recalibration of forecast samples: a level factor and a spread of the upper tail.

A calibration `(level, spread)` maps every sample x >= 0 to

    level * expm1(spread * log1p(x))

so `level` scales the forecast (level ratio) and `spread` > 1 stretches the large counts more
than the small ones (a wider upper tail, on the log scale on which deaths vary). Zeros stay
zeros, so a forecast of certain peace is unchanged, and (1, 1) is the identity. Which one a
country gets is chosen on validation years by peacewatch.forecast.selection.calibrate, never
on the test year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from peacewatch.forecast import scoring

IDENTITY = (1.0, 1.0)
# Listed before any test year was scored; the identity first, so a tie keeps the forecast.
FAMILY: tuple[tuple[float, float], ...] = (
    IDENTITY,
    *(
        (level, spread)
        for level in (1.0, 1.25, 1.5, 2.0)
        for spread in (1.0, 1.15, 1.3)
        if (level, spread) != IDENTITY
    ),
)


def label(calibration: tuple[float, float]) -> str:
    """A calibration's name in tables: `level 1.5 spread 1.15`, or `none` for the identity."""
    level, spread = calibration
    return "none" if calibration == IDENTITY else f"level {level:g} spread {spread:g}"


BY_LABEL = {label(c): c for c in FAMILY}


def lowest(seen: pd.DataFrame, criterion: str = "crps") -> tuple[str, float, float]:
    """(label, score, score of the identity) of the calibration with the lowest mean score.

    `seen`: scored rows with a `calibration` column (scored_variants); a tie keeps the one
    earlier in FAMILY, the identity first.
    """
    order = [label(c) for c in FAMILY]
    scores = seen.groupby("calibration")[criterion].mean().reindex(order).dropna()
    best = str(scores.index[int(scores.to_numpy().argmin())])
    return best, float(scores[best]), float(scores.get(order[0], np.nan))


def transform(samples: np.ndarray, calibration: tuple[float, float]) -> np.ndarray:
    """The samples recalibrated (see the module docstring)."""
    level, spread = calibration
    x = np.asarray(samples, dtype=float)
    if spread == 1.0:
        return level * x
    return level * np.expm1(spread * np.log1p(x))


def scored_variants(
    rows: pd.DataFrame,
    samples: np.ndarray,
    family: tuple[tuple[float, float], ...],
) -> pd.DataFrame:
    """`rows` (with `observed`) scored under every calibration of `family`, column `calibration`.

    Forecasts whose samples are all zero are the same under every calibration, so only the
    others are rescored; every variant randomises the PIT with the same draws.
    """
    observed = rows["observed"].to_numpy(dtype=float)
    u = scoring.uniforms(len(observed))
    base = pd.concat([rows, scoring.pointwise(samples, observed, u)], axis=1)
    live = samples.any(axis=1)
    parts = []
    for calibration in family:
        part = base.copy()
        if calibration != IDENTITY and live.any():
            points = scoring.pointwise(
                transform(samples[live], calibration), observed[live], u[live]
            )
            for column in points.columns:
                part.loc[live, column] = points[column].to_numpy()
        part["calibration"] = label(calibration)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
