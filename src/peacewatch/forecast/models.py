"""Forecast models behind one interface, and a registry that names them.

Hyper-parameters go in the constructor; `fit(history)` learns; `predict(months)` returns samples
(per unit: months x draws).

`history` is a unit x month frame with columns unit, month (month start) and y (the target:
fatalities), plus any covariate columns; a model must use only rows with month <= origin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.spatial import cKDTree
from scipy.special import expit, logit
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


@dataclass
class NegativeBinomial:
    """A negative binomial fitted by moments to the unit's last `window` months.

    Mean and variance of those months give the size and probability (Poisson when the months
    are not over-dispersed); every horizon gets the same distribution. A smooth version of
    conflictology-12: it also gives counts that did not happen in the window.
    """

    window: int = 12
    draws: int = DRAWS
    seed: int = 7
    name: str = "negbin"
    moments: dict[str, tuple[float, float]] = field(default_factory=dict)

    def fit(self, history: pd.DataFrame) -> NegativeBinomial:
        """Learn from the history (rows up to the origin only)."""
        wide = _wide(history)
        recent = wide.to_numpy(dtype=float)[-self.window :]
        mean = recent.mean(axis=0)
        var = recent.var(axis=0, ddof=1) if len(recent) > 1 else mean
        self.moments = {
            u: (float(m), float(v)) for u, m, v in zip(wide.columns, mean, var, strict=True)
        }
        return self

    def predict(self, months: list[pd.Timestamp]) -> dict[str, np.ndarray]:
        """Samples per unit: an array (months, draws)."""
        rng = np.random.default_rng(self.seed)
        shape = (len(months), self.draws)
        out = {}
        for unit, (mean, var) in self.moments.items():
            if mean <= 0:
                out[unit] = np.zeros(shape)
            elif var <= mean:
                out[unit] = rng.poisson(mean, shape).astype(float)
            else:
                size = mean**2 / (var - mean)
                out[unit] = rng.negative_binomial(size, size / (size + mean), shape).astype(float)
        return out


@dataclass
class Analogue:
    """Analogue forecasting: what followed the most similar past trajectories, in any unit.

    The unit's last `length` months (log1p counts) are matched against every window of that
    length in every unit's history whose following `max_horizon` months are known by the
    origin; the `k` nearest (Euclidean) give the forecast. Each draw takes one analogue's
    count at the horizon, moved in log1p by the difference between the unit's and the
    analogue's mean level over the window (a trajectory twice as violent continues twice as
    violent).
    """

    length: int = 12
    k: int = 25
    max_horizon: int = 14
    draws: int = DRAWS
    seed: int = 8
    name: str = "analogue"
    _futures: dict[str, np.ndarray] = field(default_factory=dict)
    _origin: pd.Timestamp = field(default_factory=lambda: pd.Timestamp(0))

    def fit(self, history: pd.DataFrame) -> Analogue:
        """Learn from the history (rows up to the origin only)."""
        logs = _wide(history).apply(np.log1p)
        values = logs.to_numpy(dtype=float)
        months, n_units = values.shape
        ends = np.arange(self.length - 1, months - self.max_horizon)
        self._futures = {}
        if len(ends) == 0:
            return self
        past = np.stack([values[e - self.length + 1 : e + 1] for e in ends])  # ends, L, units
        after = np.stack([values[e + 1 : e + 1 + self.max_horizon] for e in ends])
        windows = past.transpose(0, 2, 1).reshape(-1, self.length)
        futures = after.transpose(0, 2, 1).reshape(-1, self.max_horizon)
        level = windows.mean(axis=1)
        query = values[-self.length :].T  # units, L
        k = min(self.k, len(windows))
        _dist, nearest = cKDTree(windows).query(query, k=k)
        nearest = np.asarray(nearest).reshape(n_units, k)
        shift = query.mean(axis=1)[:, None, None] - level[nearest][:, :, None]
        moved = np.expm1(np.maximum(futures[nearest] + shift, 0.0))  # units, k, horizons
        self._futures = {str(u): moved[i] for i, u in enumerate(logs.columns)}
        self._origin = logs.index.max()
        return self

    def predict(self, months: list[pd.Timestamp]) -> dict[str, np.ndarray]:
        """Samples per unit: an array (months, draws)."""
        rng = np.random.default_rng(self.seed)
        hs = np.array(
            [(m.year - self._origin.year) * 12 + (m.month - self._origin.month) for m in months]
        )
        columns = np.clip(hs - 1, 0, self.max_horizon - 1)[:, None]
        out = {}
        for unit, moved in self._futures.items():
            pick = rng.integers(0, len(moved), (len(months), self.draws))
            out[unit] = np.round(moved[pick, columns])
        return out


def _months_since_event(wide: pd.DataFrame) -> np.ndarray:
    """Months since each unit's last month with an event (NaN before the first), per cell."""
    positions = np.arange(len(wide), dtype=float)[:, None] * np.ones(wide.shape[1])
    last = pd.DataFrame(np.where(wide.to_numpy() > 0, positions, np.nan)).ffill().to_numpy()
    return positions - last


