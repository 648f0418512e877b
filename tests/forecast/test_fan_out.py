import pytest

from peacewatch.forecast import backtest

MODELS = ["conflictology_12", "gbm_hurdle"]


def _same(a, b):
    a = a.sort_values(["model", "origin", "unit", "month"]).reset_index(drop=True)
    b = b.sort_values(["model", "origin", "unit", "month"]).reset_index(drop=True)
    # Every forecast's scores (computed from its 1,000 samples) are identical.
    assert len(a) > 0 and a.equals(b)


@pytest.fixture(scope="module")
def series(mali_store):
    return backtest.country_series(mali_store, ["MLI", "BFA"])


@pytest.fixture(scope="module")
def serial(series):
    return backtest.yearly_backtest(series, [2021, 2022, 2023], MODELS)


@pytest.mark.slow
def test_joblib_processes_give_identical_forecasts(series, serial):
    _same(serial, backtest.yearly_backtest(series, [2021, 2022, 2023], MODELS, n_jobs=2))


@pytest.mark.slow
def test_a_local_two_worker_dask_cluster_gives_identical_scores(series, serial, monkeypatch):
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        monkeypatch.setenv(backtest.DASK_ENV, cluster.scheduler_address)
        on_dask = backtest.yearly_backtest(series, [2021, 2022, 2023], MODELS)
    _same(serial, on_dask)
    score = backtest.score_table(serial, ["model", "unit"])
    again = backtest.score_table(on_dask, ["model", "unit"])
    assert score.equals(again)
