import csv

import numpy as np
import pandas as pd
import pytest

from peacewatch.analysis import impact
from peacewatch.report import impact as impact_report
from tests.conftest import GED_MALI

SIMS = 150


@pytest.mark.slow
def test_the_estimator_recovers_an_injected_effect_and_holds_its_size(capsys):
    """Simulated site panels (15 sites, 40 comparison cells, 48 months, staggered handovers)."""
    spec = impact.ImpactSpec("SIM", before=12, after=6)
    figures = {}
    for label, effect in (("effect x1.5", np.log(1.5)), ("no effect", 0.0)):
        covered = rejected = 0
        for seed in range(SIMS):
            est = impact.pooled_effect(impact.simulate(2000 + seed, effect), spec)
            covered += est.low <= effect <= est.high
            rejected += not (est.low <= 0.0 <= est.high)
        figures[label] = (covered / SIMS, rejected / SIMS)
    with capsys.disabled():
        for label, (cov, rej) in figures.items():
            print(
                f"\n{label}: interval covers the truth in {cov:.1%}, rejects no-effect in "
                f"{rej:.1%} of {SIMS} simulations"
            )
    assert figures["effect x1.5"][0] >= 0.90
    assert figures["effect x1.5"][1] >= 0.95  # power against a 50% increase
    assert figures["no effect"][0] >= 0.90
    assert 0.01 <= figures["no effect"][1] <= 0.10  # nominal 5%


def test_a_null_simulation_gives_no_detectable_change():
    est = impact.pooled_effect(impact.simulate(1, 0.0), impact.ImpactSpec("SIM"))
    assert est.verdict() == "no detectable change"
    big = impact.pooled_effect(impact.simulate(1, np.log(3)), impact.ImpactSpec("SIM"))
    assert big.verdict() == "increase" and 2 < big.rate_ratio[0] < 4.5


def test_ogossagou_is_geocoded_from_geds_exact_events(engine_store):
    mali_store = engine_store  # the parity suite: on DuckDB and on PostgreSQL
    sites = impact.site_table(mali_store, "MLI").set_index("camp_id")
    with GED_MALI.open(encoding="utf-8") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh)}
    for event in ("281679", "331998"):
        assert rows[event]["where_prec"] == "1"
        assert float(rows[event]["latitude"]) == sites.loc["OGO", "latitude"]
        assert float(rows[event]["longitude"]) == sites.loc["OGO", "longitude"]
    assert sites.loc["OGO", "coord_source"].startswith("geocoded")
    assert sites.loc["GSI", "status"] == "skipped: no handover date"


@pytest.fixture(scope="module")
def mali_result(mali_store):
    spec = impact.ImpactSpec("MLI", radii=(25.0, 50.0), replications=299)
    return impact.run(mali_store, spec)


def test_every_camp_with_coordinates_and_a_handover_has_results(mali_result):
    used = mali_result.sites[mali_result.sites["status"] == "used"]
    assert set(used["camp_id"]) == {
        "OGO",
        "BER",
        "GDM",
        "MNK",
        "DTZ",
        "TSL",
        "AGK",
        "KDL",
        "ASG",
        "MPT",
        "TBT",
        "GAO",
        "BKO",
    }
    per = mali_result.per_site
    assert set(per["site"]) == set(used["camp_id"])
    assert len(per) == 2 * len(used)


def test_ber_and_kidal_fighting_after_handover_is_visible(mali_result):
    per = mali_result.per_site[mali_result.per_site["radius_km"] == 25.0].set_index("site")
    for site in ("BER", "KDL"):
        assert per.loc[site, "mean_after"] > 3 * per.loc[site, "mean_12m_before"], site
        assert per.loc[site, "total_after"] > 0


def test_tables_limits_placebo_and_leave_one_out(mali_result, tmp_path, mali_store):
    assert set(mali_result.pooled["radius_km"]) == {25.0, 50.0}
    assert set(mali_result.sensitivity.columns) >= {"radius_km", "before", "after", "verdict"}
    assert len(mali_result.sensitivity) == 2 * 3 * 2
    assert len(mali_result.placebo) == 4
    assert len(mali_result.leave_one_out) >= 10
    assert any("fewer than 6 months after" in line for line in mali_result.limits)
    assert (
        mali_result.pooled["verdict"]
        .isin(
            [
                "no detectable change",
                "interval too wide to conclude anything",
                "increase",
                "decrease",
            ]
        )
        .all()
    )
    files = impact_report.write_outputs(mali_store, mali_result, tmp_path / "out")
    names = {f.name for f in files}
    assert {
        "pooled.csv",
        "event_study.svg",
        "sparklines.svg",
        "sites_map.svg",
        "summary.md",
    } <= names
    summary = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "Placebo" in summary
    assert "MINUSMA presence while deployed" in summary and "published finding" in summary
    assert "presence.csv" in names and len(mali_result.presence) == 4
    series = mali_result.series
    assert "series.csv" in names and set(series["radius_km"]) == {25.0, 50.0}
    kidal = series[(series["site"] == "KDL") & (series["radius_km"] == 25.0)]
    assert (
        kidal.loc[kidal["months_from_handover"] >= 0, "fatalities_best"].sum()
        == (mali_result.per_site.set_index(["site", "radius_km"]).loc[("KDL", 25.0), "total_after"])
    )


@pytest.mark.slow
def test_the_impact_study_gives_the_same_numbers_on_postgresql(mali_result, mali_pg):
    """Parity: the study run on the PostgreSQL store equals the DuckDB run (same seed)."""
    again = impact.run(mali_pg, impact.ImpactSpec("MLI", radii=(25.0, 50.0), replications=299))
    assert again.limits == mali_result.limits and again.data_end == mali_result.data_end
    names = ("sites", "per_site", "pooled", "event_study", "sensitivity", "placebo")
    for name in (*names, "leave_one_out", "presence", "series"):
        # Same numbers; a column's dtype may differ (PostgreSQL's sum of integers is an
        # integer, DuckDB's a float).
        pd.testing.assert_frame_equal(
            getattr(again, name), getattr(mali_result, name), check_dtype=False
        )