def _long(table: pd.DataFrame) -> np.ndarray:
    """A month x unit table as one column, unit-major (the order of `features`' rows)."""
    return table.to_numpy(dtype=float).T.ravel()


def _logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of probabilities, kept finite at 0 and 1."""
    return np.asarray(logit(np.clip(p, 1e-9, 1 - 1e-9)))


def features(history: pd.DataFrame) -> pd.DataFrame:
    """Features per unit and month t, built from months <= t only.

    Temporal lags, rolling means, decay since the last event (half-life 6 months), the other
    units' violence, and for every covariate column its 12-month mean; spatial-lag covariates
    (named `nb_*`: violence in the neighbouring units, across borders) also get their last
    month. Vectorised over units (one pass over month x unit tables).
    """
    wide = _wide(history).apply(np.log1p)
    units, months = list(wide.columns), wide.index
    others = [c for c in history.columns if c not in ("unit", "month", "y")]
    total = wide.sum(axis=1).to_numpy()[:, None]
    since = _months_since_event(wide)
    frame = pd.DataFrame(
        {
            "unit": np.repeat(units, len(months)),
            "month": np.tile(months, len(units)),
            "lag1": _long(wide),
            "lag2": _long(wide.shift(1)),
            "lag3": _long(wide.shift(2)),
            "mean3": _long(wide.rolling(3, min_periods=1).mean()),
            "mean6": _long(wide.rolling(6, min_periods=1).mean()),
            "mean12": _long(wide.rolling(12, min_periods=1).mean()),
            "decay": np.power(0.5, np.nan_to_num(since, nan=120.0) / 6.0).T.ravel(),
            "others12": _long(
                pd.DataFrame(total - wide.to_numpy(), index=months)
                .rolling(12, min_periods=1)
                .mean()
            ),
        }
    )
    for name in others:
        table = _wide(history, name).apply(np.log1p).reindex(index=months, columns=units)
        if name.startswith("nb_"):
            frame[f"{name}_lag1"] = _long(table)
        frame[f"{name}_mean12"] = _long(table.rolling(12, min_periods=1).mean())
    return frame


def quiet_columns(columns: list[str]) -> list[str]:
    """The 12-month means that are all zero in a quiet row: counts, not distances.

    A distance to the nearest violence (`nb_dist_km`) is never 0 in a quiet cell, so counting
    it made every row active and the quiet-row subsampling never happened (issue 15).
    """
    return [c for c in columns if c.endswith("mean12") and not c.startswith("nb_dist")]


def _p_positive(clf: HistGradientBoostingClassifier, x: np.ndarray) -> np.ndarray:
    """P(y > 0) by the classifier, also when training saw one class only.

    A unit violent every month trains a classifier that knows class 1 alone; scikit-learn then
    returns a second, meaningless column, and column 1 read as P(y > 0) gave ~0 for the most
    violent series (a forecast of 0 deaths for a country with 35 a month).
    """
    classes = list(clf.classes_)
    if classes == [1]:
        return np.ones(len(x))
    if classes == [0]:
        return np.zeros(len(x))
    return clf.predict_proba(x)[:, classes.index(1)]


@dataclass
class _Trees:
    """The hurdle's fitted parts: one classifier and one regressor, or one of each per horizon.

    Keys are horizons, or None for one model over all horizons (the horizon a feature).
    `sigma`: spread of log sizes (lognormal sizes); `size_r`: the negative binomial's size
    (NB sizes; infinite = Poisson).
    """

    clf: dict[int | None, HistGradientBoostingClassifier]
    reg: dict[int | None, HistGradientBoostingRegressor]
    sigma: float = 1.0
    size_r: float = np.inf

    @staticmethod
    def _by_horizon(models: dict[int | None, object], x: np.ndarray, part: Callable) -> np.ndarray:
        if None in models:
            return np.asarray(part(models[None], x), dtype=float)
        out = np.zeros(len(x))
        for h in np.unique(x[:, -1]):
            rows = x[:, -1] == h
            out[rows] = part(models[int(h)], x[rows])
        return out

    def p_positive(self, x: np.ndarray) -> np.ndarray:
        """P(y > 0) per row of x (the horizon in the last column)."""
        return self._by_horizon(self.clf, x, _p_positive)

    def size(self, x: np.ndarray) -> np.ndarray:
        """The regressor's size per row: mean log1p(y) (lognormal) or mean y - 1 (NB)."""
        return self._by_horizon(self.reg, x, lambda reg, rows: reg.predict(rows))


