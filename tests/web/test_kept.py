"""The kept panel's two ways of finding a period's rows agree (the grid and the mask)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from peacewatch.web import kept


@pytest.mark.parametrize("unit", ["admin1", "priogrid"])
def test_grid_rows_equal_mask_rows(mali_store, unit):
    whole = kept.KeptPanel.build(mali_store, unit, "MLI", "ucdp_ged")
    assert whole.grid is not None  # panels are balanced, unit-major
    masked = dataclasses.replace(whole, grid=None)
    months = pd.date_range("1995-01-01", "2023-12-01", freq="MS")
    rng = np.random.default_rng(1)
    for _ in range(25):
        a, b = sorted(rng.choice(len(months), 2, replace=False))
        got = whole.rows(months[a], months[b])
        assert np.array_equal(got, masked.rows(months[a], months[b]))
        assert len(got) >= (b - a + 1) * 10  # at least every framed unit, every month
    assert kept.whole_months(None, pd.Timestamp("2020-02-15").date(), pd.Timestamp(
        "1990-06-28").date(), pd.Timestamp("2023-12-31").date()) is None  # fmt: skip


def test_kept_events_give_the_querys_rows_in_its_order(mali_store):
    """Random filters: the kept rows' page and count are byte for byte the SQL query's."""
    import orjson

    from peacewatch import api, panel
    from peacewatch.schema import ACTOR_CATEGORIES, CATEGORIES
    from peacewatch.web.api_routes import EVENT_FIELDS, dumps

    rows = kept.KeptEvents.build(mali_store, "MLI", EVENT_FIELDS, dumps)
    rng = np.random.default_rng(7)
    days = pd.date_range("1990-01-01", "2024-12-31")
    codes = [c for (c,) in mali_store.con.execute(
        "SELECT DISTINCT admin1_code FROM events WHERE country_iso3 = 'MLI' "
        "AND admin1_code IS NOT NULL").fetchall()]  # fmt: skip
    for _ in range(120):
        a, b = sorted(rng.choice(len(days), 2, replace=False))
        f = {"date_from": days[a].date(), "date_to": days[b].date()}
        if rng.random() < 0.3:
            f["category"] = str(rng.choice(CATEGORIES))
        if rng.random() < 0.3:
            f["source"] = str(rng.choice(["ucdp_ged", "acled", "ucdp", "incident"]))
        if rng.random() < 0.3:
            f["actor_category"] = str(rng.choice(ACTOR_CATEGORIES))
        if rng.random() < 0.2:
            f["admin1"] = str(rng.choice(codes))
        if rng.random() < 0.2:
            f["bbox"] = "-5,13,0,17"
        public_only = bool(rng.random() < 0.5)
        limit, offset = int(rng.integers(1, 300)), int(rng.integers(0, 3)) * 50
        source = f.get("source")
        mask = rows.select(
            f["date_from"], f["date_to"], f.get("category"),
            panel.SOURCE_GROUPS.get(source, (source,)) if source else None,
            f.get("actor_category"),
            tuple(float(v) for v in f["bbox"].split(",")) if "bbox" in f else None,
            public_only, f.get("admin1"),
        )  # fmt: skip
        sql = api.event_records(
            mali_store, EVENT_FIELDS, limit, offset, country="MLI", public_only=public_only, **f
        )
        assert orjson.loads(rows.page(mask, limit, offset)) == sql, f
        assert int(mask.sum()) == api.count_events(
            mali_store, country="MLI", public_only=public_only, **f
        )


def test_kept_counts_equal_the_group_by(mali_store):
    """The map's counts per region and per cell, against SQL's GROUP BY (NULL keys too)."""
    from peacewatch.web.api_routes import EVENT_FIELDS, dumps

    rows = kept.KeptEvents.build(mali_store, "MLI", EVENT_FIELDS, dumps)
    for key in ("admin1_code", "priogrid_gid"):
        got = rows.counts(key, rows.select(pd.Timestamp("2019-05-03").date(), None))
        sql = mali_store.con.execute(
            f"SELECT {key}, count(*), coalesce(sum(fatalities_best), 0) FROM events "
            "WHERE country_iso3 = 'MLI' AND date_start >= '2019-05-03' GROUP BY ALL"
        ).fetchall()
        assert got == {k: (n, d) for k, n, d in sql}, key
