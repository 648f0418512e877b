"""Stacking: the mixture's CRPS in closed form, and weights that find a known mixture."""

import numpy as np
import pytest
import scoringrules

from peacewatch.forecast import scoring, stacking


def test_weighted_crps_matches_the_sample_crps_and_scoringrules():
    """Equal weights: the sample CRPS (itself checked against scoringrules); unequal weights:
    the same points repeated in proportion."""
    rng = np.random.default_rng(0)
    points = rng.poisson(5, (40, 20)).astype(float)
    observed = rng.poisson(5, 40).astype(float)
    equal = np.full(points.shape, 1 / 20)
    got = stacking.weighted_crps(points, equal, observed)
    assert got == pytest.approx(scoring.crps(points, observed), abs=1e-12)
    assert got == pytest.approx(scoringrules.crps_ensemble(observed, points), abs=1e-9)
    # Weight 3/4 on the first 10 points, 1/4 on the last 10 == the first repeated three times.
    weights = np.concatenate([np.full(10, 0.075), np.full(10, 0.025)])
    repeated = np.concatenate([points[:, :10]] * 3 + [points[:, 10:]], axis=1)
    assert stacking.weighted_crps(
        points, np.broadcast_to(weights, points.shape), observed
    ) == pytest.approx(scoring.crps(repeated, observed), abs=1e-12)


def test_simplex_grid():
    grid = stacking.simplex(3)
    assert len(grid) == 66
    assert all(abs(sum(w) - 1) < 1e-12 for w in grid)


def test_fit_weights_recovers_the_component_that_is_right():
    """Outcomes drawn from component 2: its weight is the largest; from a 50/50 mixture of
    components 1 and 3: both get weight, component 2 none."""
    rng = np.random.default_rng(1)
    levels = (np.arange(100) + 0.5) / 100
    means = np.array([2.0, 10.0, 30.0])
    q = np.stack([np.quantile(rng.poisson(m, 4000), levels) for m in means])
    quantiles = np.broadcast_to(q, (600, 3, 100))
    weights = stacking.fit_weights(quantiles, rng.poisson(10, 600).astype(float))
    assert weights[1] >= 0.8
    mixed = np.where(rng.uniform(size=600) < 0.5, rng.poisson(2, 600), rng.poisson(30, 600))
    weights = stacking.fit_weights(quantiles, mixed.astype(float))
    assert weights[0] >= 0.3 and weights[2] >= 0.3 and weights[1] <= 0.2
