"""Panels kept in memory per country, unit kind and source, sliced per request (ADR 022).

A request for whole months inside the data's span is answered from the panel built once over
the whole span: the rows of its months, and the units a panel built for the request would list
(its frame - admin-1 areas, the country's cells - and the outside-boundary area or border
cells only when an event of the slice falls in them). Each row's JSON is written once per
measure set, so a request joins bytes rather than converting values.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from peacewatch import panel
from peacewatch.errors import PeacewatchError
from peacewatch.schema import EVENT_COLUMNS
from peacewatch.store import Store


def whole_months(
    start: date | None, end: date | None, first: date, last: date
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The months a request covers, if it covers whole months inside the data's span.

    Then a slice of the panel built over the whole span has exactly the rows and counts a
    panel built for the request would have; otherwise (a part month, or months before the
    first or after the last event, which a built panel fills with zeros) None.
    """
    lo = pd.Timestamp(first).to_period("M").start_time
    hi = pd.Timestamp(last).to_period("M").start_time
    begin = lo if start is None else pd.Timestamp(start)
    finish = hi if end is None else pd.Timestamp(end).to_period("M").start_time
    if start is not None and (begin.day != 1 or begin < lo):
        return None
    if end is not None and (not pd.Timestamp(end).is_month_end or finish > hi):
        return None
    return begin, finish


@dataclass
class KeptPanel:
    """The whole-span panel of one country, unit kind and source, ready to slice."""

    frame: pd.DataFrame
    months: np.ndarray
    unit_codes: np.ndarray
    framed: np.ndarray
    activity: np.ndarray
    grid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    _json: dict[tuple[str, ...], list[bytes]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, store: Store, unit: str, country: str, source: str) -> KeptPanel:
        """Build the panel over the whole span (every measure) and index it."""
        frame = panel.panel(store, unit, country, None, None, source).copy()
        frame.attrs = {}  # pandas deep-copies attrs on every operation
        frame["month"] = pd.to_datetime(frame["month"])
        for column in ("unit", "unit_name"):
            frame[column] = frame[column].astype(object)
        if unit == "admin1":
            framed = (frame["unit"] != panel.OUTSIDE).to_numpy()
        elif unit == "priogrid":
            cells = {str(c) for c in panel.country_cells(store, country)}
            framed = frame["unit"].isin(cells).to_numpy()
        else:
            framed = np.ones(len(frame), dtype=bool)
        codes, uniques = pd.factorize(frame["unit"])
        activity = (frame["events"] + frame["imprecise_events"]).to_numpy(dtype=float)
        kept = cls(frame, frame["month"].to_numpy(), codes, framed, activity)
        months = frame["month"].drop_duplicates().to_numpy()
        n_units, n_months = len(uniques), len(months)
        balanced = len(frame) == n_units * n_months and (
            (codes == np.repeat(np.arange(n_units), n_months)).all()
            and (kept.months == np.tile(months, n_units)).all()
        )
        if balanced:
            # Unit-major, every month: a period is a column range of a units x months grid,
            # and a unit's activity in it a difference of cumulative sums.
            cumulative = np.cumsum(activity.reshape(n_units, n_months), axis=1)
            unit_framed = framed.reshape(n_units, n_months)[:, 0]
            kept.grid = (months, cumulative, unit_framed)
        return kept

    def rows(self, first: pd.Timestamp, last: pd.Timestamp) -> np.ndarray:
        """Positions of the rows a panel built for months `first`..`last` would have."""
        if self.grid is not None:
            months, cumulative, unit_framed = self.grid
            i = int(np.searchsorted(months, np.datetime64(first), "left"))
            j = int(np.searchsorted(months, np.datetime64(last), "right")) - 1
            if j < i:
                return np.array([], dtype=int)
            seen = cumulative[:, j] - (cumulative[:, i - 1] if i > 0 else 0)
            units = np.flatnonzero(unit_framed | (seen > 0))
            return (units[:, None] * len(months) + np.arange(i, j + 1)[None, :]).ravel()
        mask = (self.months >= np.datetime64(first)) & (self.months <= np.datetime64(last))
        if not self.framed.all():
            seen = np.bincount(
                self.unit_codes[mask],
                weights=self.activity[mask],
                minlength=int(self.unit_codes.max()) + 1,
            )
            mask &= self.framed | (seen[self.unit_codes] > 0)
        return np.flatnonzero(mask)

    def columns(self, wanted: tuple[str, ...]) -> list[str]:
        """The output columns for `wanted` measures (all if empty); a clear error if unknown."""
        missing = [m for m in wanted if m not in self.frame.columns]
        if missing:
            raise PeacewatchError(f"measures: unknown panel column(s) {', '.join(missing)}")
        if not wanted:
            return [str(c) for c in self.frame.columns]
        return ["unit", "unit_name", "month", *dict.fromkeys(wanted)]

    def json_rows(self, wanted: tuple[str, ...], dumps: Callable[[Any], bytes]) -> list[bytes]:
        """Each row's JSON object for these measures (written once, then kept)."""
        key = tuple(self.columns(wanted))
        with self._lock:
            if key not in self._json:
                shown = self.frame[list(key)].assign(month=self.frame["month"].dt.date)
                names = [str(c) for c in shown.columns]
                values = [shown[c].tolist() for c in shown.columns]
                self._json[key] = [
                    dumps(dict(zip(names, row, strict=True))) for row in zip(*values, strict=True)
                ]
            return self._json[key]


