"""Claims against evidence: each claim of the standard story of a mission's exit, judged.

The claims live in a data file per mission (`data/claims/<MISSION>.csv`: the claim, the
measure that tests it, the verdict rule in words, the mission's period), so another mission
gets its own list. Each measure below computes its evidence from the store and applies the
rule the file states: supported, mixed, contradicted or not enough data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib import resources

import pandas as pd

from peacewatch import indicators
from peacewatch.report.i18n import ENGLISH, Lang
from peacewatch.report.judgements import ged_deaths
from peacewatch.store import Store

SUPPORTED, MIXED, CONTRADICTED, NO_DATA = "supported", "mixed", "contradicted", "not enough data"
STATE = ("state_forces", "foreign_state_forces", "foreign_private_military")
NON_STATE = ("jihadist", "signatory_armed_group", "communal_militia", "other", "unknown")


@dataclass(frozen=True)
class Context:
    """What a measure may read: the store, the country, the mission and its period."""

    store: Store
    country: str
    mission: str
    start: date
    end: date
    tracker: pd.DataFrame
    vacuum: pd.DataFrame
    lang: Lang = ENGLISH


@dataclass(frozen=True)
class Verdict:
    """A claim, its evidence and the verdict of its rule."""

    claim_id: str
    claim: str
    evidence: str
    verdict: str
    rule: str


def _deaths(
    ctx: Context, start: date | pd.Timestamp, end: date | pd.Timestamp, extra: str = ""
) -> int:
    return ged_deaths(ctx.store, ctx.country, start, end, extra)


def _change(new: float, old: float, rise: float = 0.25) -> str:
    if old == 0:
        return SUPPORTED if new > 0 else MIXED
    ratio = new / old
    if ratio >= 1 + rise:
        return SUPPORTED
    if ratio <= 1 - rise:
        return CONTRADICTED
    return MIXED


def un_deaths_rank(ctx: Context) -> tuple[str, str]:
    """The mission's rank by peacekeepers killed in malicious acts (UN fatalities file)."""
    rows = ctx.store.rows(
        "SELECT mission, count(*) FILTER (WHERE malicious) AS n FROM un_fatalities "
        "GROUP BY 1 ORDER BY 2 DESC, 1"
    )
    names, lang = [r[0] for r in rows], ctx.lang
    if ctx.mission not in names:
        return lang._("{mission} is not in the UN fatalities file.", mission=ctx.mission), NO_DATA
    rank = names.index(ctx.mission) + 1
    killed = dict(rows)[ctx.mission]
    verdict = SUPPORTED if rank == 1 else (MIXED if rank <= 3 else CONTRADICTED)
    return (
        lang._(
            "{killed} peacekeepers of {mission} killed in malicious acts: rank {rank} of "
            "{missions} missions in the UN fatalities file.",
            killed=lang.n(killed),
            mission=ctx.mission,
            rank=rank,
            missions=len(names),
        ),
        verdict,
    )


def coups_and_violence(ctx: Context) -> tuple[str, str]:
    """Successful coups in the mission period, and deaths 12 months after each against before."""
    days = [
        pd.Timestamp(r[0])
        for r in ctx.store.rows(
            "SELECT date FROM coups WHERE country_iso3 = ? AND successful "
            "AND date BETWEEN ? AND ? ORDER BY date",
            [ctx.country, ctx.start, ctx.end],
        )
    ]
    lang = ctx.lang
    if not days:
        return lang._("No successful coup during the mission (Powell & Thyne)."), CONTRADICTED
    parts, rose = [], False
    for day in days:
        before = _deaths(ctx, day - pd.DateOffset(years=1), day - pd.Timedelta(days=1))
        after = _deaths(ctx, day, day + pd.DateOffset(years=1) - pd.Timedelta(days=1))
        rose |= after > before
        parts.append(
            lang._(
                "{day}: {before} deaths in the year before, {after} after",
                day=lang.day(day),
                before=lang.n(before),
                after=lang.n(after),
            )
        )
    listed = "; ".join(parts)
    return lang._("Successful coups: {listed}.", listed=listed), SUPPORTED if rose else MIXED


