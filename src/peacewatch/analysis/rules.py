"""The early-warning rules' settings (peacewatch.analysis.alerts applies them).

Apart from the rules so that the command line reads their defaults without importing pandas
and the forecasts.
"""

from __future__ import annotations

from dataclasses import dataclass

from peacewatch.errors import PeacewatchError


@dataclass(frozen=True)
class Rules:
    """The alert settings (defaults: a record over 2 years, 10 deaths, P(>= 25) of 0.5).

    `target`: the month an alert warns of (>= 25 deaths, the forecasts' threshold).
    """

    lookback: int = 24
    min_deaths: int = 10
    threshold: int = 10
    probability: float = 0.5
    horizon: int = 3
    target: int = 25

    def __post_init__(self) -> None:
        if not 12 <= self.lookback <= 36:
            raise PeacewatchError(f"lookback: {self.lookback} months is not within 12..36")
        if self.min_deaths < 1 or self.threshold < 1 or self.target < 1:
            raise PeacewatchError("min_deaths, threshold and target must be at least 1")
        if not 0 < self.probability < 1:
            raise PeacewatchError(f"probability: {self.probability} is not between 0 and 1")
        if not 1 <= self.horizon <= 12:
            raise PeacewatchError(f"horizon: {self.horizon} months is not within 1..12")