@dataclass
class KeptEvents:
    """One country's events in the API's order (date, id), as arrays and ready JSON rows.

    Answers `/api/events` pages and the map's counts for that country without a query: the
    filters of `api.event_filter` as numpy masks (a test holds the two to the same rows).
    """

    rows: list[bytes]
    day: np.ndarray
    columns: dict[str, np.ndarray]
    latitude: np.ndarray
    longitude: np.ndarray
    deaths: np.ndarray
    public: np.ndarray

    @classmethod
    def build(
        cls, store: Store, country: str, fields: tuple[str, ...], dumps: Callable[[Any], bytes]
    ) -> KeptEvents:
        """Read the country's events once (the fields the API serves, and what filters need)."""
        extra = [c for c in ("redistributable", "category", "actor1_category") if c not in fields]
        names = list(dict.fromkeys([*fields, *extra, "actor2_category", "priogrid_gid"]))
        cols = ", ".join(f'"{c}"' for c in names)
        frame = store.frame(
            f"SELECT {cols} FROM events WHERE country_iso3 = ? ORDER BY date_start, event_id",
            [country],
            own_cursor=True,
        )
        frame.attrs = {}
        shown = frame[list(fields)].copy()
        for column in shown.columns:
            if EVENT_COLUMNS.get(column) == "INTEGER":  # NULLs made them floats
                shown[column] = shown[column].astype("Int64")
            elif str(shown[column].dtype).startswith("datetime64"):
                text = shown[column].dt.strftime("%Y-%m-%dT%H:%M:%S")
                shown[column] = text.where(shown[column].notna(), None)
        values = [shown[c].astype(object).where(shown[c].notna(), None).tolist() for c in fields]
        rows = [dumps(dict(zip(fields, row, strict=True))) for row in zip(*values, strict=True)]
        day = frame["date_start"].to_numpy(dtype="datetime64[D]")
        text_columns = {
            c: frame[c].astype(object).to_numpy()
            for c in ("source", "category", "admin1_code", "actor1_category", "actor2_category")
        }
        text_columns["priogrid_gid"] = (
            frame["priogrid_gid"]
            .astype(object)
            .where(frame["priogrid_gid"].notna(), None)
            .to_numpy()
        )
        return cls(
            rows=rows,
            day=day,
            columns=text_columns,
            latitude=frame["latitude"].to_numpy(dtype=float),
            longitude=frame["longitude"].to_numpy(dtype=float),
            deaths=frame["fatalities_best"].fillna(0).to_numpy(dtype=np.int64),
            public=frame["redistributable"].fillna(False).to_numpy(dtype=bool),
        )

    def select(
        self,
        date_from: date | None = None,
        date_to: date | None = None,
        category: str | None = None,
        sources: tuple[str, ...] | None = None,
        actor_category: str | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        public_only: bool = False,
        admin1: str | None = None,
    ) -> np.ndarray:
        """A boolean mask of the rows `api.event_filter` with the same filters would keep."""
        mask = np.ones(len(self.rows), dtype=bool)
        if date_from is not None:
            mask &= self.day >= np.datetime64(date_from, "D")
        if date_to is not None:
            mask &= self.day <= np.datetime64(date_to, "D")
        if category is not None:
            mask &= self.columns["category"] == category
        if sources is not None:
            mask &= np.isin(self.columns["source"], list(sources))
        if admin1 is not None:
            mask &= self.columns["admin1_code"] == admin1
        if actor_category is not None:
            mask &= (self.columns["actor1_category"] == actor_category) | (
                self.columns["actor2_category"] == actor_category
            )
        if bbox is not None:
            x0, y0, x1, y1 = bbox
            with np.errstate(invalid="ignore"):
                mask &= (self.longitude >= x0) & (self.longitude <= x1)
                mask &= (self.latitude >= y0) & (self.latitude <= y1)
        if public_only:
            mask &= self.public
        return mask

    def page(self, mask: np.ndarray, limit: int, offset: int) -> bytes:
        """The JSON array of one page of the selected rows."""
        positions = np.flatnonzero(mask)[offset : offset + limit]
        return b"[" + b",".join(self.rows[i] for i in positions) + b"]"

    def counts(self, key: str, mask: np.ndarray) -> dict[object, tuple[int, int]]:
        """Events and deaths per value of `key` (admin1_code, priogrid_gid) among the rows."""
        codes, uniques = pd.factorize(pd.Series(self.columns[key][mask], dtype=object))
        chosen = self.deaths[mask]
        n = np.bincount(codes[codes >= 0], minlength=len(uniques))
        d = np.bincount(codes[codes >= 0], weights=chosen[codes >= 0], minlength=len(uniques))
        out: dict[object, tuple[int, int]] = {
            value: (int(n[i]), int(d[i])) for i, value in enumerate(uniques)
        }
        if (codes < 0).any():
            out[None] = (int((codes < 0).sum()), int(chosen[codes < 0].sum()))
        return out