def cooperation_trend(ctx: Context) -> tuple[str, str]:
    """Records of restrictions and hostile statements a year: the last two years against before."""
    frame, lang = ctx.tracker, ctx.lang
    if frame.empty or frame["events"].sum() < 3:
        n = int(frame["events"].sum()) if not frame.empty else 0
        return (
            lang._(
                "{count} records of restrictions, denials, expulsions or hostile statements.",
                count=lang.n(n),
            ),
            NO_DATA,
        )
    years = pd.to_datetime(frame["month"]).dt.year
    cut = ctx.end.year - 1
    recent = frame.loc[years >= cut, "events"].sum() / 2
    earlier_years = max(cut - ctx.start.year, 1)
    earlier = frame.loc[years < cut, "events"].sum() / earlier_years
    verdict = SUPPORTED if recent > earlier else (CONTRADICTED if recent < earlier else MIXED)
    return (
        lang._(
            "{recent} records a year in {first}-{last} against {earlier} a year before.",
            recent=lang.fixed(recent, 1),
            first=cut,
            last=ctx.end.year,
            earlier=lang.fixed(earlier, 1),
        ),
        verdict,
    )


def abuses_by_both(ctx: Context) -> tuple[str, str]:
    """Shares of deaths in one-sided violence by state (and allied) forces and by non-state."""
    rows = dict(
        ctx.store.rows(
            "SELECT actor1_category, sum(fatalities_best) FROM events WHERE source = 'ucdp_ged' "
            "AND country_iso3 = ? AND violence_type = 3 AND date_start BETWEEN ? AND ? "
            "GROUP BY 1",
            [ctx.country, ctx.start, ctx.end],
        )
    )
    total, lang = sum(rows.values()), ctx.lang
    if not total:
        return lang._("No one-sided violence recorded."), NO_DATA
    state = sum(v for k, v in rows.items() if k in STATE)
    other = total - state
    verdict = SUPPORTED if min(state, other) / total >= 0.10 else MIXED
    return (
        lang._(
            "Of {total} civilians killed in one-sided violence, {state} ({state_share}) by state "
            "and allied forces, {other} ({other_share}) by armed groups.",
            total=lang.n(total),
            state=lang.n(state),
            state_share=lang.pct(state / total),
            other=lang.n(other),
            other_share=lang.pct(other / total),
        ),
        verdict,
    )


def host_request(ctx: Context) -> tuple[str, str]:
    """A request to leave or a hostile statement by the host in the timeline."""
    frame = ctx.tracker
    hits = (
        frame[frame["kind"] == "hostile statement or request to leave"]
        if not frame.empty
        else frame
    )
    if hits.empty:
        return ctx.lang._("The timeline records no request to leave."), NO_DATA
    return str(hits["listed"].iloc[0]), SUPPORTED


def violence_trend(ctx: Context) -> tuple[str, str]:
    """Deaths in the mission's first three years against its last three."""
    first = _deaths(ctx, ctx.start, pd.Timestamp(ctx.start) + pd.DateOffset(years=3))
    last = _deaths(ctx, pd.Timestamp(ctx.end) - pd.DateOffset(years=3), ctx.end)
    return (
        ctx.lang._(
            "{first} deaths in the mission's first three years, {last} in its last three.",
            first=ctx.lang.n(first),
            last=ctx.lang.n(last),
        ),
        _change(last, first),
    )


def foreign_actor(ctx: Context) -> tuple[str, str]:
    """Civilians killed by state and foreign forces, a year before and after the first event."""
    row = ctx.store.row(
        "SELECT min(date_start) FROM events WHERE country_iso3 = ? AND "
        "'foreign_private_military' IN (actor1_category, coalesce(actor2_category, ''))",
        [ctx.country],
    )
    lang = ctx.lang
    if row is None or row[0] is None:
        return (
            lang._("No event involves a foreign private military actor in the loaded data."),
            NO_DATA,
        )
    first = pd.Timestamp(row[0])
    cats = ", ".join(f"'{c}'" for c in STATE)
    extra = f"AND violence_type = 3 AND actor1_category IN ({cats})"
    before = _deaths(ctx, first - pd.DateOffset(years=1), first - pd.Timedelta(days=1), extra)
    after = _deaths(ctx, first, first + pd.DateOffset(years=1) - pd.Timedelta(days=1), extra)
    verdict = SUPPORTED if _change(after, before) == SUPPORTED else MIXED
    return (
        lang._(
            "First event with a foreign private military actor: {day}. Civilians killed by state "
            "and foreign forces: {before} in the year before, {after} in the year after.",
            day=lang.day(first),
            before=lang.n(before),
            after=lang.n(after),
        ),
        verdict,
    )