@dataclass
class GradientBoostingHurdle:
    """A hurdle model: P(y > 0) times a sampled positive part.

    Both parts are gradient-boosted trees (sklearn) over the features above plus the horizon:
    one model for all horizons (direct forecasts), or with `per_horizon` one pair of trees per
    horizon, each trained only on its horizon's rows. `size`: the positive part is lognormal
    (`lognormal`: trees on log1p(y), the in-sample spread of their errors) or a shifted
    negative binomial (`negbin`, the hurdle-NB: y = 1 + NB, its mean from Poisson-loss trees,
    its size by moments of the in-sample errors).

    `drift`: correct the forecast for the drift of the last `holdout` months, measured out of
    sample. A copy of the model is fitted with the data up to `holdout` months before the
    origin and forecasts the `holdout` months since; the forecast is then shifted by what that
    copy got wrong - the logit of P(y > 0) so that the expected count of months with deaths
    matches the observed one, the log size by the mean error on the months with deaths (NB:
    the log ratio of observed to forecast sizes) - and sized with the out-of-sample spread of
    those errors. Shifts are capped at +-`drift_cap`. Trees cannot extrapolate: when violence
    spreads year after year, a model of the past under-forecasts both where and how much; this
    carries last year's miss forward (and so over-forecasts the year after a one-off surge). It
    needs zeros and deaths in the hold-out, so it suits many units (admin-1, PRIO-GRID), not
    two countries.
    """

    max_horizon: int = 14
    max_iter: int = 200
    learning_rate: float = 0.05
    max_leaf_nodes: int = 8
    window: int | None = None
    quiet_share: float = 1.0
    drift: bool = False
    holdout: int = 12
    drift_cap: float = 1.5
    per_horizon: bool = False
    size: str = "lognormal"
    draws: int = DRAWS
    seed: int = 4
    name: str = "gbm_hurdle"
    _trees: _Trees | None = None
    _sigma: float = 1.0
    _logit_shift: float = 0.0
    _size_shift: float = 0.0
    _last: pd.DataFrame | None = None
    _origin: pd.Timestamp | None = None
    _cols: list[str] = field(default_factory=list)
    quiet_rows: int = 0
    dropped_rows: int = 0

    def __post_init__(self) -> None:
        if self.size not in ("lognormal", "negbin"):
            raise ValueError(f"size: {self.size!r} is not lognormal or negbin")

    def _training_rows(
        self, feats: pd.DataFrame, wide: pd.DataFrame
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Features (+ horizon), target and weight for every (unit, month, horizon) row.

        `window`: only feature months in the last `window` months before the origin.
        `quiet_share`: keep that share of quiet rows (no death in the unit or its neighbours
        in the last 12 months, none at the target month: see `quiet_columns`), each weighted up
        by its inverse, so that grids with thousands of empty cells train in reasonable time.
        `quiet_rows` and `dropped_rows` count them at the last fit.
        """
        cols = [c for c in feats.columns if c not in ("unit", "month")]
        base = feats[cols].to_numpy(dtype=float)
        recent = np.ones(len(feats), dtype=bool)
        if self.window is not None and self._origin is not None:
            start = self._origin - pd.DateOffset(months=self.window)
            recent = (feats["month"] > start).to_numpy()
        activity = feats[quiet_columns(cols)].to_numpy().sum(axis=1)
        rng = np.random.default_rng(self.seed)
        self.quiet_rows, self.dropped_rows = 0, 0
        parts_x, parts_y, parts_w = [], [], []
        for h in range(1, self.max_horizon + 1):
            target = _long(wide.shift(-h))
            keep = recent & ~np.isnan(target)
            weight = np.ones(len(target))
            if self.quiet_share < 1.0:
                quiet = (activity == 0) & (target == 0) & keep
                drop = quiet & (rng.uniform(size=len(target)) >= self.quiet_share)
                self.quiet_rows += int(quiet.sum())
                self.dropped_rows += int(drop.sum())
                keep &= ~drop
                weight[quiet] = 1.0 / self.quiet_share
            parts_x.append(np.column_stack([base[keep], np.full(keep.sum(), h)]))
            parts_y.append(target[keep])
            parts_w.append(weight[keep])
        self._cols = [*cols, "h"]
        return np.vstack(parts_x), np.concatenate(parts_y), np.concatenate(parts_w)

    def _trees_for(
        self, x: np.ndarray, y: np.ndarray, weight: np.ndarray
    ) -> tuple[HistGradientBoostingClassifier, HistGradientBoostingRegressor]:
        """One classifier of y > 0 and one regressor of the size, on these rows."""
        positive = y > 0
        shape = {
            "max_iter": self.max_iter,
            "learning_rate": self.learning_rate,
            "max_leaf_nodes": self.max_leaf_nodes,
            "random_state": self.seed,
        }
        clf = HistGradientBoostingClassifier(**shape)
        clf.fit(x, positive.astype(int), sample_weight=weight if self.quiet_share < 1 else None)
        if self.size == "negbin":
            reg = HistGradientBoostingRegressor(loss="poisson", **shape)
            target = y[positive] - 1.0
        else:
            reg = HistGradientBoostingRegressor(**shape)
            target = np.log1p(y[positive])
        if positive.sum() and (self.size != "negbin" or target.sum() > 0):
            reg.fit(x[positive], target)
        else:
            reg.fit(np.vstack([x[:1], x[:1]]), np.zeros(2) + (self.size == "negbin"))
        return clf, reg

    def _fit_parts(self, feats: pd.DataFrame, wide: pd.DataFrame) -> _Trees:
        """The trees and the in-sample spread of sizes, from `wide`'s months."""
        self._origin = wide.index.max()
        x, y, weight = self._training_rows(feats[feats["month"] <= self._origin], wide)
        groups = [None] if not self.per_horizon else sorted({int(h) for h in x[:, -1]})
        trees = _Trees({}, {})
        for h in groups:
            rows = slice(None) if h is None else x[:, -1] == h
            trees.clf[h], trees.reg[h] = self._trees_for(x[rows], y[rows], weight[rows])
        positive = y > 0
        predicted = trees.size(x[positive])
        if self.size == "negbin":
            excess = float(np.sum((y[positive] - 1 - predicted) ** 2 - predicted))
            trees.size_r = float(np.sum(predicted**2)) / excess if excess > 0 else np.inf
        else:
            trees.sigma = float(np.std(np.log1p(y[positive]) - predicted)) or 1.0
        return trees

    def _design(self, at: pd.DataFrame, hs: list[int]) -> np.ndarray:
        """Rows (unit-major, then horizon) of the features in `at` with each horizon in `hs`."""
        last = at[self._cols[:-1]].to_numpy(dtype=float)
        return np.column_stack([np.repeat(last, len(hs), axis=0), np.tile(hs, len(last))])

    def _measure_drift(self, feats: pd.DataFrame, wide: pd.DataFrame) -> tuple[float, float, float]:
        """Logit shift, log-size shift and log-size spread from a copy fitted `holdout` ago."""
        cut = wide.index[-1 - self.holdout]
        trees = self._fit_parts(feats, wide.loc[:cut])
        at_cut = feats[feats["month"] == cut]
        x = self._design(at_cut, list(range(1, self.holdout + 1)))
        y = _long(wide.iloc[-self.holdout :][at_cut["unit"]])
        logits = _logit(trees.p_positive(x))
        positive = y > 0

        def excess(shift: float) -> float:
            return float(expit(logits + shift).sum() - positive.sum())

        low, high = -self.drift_cap, self.drift_cap
        if excess(low) >= 0:
            logit_shift = low
        elif excess(high) <= 0:
            logit_shift = high
        else:
            logit_shift = float(brentq(excess, low, high))
        if positive.sum() <= 5:
            return logit_shift, 0.0, trees.sigma
        sizes = trees.size(x[positive])
        if self.size == "negbin":
            ratio = np.log(max(float(np.sum(y[positive] - 1)), 1e-9) / max(sizes.sum(), 1e-9))
            return logit_shift, float(np.clip(ratio, low, high)), trees.sigma
        errors = np.log1p(y[positive]) - sizes
        return (
            logit_shift,
            float(np.clip(errors.mean(), low, high)),
            max(float(errors.std()), trees.sigma),
        )

    def fit(self, history: pd.DataFrame) -> GradientBoostingHurdle:
        """Learn from the history (rows up to the origin only)."""
        feats = features(history)
        wide = _wide(history)
        self._logit_shift, self._size_shift, drift_sigma = 0.0, 0.0, 0.0
        if self.drift and len(wide) > self.holdout + self.max_horizon:
            self._logit_shift, self._size_shift, drift_sigma = self._measure_drift(feats, wide)
        self._trees = self._fit_parts(feats, wide)
        self._sigma = max(self._trees.sigma, drift_sigma)
        self._last = feats[feats["month"] == self._origin].set_index("unit")
        return self

    def restart(self, history: pd.DataFrame) -> GradientBoostingHurdle:
        """Forecast from the last month of `history` with the trees as fitted, without refitting.

        For diagnostics: a model fitted on later data and restarted at an earlier origin shows
        what the features could have told if their link to outcomes had been known then.
        """
        feats = features(history)
        self._origin = feats["month"].max()
        self._last = feats[feats["month"] == self._origin].set_index("unit")
        return self

    def predict(self, months: list[pd.Timestamp]) -> dict[str, np.ndarray]:
        """Samples per unit: an array (months, draws)."""
        if self._trees is None or self._last is None or self._origin is None:
            raise RuntimeError("fit the model before predicting")
        rng = np.random.default_rng(self.seed)
        hs = [(m.year - self._origin.year) * 12 + (m.month - self._origin.month) for m in months]
        x = self._design(self._last, hs)
        p = self._trees.p_positive(x)
        if self._logit_shift:
            p = expit(_logit(p) + self._logit_shift)
        p = p.reshape(len(self._last), len(hs))
        mu = self._trees.size(x).reshape(len(self._last), len(hs))
        out = {}
        shape = (len(months), self.draws)
        for i, unit in enumerate(self._last.index):
            hurdle = rng.uniform(size=shape) < p[i][:, None]
            out[str(unit)] = np.where(hurdle, self._sizes(rng, mu[i], shape), 0.0)
        return out

    def _sizes(
        self, rng: np.random.Generator, mu: np.ndarray, shape: tuple[int, int]
    ) -> np.ndarray:
        """Positive sizes for one unit: (months, draws), from the regressor's sizes `mu`."""
        if self.size == "negbin":
            mean = np.maximum(mu, 1e-9)[:, None] * np.exp(self._size_shift) * np.ones(shape)
            r = self._trees.size_r if self._trees is not None else np.inf
            if not np.isfinite(r):
                return 1.0 + rng.poisson(mean).astype(float)
            return 1.0 + rng.negative_binomial(r, r / (r + mean)).astype(float)
        size = np.expm1(rng.normal(mu[:, None] + self._size_shift, self._sigma, shape))
        return np.maximum(np.round(size), 1.0)


@dataclass
class Ensemble:
    """A mixture of the gradient-boosted hurdle and conflictology-12.

    Each draw comes from the hurdle model with probability `weight`, else from conflictology-12;
    `hurdle` holds the hurdle part's hyper-parameters.
    """

    weight: float = 0.5
    hurdle: dict[str, object] = field(default_factory=dict)
    draws: int = DRAWS
    seed: int = 6
    name: str = "ensemble"
    parts: list[Model] = field(default_factory=list)

    def fit(self, history: pd.DataFrame) -> Ensemble:
        """Learn from the history (rows up to the origin only)."""
        self.parts = [
            GradientBoostingHurdle(**self.hurdle).fit(history),  # type: ignore[arg-type]
            Conflictology().fit(history),
        ]
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
    "negbin": NegativeBinomial,
    "analogue": Analogue,
    "gbm_hurdle": GradientBoostingHurdle,
    "ensemble": Ensemble,
}
