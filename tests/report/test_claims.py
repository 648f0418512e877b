"""Claims against evidence: the rules applied to evidence recounted from the raw files."""

from datetime import date

import pandas as pd

from peacewatch import indicators
from peacewatch.analysis.vacuum import vacuum_table
from peacewatch.report import claims
from tests.conftest import GED_MALI, UN_FATALITIES


def _verdicts(mali_store):
    tracker = indicators.compute(
        mali_store, "cooperation.tracker", "MLI", "2012-01-01", "2023-12-31"
    ).frame
    vacuum = vacuum_table(mali_store, "MLI", date(2023, 12, 31))
    return {v.claim_id: v for v in claims.judge(mali_store, "MLI", "MINUSMA", tracker, vacuum)}


def test_every_claim_of_the_file_gets_a_verdict_by_its_rule(mali_store):
    verdicts = _verdicts(mali_store)
    listed = claims.claims_file("MINUSMA")
    assert list(verdicts) == list(listed["claim_id"]) and len(verdicts) == 10
    assert {v.verdict for v in verdicts.values()} <= {
        claims.SUPPORTED,
        claims.MIXED,
        claims.CONTRADICTED,
        claims.NO_DATA,
    }
    assert all(v.rule for v in verdicts.values())
    assert claims.claims_file("NO_SUCH_MISSION") is None


def test_deadliest_abuses_and_progress_recounted(mali_store):
    verdicts = _verdicts(mali_store)
    un = pd.read_csv(UN_FATALITIES)
    malicious = un[un["type_of_incident"] == "Malicious Act"].groupby("mission_acronym").size()
    ranked = malicious.sort_values(ascending=False)
    assert ranked.index[0] == "MINUSMA"
    assert f"{ranked['MINUSMA']:,} peacekeepers of MINUSMA" in verdicts["deadliest"].evidence
    assert verdicts["deadliest"].verdict == claims.SUPPORTED

    raw = pd.read_csv(GED_MALI, index_col=False)
    day = pd.to_datetime(raw["date_start"], format="%m/%d/%Y %H:%M:%S")
    mission = raw[(day >= "2013-07-01") & (day <= "2023-12-31")]
    one_sided = mission[mission["type_of_violence"] == 3]
    assert f"Of {one_sided['best_est'].sum():,} civilians" in verdicts["abuses"].evidence
    first = raw[(day >= "2013-07-01") & (day <= "2016-07-01")]["best_est"].sum()
    last = raw[(day >= "2020-12-31") & (day <= "2023-12-31")]["best_est"].sum()
    assert f"{first:,} deaths in the mission's first three years, {last:,}" in (
        verdicts["progress"].evidence
    )
    assert verdicts["progress"].verdict == (
        claims.SUPPORTED if last >= 1.25 * first else claims.MIXED
    )
    # The vacuum: too few days after the handovers in data that end in December 2023.
    assert verdicts["vacuum"].verdict == claims.NO_DATA
