"""Poisson regression with unit and month fixed effects, and its wild cluster bootstrap.

Shared by the withdrawal-impact event study and the presence analysis. Inference: a wild
cluster (score) bootstrap by unit (Kline & Santos 2012): Webb six-point weights on each unit's
summed influence on the coefficients, a sqrt(G/(G-1)) factor, and the draws widened by
t(G_t - 1)/z where G_t is the number of treated units that inform the coefficient. One fit, no
refits. The fit concentrates the fixed effects out (ADR 018): the same estimates as a GLM with
every dummy, in a tenth of the time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

REPLICATIONS = 999
SEED = 20230630
TOO_WIDE = 10.0
SEPARATION = 8.0  # |log rate ratio| beyond this: a lag or group with (almost) no events
# Webb (2014) six-point weights: better than Rademacher with few clusters.
WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


@dataclass
class Estimate:
    """A coefficient (log rate ratio) with its bootstrap interval."""

    coef: float
    low: float
    high: float
    p_value: float
    clusters: int

    @property
    def rate_ratio(self) -> tuple[float, float, float]:
        """exp(coef) and its interval: the multiplicative change in the outcome."""
        return float(np.exp(self.coef)), float(np.exp(self.low)), float(np.exp(self.high))

    def verdict(self) -> str:
        """Plain words for the interval."""
        if not np.isfinite(self.coef) or abs(self.coef) > SEPARATION:
            return "not estimable (too few events)"
        rr, lo, hi = self.rate_ratio
        if hi / max(lo, 1e-12) > TOO_WIDE:
            return "interval too wide to conclude anything"
        if lo <= 1 <= hi:
            return "no detectable change"
        return "increase" if rr > 1 else "decrease"


def _group_sum(values: np.ndarray, codes: np.ndarray, groups: int) -> np.ndarray:
    """Sums of `values` (n or n x k) by group code."""
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=groups)
    columns = [np.bincount(codes, weights=col, minlength=groups) for col in values.T]
    return np.stack(columns, axis=1)


def _fixed_effects(
    eta: np.ndarray, y: np.ndarray, unit: np.ndarray, month: np.ndarray, fe: np.ndarray
) -> np.ndarray:
    """Unit and month effects that make the fitted counts add up to the observed ones.

    The first-order conditions of the fixed effects: for every unit and every month, the sum of
    the fitted means equals the sum of the counts. Solved by raking (iterative proportional
    fitting) from the last solution `fe` (the log of the combined effect of each row).
    """
    n_u, n_m = unit.max() + 1, month.max() + 1
    y_u, y_m = _group_sum(y, unit, n_u), _group_sum(y, month, n_m)
    log_mu = eta + fe
    for _ in range(1000):
        shift = np.log(y_u) - np.log(_group_sum(np.exp(log_mu), unit, n_u))
        log_mu = log_mu + shift[unit]
        shift_m = np.log(y_m) - np.log(_group_sum(np.exp(log_mu), month, n_m))
        log_mu = log_mu + shift_m[month]
        if np.abs(shift_m).max() < 1e-12:
            break
    return log_mu - eta


def _demean(x: np.ndarray, w: np.ndarray, unit: np.ndarray, month: np.ndarray) -> np.ndarray:
    """`x` less its weighted projection on unit and month dummies (alternating projections)."""
    n_u, n_m = unit.max() + 1, month.max() + 1
    w_u, w_m = _group_sum(w, unit, n_u)[:, None], _group_sum(w, month, n_m)[:, None]
    out = x.copy()
    for _ in range(10_000):
        out -= (_group_sum(out * w[:, None], unit, n_u) / w_u)[unit]
        step = (_group_sum(out * w[:, None], month, n_m) / w_m)[month]
        out -= step
        if np.abs(step).max() < 1e-13 * max(1.0, np.abs(x).max()):
            break
    return out


def _two_way_poisson(
    y: np.ndarray, x: np.ndarray, unit: np.ndarray, month: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisson MLE of log mu = x b + unit effect + month effect: (b, mu, x residualised).

    Newton steps on b with the fixed effects concentrated out (their first-order conditions are
    solved exactly at every step), so the cost grows with the rows and the regressors, not with
    the thousands of dummies a dense fit would invert. The same estimates as a GLM with the
    dummies (tested against statsmodels).
    """
    beta = np.zeros(x.shape[1])
    fe = np.zeros(len(y))
    fe = _fixed_effects(x @ beta, y, unit, month, fe)
    loglik = float(np.sum(y * (x @ beta + fe)))
    for _ in range(100):
        mu = np.exp(x @ beta + fe)
        resid = _demean(x, mu, unit, month)
        step = np.linalg.lstsq(resid.T @ (resid * mu[:, None]), x.T @ (y - mu), rcond=None)[0]
        for _half in range(30):
            trial = beta + step
            trial_fe = _fixed_effects(x @ trial, y, unit, month, fe)
            # With the effects solved, sum(mu) = sum(y): the log-likelihood is sum(y log mu) + c.
            trial_ll = float(np.sum(y * (x @ trial + trial_fe)))
            if trial_ll >= loglik - 1e-12:
                break
            step /= 2
        beta, fe, gain, loglik = trial, trial_fe, trial_ll - loglik, trial_ll
        if np.abs(step).max() < 1e-10 or abs(gain) < 1e-12:
            break
    mu = np.exp(x @ beta + fe)
    return beta, mu, _demean(x, mu, unit, month)


