"""Forecast models behind one interface, and a registry that names them.

Hyper-parameters go in the constructor; `fit(history)` learns; `predict(months)` returns samples
(per unit: months x draws).

`history` is a unit x month frame with columns unit, month (month start) and y (the target:
fatalities), plus any covariate columns; a model must use only rows with month <= origin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

DRAWS = 1000


class Model(Protocol):
    """What every forecast model provides."""

    name: str

    def fit(self, history: pd.DataFrame) -> Model:  # pragma: no cover - protocol
        """Learn from `history` (rows up to the origin only)."""
        ...

    def predict(self, months: list[pd.Timestamp]) -> dict[str, np.ndarray]:  # pragma: no cover
        """Samples per unit: array (len(months), draws)."""
        ...


def _wide(history: pd.DataFrame, column: str = "y") -> pd.DataFrame:
    return history.pivot_table(
        index="month", columns="unit", values=column, aggfunc="sum", fill_value=0
    ).sort_index()


@dataclass
class Zero:
    """Predicts no fatalities, ever (a benchmark that scores well on zeros and nothing else)."""

    draws: int = DRAWS
    name: str = "zero"
    units: list[str] = field(default_factory=list)

    def fit(self, history: pd.DataFrame) -> Zero:
        """Learn from the history (rows up to the origin only)."""
        self.units = sorted(history["unit"].unique())
        return self

    def predict(self, months: list[pd.Timestamp]) -> dict[str, np.ndarray]:
        """Samples per unit: an array (months, draws)."""
        return {u: np.zeros((len(months), self.draws)) for u in self.units}


@dataclass
class LastValuePoisson:
    """Poisson draws around the unit's last observed month."""

    draws: int = DRAWS
    seed: int = 1
    name: str = "last_value_poisson"
    last: dict[str, float] = field(default_factory=dict)

    def fit(self, history: pd.DataFrame) -> LastValuePoisson:
        """Learn from the history (rows up to the origin only)."""
        wide = _wide(history)
        self.last = {u: float(wide[u].iloc[-1]) for u in wide.columns}
        return self

    def predict(self, months: list[pd.Timestamp]) -> dict[str, np.ndarray]:
        """Samples per unit: an array (months, draws)."""
        rng = np.random.default_rng(self.seed)
        return {
            u: rng.poisson(v, (len(months), self.draws)).astype(float) for u, v in self.last.items()
        }


@dataclass
class Conflictology:
    """Resample the unit's own last `window` months (VIEWS' conflictology benchmark)."""

    window: int = 12
    draws: int = DRAWS
    seed: int = 2
    name: str = "conflictology_12"
    recent: dict[str, np.ndarray] = field(default_factory=dict)

    def fit(self, history: pd.DataFrame) -> Conflictology:
        """Learn from the history (rows up to the origin only)."""
        wide = _wide(history)
        self.recent = {u: wide[u].to_numpy(dtype=float)[-self.window :] for u in wide.columns}
        return self

    def predict(self, months: list[pd.Timestamp]) -> dict[str, np.ndarray]:
        """Samples per unit: an array (months, draws)."""
        rng = np.random.default_rng(self.seed)
        return {u: rng.choice(v, (len(months), self.draws)) for u, v in self.recent.items()}


@dataclass
class BaseRate:
    """The unit's whole history as the distribution (a constant base rate for P(>= 25))."""

    draws: int = DRAWS
    seed: int = 3
    name: str = "base_rate"
    values: dict[str, np.ndarray] = field(default_factory=dict)

    def fit(self, history: pd.DataFrame) -> BaseRate:
        """Learn from the history (rows up to the origin only)."""
        wide = _wide(history)
        self.values = {u: wide[u].to_numpy(dtype=float) for u in wide.columns}
        return self

    def predict(self, months: list[pd.Timestamp]) -> dict[str, np.ndarray]:
        """Samples per unit: an array (months, draws)."""
        rng = np.random.default_rng(self.seed)
        return {u: rng.choice(v, (len(months), self.draws)) for u, v in self.values.items()}


def features(history: pd.DataFrame) -> pd.DataFrame:
    """Features per unit and month t, built from months <= t only.

    Temporal lags, rolling means, decay since the last event, other violence types, and the
    other units' violence (spatial lag).
    """
    wide = _wide(history).apply(np.log1p)
    out = []
    others = [c for c in history.columns if c not in ("unit", "month", "y")]
    extra = {c: _wide(history, c).apply(np.log1p) for c in others}
    total = wide.sum(axis=1)
    for unit in wide.columns:
        s = wide[unit]
        since = (s > 0).astype(int)
        last_event = since.where(since > 0).index.to_series().where(since > 0).ffill()
        when, last_seen = pd.DatetimeIndex(s.index), pd.DatetimeIndex(last_event)
        months_since = (when.year - last_seen.year) * 12 + (when.month - last_seen.month)
        frame = pd.DataFrame(
            {
                "unit": unit,
                "month": s.index,
                "lag1": s.to_numpy(),
                "lag2": s.shift(1).to_numpy(),
                "lag3": s.shift(2).to_numpy(),
                "mean3": s.rolling(3, min_periods=1).mean().to_numpy(),
                "mean6": s.rolling(6, min_periods=1).mean().to_numpy(),
                "mean12": s.rolling(12, min_periods=1).mean().to_numpy(),
                "decay": np.power(
                    0.5, np.nan_to_num(np.asarray(months_since, dtype=float), nan=120.0) / 6.0
                ),
                "others12": (total - s).rolling(12, min_periods=1).mean().to_numpy(),
            }
        )
        for name, table in extra.items():
            frame[f"{name}_mean12"] = table[unit].rolling(12, min_periods=1).mean().to_numpy()
        out.append(frame)
    return pd.concat(out, ignore_index=True)


