import numpy as np
import pytest
import scoringrules

from peacewatch.forecast import scoring


def test_crps_equals_scoringrules_and_a_closed_form():
    rng = np.random.default_rng(1)
    samples = rng.poisson(rng.uniform(0, 60, (50, 1)), (50, 1000)).astype(float)
    observed = rng.poisson(30, 50).astype(float)
    ours = scoring.crps(samples, observed)
    theirs = scoringrules.crps_ensemble(observed, samples, estimator="nrg")
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9)
    # A point forecast: CRPS = |x - y|.
    assert scoring.crps(np.full((1, 10), 7.0), np.array([3.0]))[0] == pytest.approx(4.0)
    # Two equally likely values 0 and 10, y = 0: E|X-y| = 5, E|X-X'| = 5 -> 2.5.
    two = np.array([[0.0] * 500 + [10.0] * 500])
    assert scoring.crps(two, np.array([0.0]))[0] == pytest.approx(2.5)


def test_ignorance_bins_and_pseudo_counts():
    samples = np.zeros((1, 989))  # all in bin 0; with 11 pseudo-counts the total is 1000
    assert scoring.ignorance(samples, np.array([0.0]))[0] == pytest.approx(-np.log2(990 / 1000))
    assert scoring.ignorance(samples, np.array([30.0]))[0] == pytest.approx(-np.log2(1 / 1000))


def test_interval_score_and_coverage():
    samples = np.tile(np.arange(0, 101, dtype=float), (3, 1))
    score = scoring.interval_score(samples, np.array([50.0, -10.0, 200.0]))
    assert score[0] == pytest.approx(90.0)  # width 95 - 5
    assert score[1] == pytest.approx(90.0 + 20 * 15)
    assert score[2] == pytest.approx(90.0 + 20 * 105)
    assert scoring.coverage(samples, np.array([50.0, -10.0, 200.0]), 0.9) == pytest.approx(1 / 3)


def test_level_ratio_catches_a_zero_forecast():
    observed = np.array([0.0, 100.0, 20.0])
    result = scoring.summary(np.zeros((3, 100)), observed)
    assert result["level_ratio"] == 0.0 and result["brier_25"] == pytest.approx(1 / 3)


def test_pointwise_scores_aggregate_to_the_summary():
    rng = np.random.default_rng(4)
    samples = rng.poisson(rng.uniform(0, 40, (60, 1)), (60, 500)).astype(float)
    observed = rng.poisson(20, 60).astype(float)
    points = scoring.pointwise(samples, observed)
    assert len(points) == 60
    np.testing.assert_allclose(points["crps"], scoring.crps(samples, observed))
    direct = scoring.summary(samples, observed)
    assert direct["coverage_90"] == pytest.approx(scoring.coverage(samples, observed, 0.9))
    assert direct["level_ratio"] == pytest.approx(samples.mean() / observed.mean())


def test_pit_coverage_is_honest_for_zero_heavy_counts():
    """A calibrated forecast of rare counts: the inclusive 90% interval covers every zero (so at
    least P(y = 0) = 0.95), while randomised PIT values are uniform, so 90% fall inside
    [0.05, 0.95] (Czado, Gneiting & Held 2009)."""
    rng = np.random.default_rng(5)
    n = 20000
    samples = rng.poisson(0.05, (n, 1000)).astype(float)
    observed = rng.poisson(0.05, n).astype(float)
    result = scoring.summary(samples, observed)
    assert result["coverage_90"] >= np.exp(-0.05) - 0.005
    assert result["pit_coverage_90"] == pytest.approx(0.90, abs=0.01)
    shares = scoring.pit_histogram(scoring.pit(samples, observed))
    assert shares.sum() == pytest.approx(1.0) and np.allclose(shares, 0.1, atol=0.01)
