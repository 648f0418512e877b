"""The concentrated two-way Poisson fit against statsmodels' GLM with every dummy written out."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from peacewatch import panel
from peacewatch.analysis import impact, poisson


def _dense(data: pd.DataFrame, regressors: pd.DataFrame) -> np.ndarray:
    """The coefficients of statsmodels' Poisson GLM with unit and month dummies (the reference)."""
    informative = (data.groupby("unit")["y"].transform("sum") > 0).to_numpy()
    data, regressors = data[informative], regressors[informative]
    design = pd.concat(
        [
            regressors.reset_index(drop=True),
            pd.get_dummies(data["unit"], drop_first=True, dtype=float).reset_index(drop=True),
            pd.get_dummies(
                data["month"].astype(str), prefix="m", drop_first=True, dtype=float
            ).reset_index(drop=True),
        ],
        axis=1,
    )
    design.insert(0, "const", 1.0)
    res = sm.GLM(data["y"].to_numpy(float), design.to_numpy(float), sm.families.Poisson()).fit(
        maxiter=100, tol=1e-12
    )
    return np.asarray(res.params)[1 : 1 + regressors.shape[1]]


def test_the_fit_equals_the_dense_glm_on_a_simulated_panel():
    data = impact.simulate(7, np.log(1.5))
    post = ((data["kind"] == "site") & (data["k"] >= 0)).astype(float)
    regs = pd.DataFrame({"post": post, "noise": np.random.default_rng(3).normal(size=len(data))})
    got = poisson.fit(data, regs, 199)
    want = _dense(data, regs)
    assert got["post"].coef == pytest.approx(want[0], abs=1e-8)
    assert got["noise"].coef == pytest.approx(want[1], abs=1e-8)
    assert got["post"].low < got["post"].coef < got["post"].high


@pytest.mark.slow
def test_the_fit_equals_the_dense_glm_on_the_mali_event_study(mali_store):
    """The real design: camps within 25 km and comparison cells, one coefficient per month."""
    spec = impact.ImpactSpec("MLI", radii=(25.0,))
    sites = impact.site_table(mali_store, "MLI")
    _first, end = panel.default_range(mali_store, "MLI")
    data = impact._window(
        impact.build_data(mali_store, spec, 25.0, sites, end), spec.before, spec.after
    )
    ks = [k for k in range(-spec.before, 1) if k != -1]
    regs = pd.DataFrame(
        {f"k{k}": ((data["kind"] == "site") & (data["k"] == k)).astype(float) for k in ks}
    )
    got = poisson.fit(data, regs, 99)
    want = _dense(data, regs)
    live = [j for j, k in enumerate(regs.columns) if np.isfinite(got[k].coef)]
    assert len(live) >= 6
    for j in live:
        assert got[regs.columns[j]].coef == pytest.approx(want[j], abs=1e-6)