@dataclass
class GradientBoostingHurdle:
    """A hurdle model: P(y > 0) times a sampled positive part.

    Both parts are gradient-boosted trees (sklearn) over the features above plus the horizon;
    one model for all horizons (direct forecasts).
    """

    max_horizon: int = 14
    max_iter: int = 200
    learning_rate: float = 0.05
    max_leaf_nodes: int = 8
    draws: int = DRAWS
    seed: int = 4
    name: str = "gbm_hurdle"
    _clf: HistGradientBoostingClassifier | None = None
    _reg: HistGradientBoostingRegressor | None = None
    _sigma: float = 1.0
    _last: pd.DataFrame | None = None
    _origin: pd.Timestamp | None = None

    def fit(self, history: pd.DataFrame) -> GradientBoostingHurdle:
        """Learn from the history (rows up to the origin only)."""
        feats = features(history)
        wide = _wide(history)
        self._origin = wide.index.max()
        rows = []
        for h in range(1, self.max_horizon + 1):
            target = wide.shift(-h).stack().reset_index()
            target.columns = pd.Index(["month", "unit", "target"])
            merged = feats.merge(target, on=["unit", "month"], how="inner").dropna(
                subset=["target"]
            )
            rows.append(merged.assign(h=h))
        train = pd.concat(rows, ignore_index=True)
        cols = [c for c in train.columns if c not in ("unit", "month", "target")]
        x = train[cols].to_numpy(dtype=float)
        positive = train["target"].to_numpy() > 0
        self._cols = cols
        self._clf = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            random_state=self.seed,
        )
        self._clf.fit(x, positive.astype(int))
        self._reg = HistGradientBoostingRegressor(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            random_state=self.seed,
        )
        log_target = np.log1p(train["target"].to_numpy()[positive])
        self._reg.fit(x[positive], log_target)
        self._sigma = float(np.std(log_target - self._reg.predict(x[positive]))) or 1.0
        self._last = feats[feats["month"] == self._origin].set_index("unit")
        return self

    def predict(self, months: list[pd.Timestamp]) -> dict[str, np.ndarray]:
        """Samples per unit: an array (months, draws)."""
        if self._clf is None or self._reg is None or self._last is None or self._origin is None:
            raise RuntimeError("fit the model before predicting")
        rng = np.random.default_rng(self.seed)
        out = {}
        for unit, row in self._last.iterrows():
            hs = [
                (m.year - self._origin.year) * 12 + (m.month - self._origin.month) for m in months
            ]
            x = np.array(
                [[*row[[c for c in self._cols if c != "h"]].to_numpy(dtype=float), h] for h in hs]
            )
            p = self._clf.predict_proba(x)[:, 1]
            mu = self._reg.predict(x)
            hurdle = rng.uniform(size=(len(months), self.draws)) < p[:, None]
            size = np.expm1(rng.normal(mu[:, None], self._sigma, (len(months), self.draws)))
            out[str(unit)] = np.where(hurdle, np.maximum(np.round(size), 1.0), 0.0)
        return out


@dataclass
class Ensemble:
    """A mixture of the gradient-boosted hurdle and conflictology-12.

    Each draw comes from the hurdle model with probability `weight`, else from conflictology-12.
    """

    weight: float = 0.5
    draws: int = DRAWS
    seed: int = 6
    name: str = "ensemble"
    parts: list[Model] = field(default_factory=list)

    def fit(self, history: pd.DataFrame) -> Ensemble:
        """Learn from the history (rows up to the origin only)."""
        self.parts = [GradientBoostingHurdle().fit(history), Conflictology().fit(history)]
        return self

    def predict(self, months: list[pd.Timestamp]) -> dict[str, np.ndarray]:
        """Samples per unit: an array (months, draws)."""
        learned, recent = (part.predict(months) for part in self.parts)
        rng = np.random.default_rng(self.seed)
        out = {}
        for unit, samples in learned.items():
            take = rng.uniform(size=samples.shape) < self.weight
            out[unit] = np.where(take, samples, recent[unit])
        return out


REGISTRY = {
    "zero": Zero,
    "last_value_poisson": LastValuePoisson,
    "conflictology_12": Conflictology,
    "base_rate": BaseRate,
    "gbm_hurdle": GradientBoostingHurdle,
    "ensemble": Ensemble,
}