def vacuum(ctx: Context) -> tuple[str, str]:
    """Deaths near vacated camps per camp-month, before and after the handovers."""
    frame, lang = ctx.vacuum, ctx.lang
    if frame.empty or "fatalities_after" not in frame:
        return lang._("No camp with a handover date and coordinates."), NO_DATA
    counted = frame.dropna(subset=["fatalities_after"])
    mean_days = counted["days_after_in_data"].mean()
    after = counted["fatalities_after"].sum() / max(counted["days_after_in_data"].sum(), 1) * 30
    before = counted["fatalities_182d_before"].sum() / (182 * len(counted)) * 30
    text = lang._(
        "Within 25 km of {camps} vacated camps: {after} deaths a camp-month after the handovers, "
        "{before} before; {days} days after a handover in the data on average.",
        camps=lang.n(len(counted)),
        after=lang.fixed(after, 1),
        before=lang.fixed(before, 1),
        days=lang.fixed(mean_days, 0),
    )
    if mean_days < 182:
        return text, NO_DATA
    return text, _change(after, before)


def humanitarian_trend(ctx: Context) -> tuple[str, str]:
    """Internally displaced people: the latest figure against the mission's last year."""
    rows = ctx.store.rows(
        "SELECT year, max(value) FROM humanitarian WHERE country_iso3 = ? AND indicator = 'idps' "
        "GROUP BY 1 ORDER BY 1",
        [ctx.country],
    )
    values, lang = dict(rows), ctx.lang
    base_year = ctx.end.year
    if not rows or base_year not in values or rows[-1][0] <= base_year:
        return lang._("No displacement figures for the withdrawal year and after."), NO_DATA
    latest_year, latest = rows[-1]
    return (
        lang._(
            "Internally displaced people: {base} in {base_year} (highest figure), {latest} in "
            "{latest_year}.",
            base=lang.fixed(values[base_year], 0),
            base_year=base_year,
            latest=lang.fixed(latest, 0),
            latest_year=latest_year,
        ),
        _change(latest, values[base_year], rise=0.10),
    )


def spillover(ctx: Context) -> tuple[str, str]:
    """Deaths in the other loaded countries: the mission's first three years against its last."""
    others = indicators.neighbours(ctx.store, ctx.country)
    lang = ctx.lang
    if not others:
        return lang._("No neighbouring country's events are loaded."), NO_DATA
    neighbours = tuple(others)
    start, end = pd.Timestamp(ctx.start), pd.Timestamp(ctx.end)
    first = ged_deaths(ctx.store, neighbours, start, start + pd.DateOffset(years=3))
    last = ged_deaths(ctx.store, neighbours, end - pd.DateOffset(years=3), end)
    return (
        lang._(
            "Deaths in {countries}: {first} in the mission's first three years, {last} in its "
            "last three.",
            countries=", ".join(others),
            first=lang.n(first),
            last=lang.n(last),
        ),
        _change(last, first),
    )


MEASURES: dict[str, Callable[[Context], tuple[str, str]]] = {
    f.__name__: f
    for f in (
        un_deaths_rank,
        coups_and_violence,
        cooperation_trend,
        abuses_by_both,
        host_request,
        violence_trend,
        foreign_actor,
        vacuum,
        humanitarian_trend,
        spillover,
    )
}


def _in(row: dict, column: str, lang: Lang) -> str:
    """The column in the report's language where the file has it, else in English."""
    local = row.get(f"{column}_{lang.code}")
    return local if isinstance(local, str) and local else str(row[column])


def claims_file(mission: str) -> pd.DataFrame | None:
    """The mission's claims (None if it has no claims file)."""
    path = resources.files("peacewatch.data").joinpath("claims", f"{mission}.csv")
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str)


def judge(
    store: Store,
    country: str,
    mission: str,
    tracker: pd.DataFrame,
    vacuum_table: pd.DataFrame,
    lang: Lang = ENGLISH,
) -> list[Verdict]:
    """Every claim of the mission's file with its evidence and verdict (empty: no file).

    The claim and the rule are read in the report's language where the file has them
    (`claim_fr`, `rule_fr`); the evidence is written by the measure in that language.
    """
    claims = claims_file(mission)
    if claims is None:
        return []
    out = []
    for row in claims.to_dict("records"):
        ctx = Context(
            store,
            country,
            mission,
            date.fromisoformat(row["mission_start"]),
            date.fromisoformat(row["mission_end"]),
            tracker,
            vacuum_table,
            lang,
        )
        evidence, verdict = MEASURES[row["measure"]](ctx)
        out.append(
            Verdict(
                row["claim_id"],
                _in(row, "claim", lang),
                evidence,
                verdict,
                _in(row, "rule", lang),
            )
        )
    return out
