"""Trends over chosen periods and structural breaks (change points) in monthly series.

Change points: `ruptures.Pelt` with the least-squares cost (`l2`, a change in mean) on
log(1 + value), minimum segment 6 months. The penalty defaults to 2 * ln(n) * variance of the
transformed series (a BIC-like choice: a break must cut the squared error by more than that), so
only sustained shifts are reported. Each break is given with its month, the mean monthly value
before and after (untransformed) and the nearest timeline events (within 6 months).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import ruptures

from peacewatch.store import Store

MIN_SIZE = 6


@dataclass(frozen=True)
class Break:
    """One change point."""

    month: pd.Timestamp
    mean_before: float
    mean_after: float

    @property
    def size(self) -> float:
        """Change in the mean monthly value."""
        return self.mean_after - self.mean_before


def default_penalty(signal: np.ndarray) -> float:
    """2 * ln(n) * variance of the (transformed) signal; see the module docstring."""
    n = max(len(signal), 2)
    return float(2 * np.log(n) * max(np.var(signal), 1e-9))


def change_points(series: pd.Series, penalty: float | None = None) -> list[Break]:
    """Breaks in a monthly series (index: month start dates)."""
    values = series.to_numpy(dtype=float)
    if len(values) < 2 * MIN_SIZE:
        return []
    signal = np.log1p(values).reshape(-1, 1)
    pen = default_penalty(signal) if penalty is None else penalty
    ends = ruptures.Pelt(model="l2", min_size=MIN_SIZE, jump=1).fit(signal).predict(pen=pen)
    breaks = []
    bounds = [0, *ends]
    for i in range(1, len(bounds) - 1):
        cut = bounds[i]
        before = values[bounds[i - 1] : cut]
        after = values[cut : bounds[i + 1]]
        breaks.append(Break(pd.Timestamp(series.index[cut]), before.mean(), after.mean()))
    return breaks


def trend(series: pd.Series, periods: list[tuple[str, str]]) -> pd.DataFrame:
    """Per period: total, mean per month and the linear trend (change per year, OLS on months)."""
    rows = []
    for first, last in periods:
        part = series[(series.index >= pd.Timestamp(first)) & (series.index <= pd.Timestamp(last))]
        if len(part) < 2:
            continue
        x = np.arange(len(part), dtype=float)
        slope = float(np.polyfit(x, part.to_numpy(dtype=float), 1)[0]) * 12
        rows.append(
            {
                "period": f"{first[:7]}..{last[:7]}",
                "months": len(part),
                "total": float(part.sum()),
                "mean_per_month": float(part.mean()),
                "trend_per_year": slope,
            }
        )
    return pd.DataFrame(rows)


def breaks_with_events(
    store: Store, country: str, series: pd.Series, penalty: float | None = None
) -> pd.DataFrame:
    """Change points of `series`, each beside the nearest timeline events (within 6 months)."""
    rows = []
    for brk in change_points(series, penalty):
        near = store.rows(
            "SELECT date, category, event FROM timeline WHERE country_iso3 = ? "
            "AND abs(date_diff('day', date, ?)) <= 183 "
            "ORDER BY abs(date_diff('day', date, ?)) LIMIT 3",
            [country, brk.month.date(), brk.month.date()],
        )
        rows.append(
            {
                "month": brk.month.strftime("%Y-%m"),
                "mean_before": round(brk.mean_before, 1),
                "mean_after": round(brk.mean_after, 1),
                "change": round(brk.size, 1),
                "nearest_events": "; ".join(
                    f"{d:%Y-%m-%d} {cat}: {text[:90]}" for d, cat, text in near
                ),
            }
        )
    return pd.DataFrame(
        rows, columns=["month", "mean_before", "mean_after", "change", "nearest_events"]
    )
