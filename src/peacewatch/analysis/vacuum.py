"""Violence around vacated camps: events and deaths before and after each handover day.

A description, not an estimate of the withdrawal's effect (that is peacewatch.analysis.impact):
per camp, UCDP GED events within 25 km in the 182 days before the handover day and from that
day to the end of the data, by event date (a handover on 25 August does not count August's
earlier deaths as 'after').
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from peacewatch import geo, panel
from peacewatch.store import Store

RADIUS_KM = 25.0
BEFORE_DAYS = 182
# The `note` column's phrases (the report translates them).
NO_DATE = "no handover date"
NO_COORDINATES = "no coordinates: not counted"
TOO_FEW_DAYS = "too few days after handover in the loaded data to conclude"
AFTER_THE_DATA = "handover after the end of the data"


def vacuum_table(store: Store, country: str, end: date) -> pd.DataFrame:
    """One row per camp: handover day, events and deaths before and after, and a note.

    A camp without a handover date says why in `reason` (the camps file's handover notes).
    """
    camps = panel.camp_sites(store, country)
    if camps.empty:
        return pd.DataFrame()
    notes = store.frame(
        "SELECT camp_id, handover_notes FROM camps WHERE country_iso3 = ?", [country]
    )
    camps = camps.merge(notes, on="camp_id", how="left")
    events = store.frame(
        "SELECT date_start, latitude, longitude, fatalities_best FROM events "
        f"WHERE source = 'ucdp_ged' AND NOT ({panel.IMPRECISE}) AND date_start <= ? "
        "AND latitude IS NOT NULL",
        [end],
    )
    events["date_start"] = pd.to_datetime(events["date_start"])
    where = geo.unit_vectors(events["latitude"], events["longitude"])
    rows: list[dict[str, object]] = []
    for camp in camps.to_dict("records"):
        if pd.isna(camp["closure_date"]):
            reason = camp["handover_notes"] if isinstance(camp["handover_notes"], str) else ""
            rows.append({"camp": camp["name"], "handover": "", "note": NO_DATE, "reason": reason})
            continue
        day = pd.Timestamp(str(camp["closure_date"]))
        if pd.isna(camp["latitude"]):
            rows.append(
                {"camp": camp["name"], "handover": f"{day:%Y-%m-%d}", "note": NO_COORDINATES}
            )
            continue
        here = geo.unit_vectors([camp["latitude"]], [camp["longitude"]])[0]
        near = events[geo.chord_to_km(np.linalg.norm(where - here, axis=1)) <= RADIUS_KM]
        before = near[
            (near["date_start"] >= day - pd.Timedelta(days=BEFORE_DAYS))
            & (near["date_start"] < day)
        ]
        after = near[near["date_start"] >= day]
        days_after = max((pd.Timestamp(end) - day).days + 1, 0)
        if days_after >= BEFORE_DAYS:
            note = ""
        elif days_after > 0:
            note = TOO_FEW_DAYS
        else:
            note = AFTER_THE_DATA
        rows.append(
            {
                "camp": camp["name"],
                "handover": f"{day:%Y-%m-%d}",
                "events_182d_before": len(before),
                "fatalities_182d_before": int(before["fatalities_best"].sum()),
                "days_after_in_data": days_after,
                "events_after": len(after),
                "fatalities_after": int(after["fatalities_best"].sum()),
                "note": note,
            }
        )
    return pd.DataFrame(rows)


def after_handovers(store: Store, country: str) -> pd.DataFrame:
    """Timeline events from the first handover of the country's camps on (what followed)."""
    first = store.row("SELECT min(closure_date) FROM camps WHERE country_iso3 = ?", [country])
    if first is None or first[0] is None:
        return pd.DataFrame()
    return store.frame(
        "SELECT date, category, event, location FROM timeline WHERE country_iso3 = ? "
        "AND date >= ? AND NOT coalesce(lower(notes), '') LIKE 'regional%' ORDER BY date",
        [country, first[0]],
    )