def fit(
    data: pd.DataFrame,
    regressors: pd.DataFrame,
    replications: int = REPLICATIONS,
    seed: int = SEED,
) -> dict[str, Estimate]:
    """Poisson FE fit with wild cluster (score) bootstrap intervals for the regressors."""
    informative = data.groupby("unit")["y"].transform("sum") > 0
    data, regressors = data[informative], regressors[informative.to_numpy()]
    live = [c for c in regressors.columns if (regressors[c] * data["y"].to_numpy()).sum() > 0]
    if not live or data["unit"].nunique() < 3:
        return {
            c: Estimate(float("nan"), float("nan"), float("nan"), float("nan"), 0)
            for c in regressors.columns
        }
    # Months without a single event carry no information (their effect is minus infinity).
    keep = (data.groupby("month")["y"].transform("sum") > 0).to_numpy()
    data, regressors = data[keep], regressors[keep]
    y = data["y"].to_numpy(dtype=float)
    x = regressors[live].to_numpy(dtype=float)
    unit = pd.factorize(data["unit"])[0]
    month = pd.factorize(data["month"])[0]
    beta, mu, resid = _two_way_poisson(y, x, unit, month)
    # Each row's influence on b (the regressors' block of the inverse Hessian, by Frisch-Waugh).
    influence = (resid * (y - mu)[:, None]) @ np.linalg.pinv(resid.T @ (resid * mu[:, None]))
    clusters = pd.Series(data["unit"].to_numpy())
    codes, uniques = pd.factorize(clusters)
    g = len(uniques)
    summed = np.zeros((g, len(live)))
    np.add.at(summed, codes, influence)
    summed *= np.sqrt(g / (g - 1))
    rng = np.random.default_rng(seed)
    weights = rng.choice(WEBB, size=(replications, g))
    draws = weights @ summed
    out = {}
    site_units = data["kind"].to_numpy() == "site"
    for j, name in enumerate(live):
        b = float(beta[j])
        # Few treated clusters: widen by t(G_t - 1) / z, G_t = sites informing this coefficient.
        g_t = len(set(codes[site_units & (regressors[name].to_numpy() > 0)]))
        scale = float(stats.t.ppf(0.975, max(g_t - 1, 1)) / stats.norm.ppf(0.975))
        lo, hi = np.quantile(draws[:, j] * scale, [0.025, 0.975])
        p = float(np.mean(np.abs(draws[:, j] * scale) >= abs(b)))
        out[name] = Estimate(b, b - float(hi), b - float(lo), p, g)
    for name in regressors.columns:
        out.setdefault(name, Estimate(float("nan"), float("nan"), float("nan"), float("nan"), g))
    return out
