"""`peacewatch ...`: the command line. It wires the stages; nothing imports it."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from peacewatch import __version__, lazy
from peacewatch.analysis.rules import Rules
from peacewatch.dates import parse_date
from peacewatch.errors import PeacewatchError, RowError, StoreError
from peacewatch.schema import CATEGORIES, SOURCES
from peacewatch.settings import Settings, is_store_url, limit_blas_threads

if TYPE_CHECKING:
    import pandas as pd

    from peacewatch import (
        accounts,
        api,
        countries,
        export,
        indicators,
        loading,
        missions,
        notify,
        panel,
        vintages,
    )
    from peacewatch import store as storage
    from peacewatch.analysis import alerts
    from peacewatch.analysis import impact as impact_analysis
    from peacewatch.forecast import outlook, protocol, selection, views
    from peacewatch.loading import LoadReport
    from peacewatch.report import backtest as backtest_report
    from peacewatch.report import briefing, i18n
    from peacewatch.report import impact as impact_report
    from peacewatch.sources import acled_api, ucdp
    from peacewatch.sources import base as sources_base
    from peacewatch.sources.base import LoadOptions
    from peacewatch.store import Store
else:
    # Before numpy loads (the stages are lazy): BLAS threads as PEACEWATCH_BLAS_THREADS says.
    try:
        limit_blas_threads()
    except PeacewatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    # The stages are imported when a command first uses them: `peacewatch --help` loads none.
    pd = lazy.module("pandas")
    accounts = lazy.module("peacewatch.accounts")
    api = lazy.module("peacewatch.api")
    export = lazy.module("peacewatch.export")
    indicators = lazy.module("peacewatch.indicators")
    notify = lazy.module("peacewatch.notify")
    panel = lazy.module("peacewatch.panel")
    vintages = lazy.module("peacewatch.vintages")
    alerts = lazy.module("peacewatch.analysis.alerts")
    impact_analysis = lazy.module("peacewatch.analysis.impact")
    countries = lazy.module("peacewatch.countries")
    outlook = lazy.module("peacewatch.forecast.outlook")
    protocol = lazy.module("peacewatch.forecast.protocol")
    selection = lazy.module("peacewatch.forecast.selection")
    views = lazy.module("peacewatch.forecast.views")
    loading = lazy.module("peacewatch.loading")
    missions = lazy.module("peacewatch.missions")
    backtest_report = lazy.module("peacewatch.report.backtest")
    briefing = lazy.module("peacewatch.report.briefing")
    i18n = lazy.module("peacewatch.report.i18n")
    impact_report = lazy.module("peacewatch.report.impact")
    acled_api = lazy.module("peacewatch.sources.acled_api")
    ucdp = lazy.module("peacewatch.sources.ucdp")
    sources_base = lazy.module("peacewatch.sources.base")
    storage = lazy.module("peacewatch.store")

app = typer.Typer(
    help="peacewatch: load conflict-event evidence about a peace operation's country into one "
    "store, and query and export it. Settings: PEACEWATCH_STORE (default ./peacewatch.duckdb), "
    "PEACEWATCH_SHARED (default ../shared).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

STEPS = ("hashing", "reading", "validating", "enriching", "comparing", "writing")


def _settings() -> Settings:
    return Settings.from_env()


@contextmanager
def _store(path: Path | str | None, read_only: bool = False) -> Iterator[Store]:
    settings = _settings()
    store = storage.Store.open(
        path or settings.store_location, read_only=read_only, memory_limit=settings.memory_limit
    )
    try:
        yield store
    finally:
        store.close()


def _fail(exc: Exception) -> None:
    err.print(f"[red]error:[/red] {exc}", highlight=False)
    raise typer.Exit(2)


StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Store file, or a postgresql://user@host:port/db URL (default: PEACEWATCH_STORE).",
    ),
]
# Every command that takes one country takes it as --country; brief, forecast and indicators
# also as their first argument (`peacewatch brief NER`).
CountryOpt = Annotated[
    str | None, typer.Option("--country", help="ISO3 code of the country.", show_default=False)
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Compute with the releases known at the end of this day (YYYY-MM-DD): what did "
        "we know then.",
    ),
]
ReleaseOpt = Annotated[
    str | None,
    typer.Option(
        "--release", help="Compute with what was known when this release came out (e.g. 23.1)."
    ),
]


@contextmanager
def _vintage(st: Store, as_of: str | None, release: str | None) -> Iterator[Store]:
    """The store as of a date or a release (the current store if neither); says which."""
    try:
        cut = vintages.cut_for(st, parse_date(as_of, "as-of"), release)
    except ValueError as exc:
        raise PeacewatchError(f"as-of: {exc}") from None
    if cut != vintages.CURRENT:
        err.print(f"[dim]{cut.label}: releases known by {cut.known:%Y-%m-%d %H:%M}[/dim]")
    view = vintages.as_of(st, cut)
    try:
        yield view
    finally:
        if view is not st:
            view.close()


def _print_report(report: LoadReport) -> None:
    name = Path(report.file).name
    if report.already_loaded:
        out.print(
            f"[bold]{report.source}[/bold] {name}: already loaded (load {report.load_id}); "
            f"nothing changed ({report.unchanged} rows unchanged)",
            highlight=False,
        )
    else:
        out.print(
            f"[bold]{report.source}[/bold] {name} -> {report.target} (load {report.load_id}, "
            f"{report.layout}, release {report.release}): read {report.rows_read}, "
            f"loaded {report.rows_loaded}, rejected {report.rows_rejected}, "
            f"warnings {report.rows_warned}; added {report.added}, updated {report.updated}, "
            f"removed {report.removed}, unchanged {report.unchanged} "
            f"[dim]({report.seconds:.1f} s)[/dim]",
            highlight=False,
        )
    if report.periods and not report.already_loaded:
        out.print(
            f"  scope: {'; '.join(report.periods)}; known from {report.known_at[:10]}"
            + (f"; superseded {report.superseded} provisional rows" if report.superseded else "")
            + (
                f"; {report.not_current} rows kept as a vintage only (a newer or final "
                "release covers them)"
                if report.not_current
                else ""
            ),
            highlight=False,
        )
    if report.target == "events":
        out.print(
            f"  admin-1 not found for {report.admin1_unassigned} events with coordinates; "
            f"{report.actor_unknown} events have an actor of category 'unknown' "
            "(see `peacewatch actors --unknown`)",
            highlight=False,
        )
    for reject in report.rejects[:3]:
        err_text = RowError(name, reject.row, reject.field, reject.value, reject.reason)
        out.print(f"  rejected: {err_text}", highlight=False)
    for kind in ("rejects", "warnings"):
        path = getattr(report, f"{kind}_path")
        if path:
            out.print(f"  {kind}: {path}", highlight=False)
    if report.summary_path:
        out.print(f"  summary: {report.summary_path}", highlight=False)


def _progress(*counts: TextColumn) -> Progress:
    """The progress bar of long commands, on stderr and only on a terminal.

    `counts`: columns shown between the bar and the elapsed time (e.g. jobs done / total).
    """
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        *counts,
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _load_with_progress(
    store: Store, source: str, path: Path, options: LoadOptions, report_dir: Path
) -> LoadReport:
    with _progress() as progress:
        task = progress.add_task(f"{source} {path.name}", total=len(STEPS))

        def step(name: str) -> None:
            done = STEPS.index(name) if name in STEPS else 0
            progress.update(task, completed=done, description=f"{source} {path.name}: {name}")

        report = loading.load_file(store, source, path, options, report_dir=report_dir, step=step)
        progress.update(task, completed=len(STEPS))
    return report


@app.command()
def load(
    source: Annotated[str, typer.Argument(help=f"One of: {', '.join(sorted(SOURCES))}.")],
    path: Annotated[
        Path | None, typer.Argument(help="File to load (CSV, CSV.GZ, JSON, GeoJSON).")
    ] = None,
    release: Annotated[
        str | None,
        typer.Option(help="Release / version of the data (default: read from the file)."),
    ] = None,
    released: Annotated[
        str | None,
        typer.Option(
            help="When the release was published (YYYY-MM-DD); orders vintages (default: from "
            "the release, e.g. GED 24.1 -> 2024-06-30, Candidate 24.0.3 -> 2024-04-30; else "
            "the load time)."
        ),
    ] = None,
    country: Annotated[
        str | None,
        typer.Option(help="ISO3 country of a reference table, or of an ACLED API sync."),
    ] = None,
    mission: Annotated[str | None, typer.Option(help="Mission of a camps table.")] = None,
    from_api: Annotated[
        bool,
        typer.Option(
            "--api",
            help="acled only: sync --country from the ACLED API (OAuth; credentials from "
            "ACLED_EMAIL / ACLED_PASSWORD or the keyring; PEACEWATCH_ACLED_API_URL).",
        ),
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(
            help="--api: rows changed since this date (YYYY-MM-DD; default: the latest ACLED "
            "timestamp stored for the country, or everything)."
        ),
    ] = None,
    download: Annotated[
        str | None,
        typer.Option(
            help="ucdp-ged only: fetch the official GED zip of this version (e.g. 24.1) into the "
            "cache (PEACEWATCH_CACHE) and load it."
        ),
    ] = None,
    report_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder for the summary, rejects and warnings files "
            "(default: PEACEWATCH_REPORT_DIR or ./peacewatch-loads)."
        ),
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Load one file into the store: one transaction; loading it again changes nothing."""
    settings = _settings()
    try:
        if download:
            if source != "ucdp-ged":
                raise PeacewatchError("--download works with ucdp-ged only")
            err.print(f"downloading GED {download} from {settings.ucdp_download_url} ...")
            path = ucdp.download(download, settings.ucdp_download_url, settings.cache)
            release = release or download
        if from_api:
            _sync_acled(source, country, since, store, report_dir or settings.report_dir)
            return
        if path is None:
            raise PeacewatchError("give a PATH to load (or --download VERSION for ucdp-ged)")
        with _store(store) as st:
            report = _load_with_progress(
                st,
                source,
                path,
                sources_base.LoadOptions(
                    release, country, mission, parse_date(released, "released")
                ),
                report_dir or settings.report_dir,
            )
        _print_report(report)
    except PeacewatchError as exc:
        _fail(exc)


def _sync_acled(
    source: str, country: str | None, since: str | None, store: str | None, report_dir: Path
) -> None:
    """`load acled --api`: fetch every page into a snapshot file, then load it in one go."""
    if source != "acled":
        raise PeacewatchError("--api works with acled only")
    if not country:
        raise PeacewatchError("--api needs --country ISO3 (the country to sync)")
    table = countries.country_table()
    hit = table[table["iso3"] == country.upper()].dropna(subset=["iso_numeric"])
    if hit.empty:
        raise PeacewatchError(f"country: {country!r} is not an ISO3 code")
    settings = _settings()
    creds = acled_api.credentials()
    with _store(store) as st:
        start = parse_date(since, "since")
        cursor = (
            int(datetime.combine(start, datetime.min.time(), UTC).timestamp())
            if start
            else api.acled_last_timestamp(st, country)
        )
        err.print(
            f"ACLED API {settings.acled_api_url}: {country.upper()}, "
            + (
                f"rows changed since {datetime.fromtimestamp(cursor, UTC):%Y-%m-%d %H:%M} UTC"
                if cursor is not None
                else "every row"
            )
        )
        with (
            acled_api.AcledClient(settings.acled_api_url, creds) as client,
            err.status("fetching pages ...") as status,
        ):
            snapshot = acled_api.fetch_snapshot(
                client,
                country.upper(),
                int(hit["iso_numeric"].iloc[0]),
                cursor,
                settings.cache / "acled",
                lambda n: status.update(f"fetched {n} rows ..."),
            )
        report = _load_with_progress(
            st, "acled-api", snapshot, sources_base.LoadOptions(), report_dir
        )
    _print_report(report)
    out.print(
        f"  ACLED API: {report.rows_loaded} rows fetched; deletions applied: {report.deleted}; "
        f"snapshot {snapshot}",
        highlight=False,
    )


def manifest() -> pd.DataFrame:
    """The list of real files in shared/data that `load-shared` loads, with their options."""
    with resources.files("peacewatch.data").joinpath("shared_manifest.csv").open() as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@app.command("load-shared")
def load_shared(
    countries: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated ISO3 codes whose files to load ('*' rows are always loaded; "
            "default: every country of the manifest)."
        ),
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Load every real dataset in PEACEWATCH_SHARED/data for these countries (the main job)."""
    settings = _settings()
    listed = manifest()
    known = sorted(set(listed["countries"]) - {"*"})
    wanted = {c.strip().upper() for c in (countries or ",".join(known)).split(",") if c.strip()}
    rows = [
        {k: str(v) for k, v in r.items()}
        for r in listed.to_dict("records")
        if r["countries"] == "*" or r["countries"] in wanted
    ]
    try:
        unknown = sorted(wanted - set(known))
        if unknown:
            raise PeacewatchError(
                f"countries: no files for {', '.join(unknown)} in the shared manifest; it has "
                f"files for {', '.join(known)}"
            )
        with _store(store) as st:
            for r in rows:
                path = settings.data / r["path"]
                options = sources_base.LoadOptions(
                    r["release"] or None, r["country"] or None, r["mission"] or None
                )
                report = _load_with_progress(st, r["loader"], path, options, settings.report_dir)
                _print_report(report)
    except PeacewatchError as exc:
        _fail(exc)


def _require_country(st: Store, country: str | None) -> None:
    """A clear error for a country (or list) the store has no events for, naming those it has."""
    if not country:
        return
    have = {
        r[0]
        for r in st.rows("SELECT DISTINCT country_iso3 FROM events WHERE country_iso3 IS NOT NULL")
    }
    asked = panel.country_codes(country)
    missing = [c for c in asked if c not in have]
    if missing:
        raise PeacewatchError(
            f"country: no events for {', '.join(missing)} in the store; it has events for "
            f"{', '.join(sorted(have)) or 'no country yet (peacewatch load ...)'}"
        )


def _cell(value: object) -> str:
    """A table cell: empty for missing, a date without its midnight time."""
    if value is None or (isinstance(value, float | pd.Timestamp) and pd.isna(value)):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()
    return str(value)


def _width() -> int | None:
    """Table width: COLUMNS when set (read now, not at import), wide when piped to a file."""
    given = os.environ.get("COLUMNS", "")
    if given.isdigit():
        return int(given)
    return None if out.is_terminal else 160


def _print_frame(frame: pd.DataFrame, title: str) -> None:
    table = Table(title=title, show_lines=False)
    for i, col in enumerate(frame.columns):
        # A short first column (names) stays whole; long ones, numbers and headers fold.
        short = i == 0 and frame[col].astype(str).str.len().max() <= 40
        table.add_column(str(col), overflow="fold", no_wrap=bool(short))
    for row in frame.itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    width = _width()
    if width is not None:
        out.width = width  # Console.print(width=) can only narrow
    out.print(table)


def _print_sources(store: Store) -> None:
    frame = api.sources(store)
    out.print("[bold]Sources loaded[/bold]")
    for r in frame.itertuples(index=False):
        out.print(
            f"  {r.source} -> {r.table}: {r.rows} rows; release {r.releases}; "
            f"files {r.files}; last load {str(r.last_loaded_at)[:19]} "
            f"(sha256 {r.last_sha256}...)",
            highlight=False,
        )


@app.command()
def summary(
    country: Annotated[str | None, typer.Option(help="ISO3 code (default: all).")] = None,
    store: StoreOpt = None,
) -> None:
    """Events and fatalities per source and year, UN fatalities per year, sources loaded."""
    try:
        with _store(store, read_only=True) as st:
            _require_country(st, country)
            _print_frame(api.summary(st, country), "Events per source and year")
            hosted = missions.missions_of(country)
            if hosted:
                _print_frame(
                    api.un_fatalities_by_year(st, hosted),
                    f"UN peacekeeper fatalities ({', '.join(hosted)})",
                )
            _print_sources(st)
    except PeacewatchError as exc:
        _fail(exc)


@app.command()
def sources(store: StoreOpt = None) -> None:
    """What is loaded, with provenance (files, sha256, releases, last load)."""
    try:
        with _store(store, read_only=True) as st:
            _print_sources(st)
    except PeacewatchError as exc:
        _fail(exc)


@app.command()
def loads(store: StoreOpt = None) -> None:
    """Every load: file, sha256, release, time, rows read / loaded / rejected, changes."""
    try:
        with _store(store, read_only=True) as st:
            frame = api.loads(st)[
                [
                    "load_id",
                    "source",
                    "target",
                    "file_name",
                    "release",
                    "loaded_at",
                    "rows_read",
                    "rows_loaded",
                    "rows_rejected",
                    "added",
                    "updated",
                    "removed",
                ]
            ]
            _print_frame(frame, "Loads")
    except PeacewatchError as exc:
        _fail(exc)


@app.command()
def actors(
    unknown: Annotated[
        bool, typer.Option("--unknown", help="Only actors of category unknown.")
    ] = False,
    country: Annotated[
        str | None,
        typer.Option(
            help="Show the crosswalk of this country: each actor with the names every source "
            "gives it, their periods (Ansar Dine -> JNIM from 2017), events and deaths."
        ),
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Actor names in the store with their category (curated table + rules)."""
    try:
        with _store(store, read_only=True) as st:
            if country:
                _require_country(st, country)
                _print_frame(api.actor_crosswalk(st, country.upper()), f"Actors of {country}")
                return
            _print_frame(api.actor_table(st, unknown), "Actors")
    except PeacewatchError as exc:
        _fail(exc)


@app.command()
def events(
    country: Annotated[str | None, typer.Option(help="ISO3 code(s), comma-separated.")] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="First date (YYYY-MM-DD).")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last date (YYYY-MM-DD).")] = None,
    category: Annotated[str | None, typer.Option(help=f"One of: {', '.join(CATEGORIES)}.")] = None,
    source: Annotated[str | None, typer.Option(help="ucdp_ged, acled, ...")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv, geojson or parquet.")] = "csv",
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Output file (default: stdout).")
    ] = None,
    hxl: Annotated[bool, typer.Option("--hxl", help="CSV: add the HXL hashtag row.")] = False,
    as_of: AsOfOpt = None,
    release: ReleaseOpt = None,
    store: StoreOpt = None,
) -> None:
    """Export events in the common record (field names as in DESIGN.md)."""
    try:
        with _store(store, read_only=True) as st, _vintage(st, as_of, release) as view:
            _require_country(st, country)
            frame = api.events(view, country, date_from, date_to, category, source)
            restricted = int((~frame["licence"].str.contains("CC BY", na=False)).sum())
            export.export(frame, fmt, out_path, hxl)
        if out_path is not None:
            err.print(f"wrote {len(frame)} events to {out_path}")
        if restricted:
            err.print(
                f"[yellow]note:[/yellow] {restricted} rows come from sources whose terms forbid "
                "passing raw rows on (ACLED): keep this file private; publish aggregates only, "
                "with attribution."
            )
    except PeacewatchError as exc:
        _fail(exc)


@app.command("panel")
def panel_cmd(
    unit: Annotated[str, typer.Option(help="country, admin1, priogrid or site:<km>.")],
    country: Annotated[
        str, typer.Option(help="ISO3 code, or several for one panel: BFA,NER,TCD.")
    ] = "",
    bbox: Annotated[
        str | None,
        typer.Option(
            help="Only events in this box, W,S,E,N in degrees (e.g. -12,9.5,4,24.5); with "
            "--unit priogrid every cell of it. --country may then be left out."
        ),
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="First date (YYYY-MM-DD).")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last date (YYYY-MM-DD).")] = None,
    source: Annotated[
        str,
        typer.Option(help="Event source: ucdp_ged, ucdp_candidate, ucdp (both), acled, incident."),
    ] = "ucdp_ged",
    actor: Annotated[
        str | None,
        typer.Option(
            help="Only events involving this actor, one actor across sources (e.g. JNIM: "
            "`peacewatch actors --country X` lists them)."
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Output file (default: stdout).")
    ] = None,
    as_of: AsOfOpt = None,
    release: ReleaseOpt = None,
    engine: Annotated[
        str,
        typer.Option(
            help="store (the store's own engine) or spark: the panel built by Spark "
            "(PEACEWATCH_SPARK_MASTER, default local[2]) from the store's events."
        ),
    ] = "store",
    store: StoreOpt = None,
) -> None:
    """A balanced unit x month panel (zeros where nothing happened), built in the store.

    Says on stderr which months come from which release.
    """
    try:
        export.check(fmt, out_path, formats=export.CHUNKED_FORMATS)
        if engine not in ("store", "spark"):
            raise PeacewatchError(f"engine: {engine!r} is not store or spark")
        with _store(store, read_only=True) as st, _vintage(st, as_of, release) as view:
            if engine == "spark":
                frame = _spark_panel(view, unit, country, date_from, date_to, source, actor, bbox)
                frames = iter([frame])
            else:
                # Written in slices of whole units: DuckDB works within PEACEWATCH_MEMORY_LIMIT,
                # each slice within a quarter of it (smaller slices reuse freed pages: faster).
                spec = panel.spec_for(
                    view, unit, country, date_from, date_to, source, (), actor, bbox
                )
                frames = panel.chunks(view, spec, Settings.from_env().memory_bytes // 4)
            shape = {"units": 0, "months": 0}
            rows, _ = export.export_chunks(_counted(frames, shape), fmt, out_path)
            _print_coverage(view, country, source)
        if out_path is not None:
            err.print(
                f"wrote {rows} rows ({shape['units']} units x {shape['months']} months) "
                f"to {out_path}"
            )
    except PeacewatchError as exc:
        _fail(exc)


def _counted(frames: Iterator[pd.DataFrame], shape: dict[str, int]) -> Iterator[pd.DataFrame]:
    """Pass the panel's slices through, counting its units and months (slices of whole units)."""
    for frame in frames:
        shape["units"] += frame["unit"].nunique()
        shape["months"] = max(shape["months"], frame["month"].nunique())
        yield frame


def _spark_panel(
    st: Store,
    unit: str,
    country: str,
    date_from: str | None,
    date_to: str | None,
    source: str,
    actor: str | None,
    bbox: str | None,
) -> pd.DataFrame:
    """The panel built by Spark from a Parquet copy of the store's tables (ADR 027)."""
    import tempfile  # noqa: PLC0415

    from peacewatch.sparkstore import SparkStore  # noqa: PLC0415 - Spark only when asked

    codes = panel.country_codes(country.upper())
    keep = (
        "true"
        if unit.startswith("site") or not codes
        else ("country_iso3 IN (" + ", ".join(f"'{c}'" for c in codes if c.isalpha()) + ")")
    )
    with tempfile.TemporaryDirectory() as tmp:
        spark_store = SparkStore.from_store(st, Path(tmp), where=keep)
        try:
            return panel.panel(
                spark_store, unit, country, date_from, date_to, source, (), actor, bbox
            )
        finally:
            spark_store.spark.stop()


def _print_coverage(st: Store, country: str, source: str | None = None) -> None:
    """Which months of the country (or each of `BFA,NER`) come from which release (stderr)."""
    codes = panel.country_codes(country)
    for code in codes:
        cov = vintages.coverage(st, code)
        wanted = cov if source in ("ucdp", None) else cov[cov["source"] == source]
        for row in wanted.itertuples():
            err.print(
                f"[dim]{code if len(codes) > 1 else ''}{' ' if len(codes) > 1 else ''}"
                f"{row.source} {row.release}: {row.first_month}..{row.last_month} "
                f"({row.months} months, {row.events} events, load {row.load_id})[/dim]",
                highlight=False,
            )


@app.command("indicators")
def indicators_cmd(
    country: Annotated[
        str | None, typer.Argument(help="ISO3 code of the country (or --country).")
    ] = None,
    country_opt: CountryOpt = None,
    name: Annotated[
        str | None, typer.Option(help="One indicator (default: list them all).")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="First date (YYYY-MM-DD).")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last date (YYYY-MM-DD).")] = None,
    show_query: Annotated[bool, typer.Option("--query", help="Print the query too.")] = False,
    as_of: AsOfOpt = None,
    release: ReleaseOpt = None,
    store: StoreOpt = None,
) -> None:
    """List the indicators, or compute one for a country (with its sources and query)."""
    country = _the_country(country, country_opt)
    try:
        with _store(store, read_only=True) as base, _vintage(base, as_of, release) as st:
            _require_country(st, country)
            if name is None:
                for ind in indicators.REGISTRY.values():
                    out.print(
                        f"[bold]{ind.name}[/bold] ({ind.dimension}): {ind.title}", highlight=False
                    )
                return
            first, last = panel.default_range(st, country.upper())
            result = indicators.compute(st, name, country, date_from or first, date_to or last)
            _print_frame(result.frame, result.indicator.title)
            out.print("Sources: " + "; ".join(result.provenance), highlight=False)
            _print_coverage(st, country)
            if show_query:
                out.print(result.query, highlight=False)
    except PeacewatchError as exc:
        _fail(exc)


@app.command()
def brief(
    country: Annotated[
        str | None, typer.Argument(help="ISO3 code of the country (or --country).")
    ] = None,
    country_opt: CountryOpt = None,
    out_path: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path(
        "brief.html"
    ),
    pdf: Annotated[Path | None, typer.Option(help="Also write this PDF.")] = None,
    date_from: Annotated[
        str | None,
        typer.Option("--from", help="First date (YYYY-MM-DD); default: the timeline's first year."),
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last date (YYYY-MM-DD).")] = None,
    public: Annotated[
        bool,
        typer.Option(
            "--public",
            help="For publication: leave out raw rows of sources whose terms forbid passing "
            "them on (ACLED); aggregates stay.",
        ),
    ] = False,
    lang: Annotated[
        str,
        typer.Option(
            "--lang",
            help="Language of the briefing: en or fr (sentences, headings, labels, charts; "
            "numbers and dates in its conventions).",
        ),
    ] = "en",
    store: StoreOpt = None,
) -> None:
    """Write the country briefing: self-contained HTML (and PDF), every figure traceable."""
    country = _the_country(country, country_opt)
    try:
        i18n.get(lang)  # an unknown language fails before any work
        with (
            _store(store, read_only=True) as st,
            _progress() as progress,
        ):
            steps = briefing.STEPS if pdf else briefing.STEPS[:-1]
            task = progress.add_task(f"briefing {country}", total=len(steps))
            started = time.perf_counter()

            def step(name: str) -> None:
                done = steps.index(name) if name in steps else 0
                progress.update(task, completed=done, description=f"briefing {country}: {name}")
                if not err.is_terminal:  # a log, not a terminal: one line per section
                    elapsed = time.perf_counter() - started
                    err.print(f"briefing {country}: {name} ({elapsed:.0f} s)", highlight=False)

            briefing.write(st, country, out_path, pdf, date_from, date_to, step, not public, lang)
        out.print(f"wrote {out_path}" + (f" and {pdf}" if pdf else ""), highlight=False)
    except PeacewatchError as exc:
        _fail(exc)


@app.command()
def impact(
    country: Annotated[str, typer.Option(help="ISO3 code.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for tables, charts, summary.")],
    sites: Annotated[str, typer.Option(help="Which sites: camps (the camps table).")] = "camps",
    radius: Annotated[str, typer.Option(help="Radii in km, comma-separated.")] = "25,50,100",
    before: Annotated[int, typer.Option(help="Months before handover in the window.")] = 12,
    after: Annotated[int, typer.Option(help="Months after handover in the window.")] = 6,
    outcome: Annotated[
        str, typer.Option(help="fatalities_best, events or civilian_fatalities.")
    ] = "fatalities_best",
    replications: Annotated[int, typer.Option(help="Bootstrap draws.")] = 999,
    store: StoreOpt = None,
) -> None:
    """Did violence change where the mission left? Event study around camp handovers."""
    try:
        if sites != "camps":
            raise PeacewatchError("--sites: only 'camps' (the camps table) is supported")
        try:
            radii = tuple(float(r) for r in radius.split(","))
        except ValueError:
            raise PeacewatchError(f"--radius: {radius!r} is not a list of numbers") from None
        if before < 1 or after < 0 or any(r <= 0 for r in radii):
            raise PeacewatchError("--before must be >= 1, --after >= 0, radii > 0")
        spec = impact_analysis.ImpactSpec(
            country.upper(), radii, before, after, outcome, replications
        )
        with _store(store, read_only=True) as st, err.status("estimating ..."):
            result = impact_analysis.run(st, spec)
            files = impact_report.write_outputs(st, result, out_dir)
        for line in impact_report.summary_lines(result):
            out.print(f"- {line}", highlight=False)
        out.print(f"wrote {len(files)} files to {out_dir}", highlight=False)
    except PeacewatchError as exc:
        _fail(exc)


def _the_country(positional: str | None, option: str | None) -> str:
    """The country of a command: as its first argument or as --country (the same everywhere)."""
    if positional and option and positional.upper() != option.upper():
        raise typer.BadParameter(f"two countries given: {positional} and --country {option}")
    given = positional or option
    if not given:
        raise typer.BadParameter("give the country: ISO3 as the first argument or --country")
    return given.upper()


def _countries_or_all(st: Store, given: str | None) -> list[str]:
    """The ISO3 codes given, or every country with UCDP GED events in the store."""
    if given:
        return [c.strip().upper() for c in given.split(",") if c.strip()]
    rows = st.rows(
        "SELECT DISTINCT country_iso3 FROM events WHERE source = 'ucdp_ged' "
        "AND country_iso3 IS NOT NULL ORDER BY 1"
    )
    if not rows:
        raise PeacewatchError("no UCDP GED events in the store: load a GED file first")
    return [r[0] for r in rows]


def _withdrawal_month(st: Store, country: str) -> str:
    """The month of the first withdrawal event of the country's timeline (the scenario's cut)."""
    day = panel.first_withdrawal(st, country.upper())
    if day is None:
        raise PeacewatchError(
            f"--removed-from: the timeline of {country.upper()} has no withdrawal event; give "
            "the first month without UN presence (YYYY-MM-01)"
        )
    return f"{day:%Y-%m}-01"


@app.command("backtest")
def backtest_cmd(
    country: Annotated[
        str | None,
        typer.Option(
            help="ISO3 codes, comma-separated (default: every country with UCDP GED events in "
            "the store)."
        ),
    ] = None,
    unit: Annotated[
        str,
        typer.Option(help="country, admin1 or priogrid (0.5 degree cells, spatial lags)."),
    ] = "country",
    target: Annotated[str, typer.Option(help="sb, ns or os (UCDP violence type).")] = "sb",
    validation_years: Annotated[
        int | None,
        typer.Option(
            help="Years before each test year on which the configuration is chosen (months "
            "up to the test origin only; default: selection.VALIDATION_YEARS, 4).",
            min=1,
        ),
    ] = None,
    years: Annotated[
        str, typer.Option(help="Forecast years (yearly: origin October of the year before).")
    ] = "2018-2023",
    jobs: Annotated[
        int,
        typer.Option(
            help="Processes for the (model, origin) jobs (joblib); a Dask cluster is used "
            "instead when PEACEWATCH_DASK_SCHEDULER is set."
        ),
    ] = 1,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for the tables.")] = None,
    compare_views: Annotated[
        bool,
        typer.Option(
            "--views",
            help="Also compare with VIEWS' mid-2020 forecasts (Brier for P(>= 25)), from "
            "PEACEWATCH_SHARED/data/views_forecasts.",
        ),
    ] = False,
    as_of: AsOfOpt = None,
    release: ReleaseOpt = None,
    store: StoreOpt = None,
) -> None:
    """Backtest with the VIEWS challenge protocol, every choice made by validation.

    Each test year Y (origin October of Y-1, forecasts January-December of Y): every candidate
    configuration is scored on the validation years before Y, and each country gets the one
    with the lowest mean CRPS there (the model `selected`), then the recalibration of that
    choice with the lowest CRPS on the same months (`calibrated`). Prints the choices, every
    model per country, per country and year, and pooled, the block-bootstrap intervals of
    `selected` and `calibrated` against conflictology-12 and zero, and the goals of issue 15
    met or not (ADR 023, ADR 024).
    """
    try:
        with (
            _store(store, read_only=True) as base,
            _vintage(base, as_of, release) as st,
            _progress(TextColumn("{task.completed}/{task.total} jobs")) as bar,
        ):
            countries = _countries_or_all(st, country)
            task = bar.add_task(f"backtest {unit}-month", total=None)
            tables = protocol.run(
                st,
                countries,
                unit,
                target,
                years=_years(years),
                n_jobs=jobs,
                validation_years=validation_years or selection.VALIDATION_YEARS,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        _print_backtest(
            tables,
            f"{years}, {unit}-month, {target}",
            validation_years or selection.VALIDATION_YEARS,
        )
        if compare_views:
            folder = _settings().data / "views_forecasts"
            with _store(store, read_only=True) as st:
                peer = views.compare(
                    st,
                    folder / "views_ensemble_cm_2020.csv",
                    folder / "views_countries_africa.csv",
                    tuple(countries),
                )
            tables["views_comparison"] = peer
            _print_frame(peer.round(3), "Brier for P(>= 25), 2020-06..2023-07, data to May 2020")
        if out_dir is not None:
            written = backtest_report.write(tables, out_dir)
            out.print(f"wrote {len(written)} tables and plots to {out_dir}", highlight=False)
    except PeacewatchError as exc:
        _fail(exc)


SCORES = ["crps", "ignorance", "interval_score_90", "pit_coverage_90", "coverage_90", "level_ratio"]


def _print_backtest(tables: dict[str, pd.DataFrame], title: str, validation_years: int) -> None:
    """The protocol's tables in the terminal: choices, per country and year, pooled, goals."""
    chosen = tables["selected"][["country", "year", "selected", "validation_crps"]]
    if not tables["calibrated"].empty:
        chosen = chosen.merge(tables["calibrated"][["country", "year", "calibration"]], how="left")
    if not tables["stacked"].empty:
        chosen = chosen.merge(tables["stacked"][["country", "year", "stacked"]], how="left")
    _print_frame(
        chosen.round(3),
        f"Chosen by validation: lowest mean CRPS over the {validation_years} years before each "
        "test year (months up to its origin)",
    )
    by_country = tables["by_country"].sort_values(["country", "crps"])
    _print_frame(
        by_country[["country", "model", *SCORES]].round(3), f"Backtest {title}, per country"
    )
    yearly = tables["by_country_year"].sort_values(["country", "year", "crps"])
    _print_frame(
        yearly[["country", "year", "model", *SCORES, "config"]].round(3),
        "Per country and test year (config: what `selected` used)",
    )
    pooled = tables["by_model"].sort_values("crps")
    _print_frame(pooled[["model", *SCORES, "brier_25"]].round(3), "Pooled over the countries")
    out.print(f"data: {tables['by_model']['data_release'].iloc[0]}", highlight=False)
    diffs = tables["differences"]
    _print_frame(
        diffs[diffs["model"].isin([selection.SELECTED, selection.CALIBRATED, "stacked"])][
            ["model", "country", "benchmark", "score", "difference", "low", "high", "relative"]
        ].round(3),
        "selected, calibrated and stacked minus benchmark, per country (95%: 12-month block "
        "bootstrap)",
    )
    goals = tables["goals"].assign(met=tables["goals"]["met"].map({True: "met", False: "NOT met"}))
    _print_frame(
        goals[["model", "country", "goal", "shown", "wanted", "met"]],
        "Goals (issue 15), per country",
    )
    missed = int((~tables["goals"]["met"]).sum())
    if missed:
        out.print(f"{missed} of {len(goals)} goals not met.", highlight=False)


def _years(text: str) -> list[int]:
    """`2018-2023` or `2019,2021` -> years; a clear error otherwise."""
    try:
        if "-" in text:
            first, last = (int(part) for part in text.split("-", 1))
            return list(range(first, last + 1))
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise PeacewatchError(
            f"--years: {text!r} is not a range like 2018-2023 or a list like 2019,2021"
        ) from None


@app.command("forecast")
def forecast_cmd(
    country: Annotated[
        str | None, typer.Argument(help="ISO3 code of the country (or --country).")
    ] = None,
    country_opt: CountryOpt = None,
    unit: Annotated[str, typer.Option(help="country, admin1 or priogrid.")] = "country",
    horizon: Annotated[int, typer.Option(help="Months after the last loaded month.")] = 12,
    model: Annotated[
        str,
        typer.Option(
            help="A model of the registry, or `selected`: the backtest's candidate with the lowest "
            "CRPS over the 4 years before the data's end (slower: it backtests them first), or "
            "`calibrated`: that candidate recalibrated as validation chooses."
        ),
    ] = "gbm_hurdle",
    target: Annotated[str, typer.Option(help="sb, ns or os.")] = "sb",
    scenario: Annotated[
        str | None,
        typer.Option(help="withdrawal: presence as it was vs removed from --removed-from."),
    ] = None,
    removed_from: Annotated[
        str | None,
        typer.Option(
            help="withdrawal scenario: first month without UN presence (default: the month of "
            "the first withdrawal event in the country's timeline)."
        ),
    ] = None,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="CSV file (default: stdout).")
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Forecast fatalities for the months after the data: quantiles and P(>= 25) per unit."""
    country = _the_country(country, country_opt)
    try:
        if scenario not in (None, "withdrawal"):
            raise PeacewatchError(f"scenario: {scenario!r} is not 'withdrawal'")
        with _store(store, read_only=True) as st, err.status("forecasting ..."):
            if scenario == "withdrawal":
                removed = removed_from or _withdrawal_month(st, country)
                frame = outlook.withdrawal_scenario(st, country, removed, unit, horizon, model)
                err.print(outlook.SCENARIO_NOTE)
            else:
                frame = outlook.cached_forecast(st, country, unit, horizon, model, target)
        export.export(frame, "csv", out_path)
        if out_path is not None:
            err.print(f"wrote {len(frame)} unit-months to {out_path}")
    except PeacewatchError as exc:
        _fail(exc)


@app.command("alerts")
def alerts_cmd(
    country: Annotated[
        str | None, typer.Argument(help="ISO3 code of the country (or --country).")
    ] = None,
    country_opt: CountryOpt = None,
    months: Annotated[int, typer.Option(help="Alerts of the last N months of data.")] = 1,
    lookback: Annotated[
        int, typer.Option(help="record: more deaths than in any of these months before (12-36).")
    ] = Rules.lookback,
    min_deaths: Annotated[int, typer.Option(help="record: at least this many deaths.")] = (
        Rules.min_deaths
    ),
    threshold: Annotated[int, typer.Option(help="threshold: deaths in a month.")] = (
        Rules.threshold
    ),
    probability: Annotated[
        float, typer.Option(help="forecast: P(>= 25 deaths) in one of the next --horizon months.")
    ] = Rules.probability,
    horizon: Annotated[int, typer.Option(help="Months ahead (forecast; backtest window).")] = (
        Rules.horizon
    ),
    source: Annotated[
        str, typer.Option(help="Events counted: ucdp (GED + Candidate), acled ...")
    ] = ("ucdp"),
    backtest: Annotated[
        bool,
        typer.Option(
            "--backtest",
            help="Score the rules over --from..--to instead: precision, recall and lead time "
            "of warning a month with >= 25 deaths, beside the naive rule.",
        ),
    ] = False,
    date_from: Annotated[str, typer.Option("--from", help="Backtest: first month.")] = (
        "2018-01-01"
    ),
    date_to: Annotated[str, typer.Option("--to", help="Backtest: last month.")] = "2023-12-31",
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Also write the table as CSV.")
    ] = None,
    send: Annotated[
        bool,
        typer.Option(
            "--send",
            help="Send the country's subscribers (peacewatch subscribe) their alerts not yet "
            "sent, by e-mail (PEACEWATCH_SMTP_HOST) or webhook, each under its own rules.",
        ),
    ] = False,
    store: StoreOpt = None,
) -> None:
    """Early-warning alerts per area: a level not seen for years, a set threshold, a forecast."""
    the_country = _the_country(country, country_opt)
    try:
        rules = Rules(lookback, min_deaths, threshold, probability, horizon)
        if send:
            with _store(store) as st, err.status("sending alerts ..."):
                done = notify.send(st, Settings.from_env(), the_country)
            for d in done:
                out.print(
                    f"subscription {d.subscription_id} ({d.channel} {d.target}): "
                    f"{d.alerts} alert(s), {d.status}",
                    highlight=False,
                )
            if not done:
                out.print(f"no subscriptions for {the_country} (peacewatch subscribe)")
            if any(d.status.startswith("failed") for d in done):
                raise typer.Exit(1)
            return
        with _store(store, read_only=True) as st:
            _require_country(st, the_country)
            if backtest:
                with err.status("scoring the alert rules ..."):
                    frame = alerts.backtest(st, [the_country], rules, date_from, date_to, source)
                _print_frame(frame, f"Alert rules, {date_from[:7]}..{date_to[:7]}: {the_country}")
                out.print(alerts.BACKTEST_NOTE.format(**dataclasses.asdict(rules)), highlight=False)
            else:
                with err.status("checking the alert rules ..."):
                    frame = alerts.current(st, the_country, rules, source, months)
                last = frame.attrs["last_month"]
                title = f"Alerts of {the_country}, data to {last:%b %Y}"
                if frame.empty:
                    out.print(f"{title}: none (rules: {alerts.describe(rules)})", highlight=False)
                else:
                    _print_frame(frame.drop(columns=["unit"]), title)
                    out.print(f"rules: {alerts.describe(rules)}", highlight=False)
        if out_path is not None:
            export.export(frame, "csv", out_path)
            err.print(f"wrote {len(frame)} rows to {out_path}")
    except PeacewatchError as exc:
        _fail(exc)


@app.command()
def subscribe(
    country: Annotated[
        str | None, typer.Argument(help="ISO3 code of the country (or --country).")
    ] = None,
    country_opt: CountryOpt = None,
    email: Annotated[str | None, typer.Option(help="Send the alerts to this address.")] = None,
    webhook: Annotated[
        str | None, typer.Option(help="POST the alerts as JSON to this http(s) URL.")
    ] = None,
    lookback: Annotated[int, typer.Option(help="record rule: months looked back.")] = (
        Rules.lookback
    ),
    threshold: Annotated[int, typer.Option(help="threshold rule: deaths in a month.")] = (
        Rules.threshold
    ),
    probability: Annotated[float, typer.Option(help="forecast rule: P(>= 25 deaths).")] = (
        Rules.probability
    ),
    store: StoreOpt = None,
) -> None:
    """Subscribe an e-mail address or a webhook to a country's alerts (sent by alerts --send)."""
    the_country = _the_country(country, country_opt)
    if (email is None) == (webhook is None):
        raise typer.BadParameter("give one of --email or --webhook")
    try:
        rules = Rules(lookback=lookback, threshold=threshold, probability=probability)
        with _store(store) as st:
            _require_country(st, the_country)
            channel, target = ("email", email) if email else ("webhook", webhook)
            sid = notify.subscribe(st, the_country, channel, str(target), rules)
        out.print(f"subscription {sid}: {channel} {target} gets the alerts of {the_country}")
    except PeacewatchError as exc:
        _fail(exc)


@app.command()
def subscriptions(
    country: CountryOpt = None,
    remove: Annotated[int | None, typer.Option(help="Stop this subscription.")] = None,
    store: StoreOpt = None,
) -> None:
    """The alert subscriptions and how many alerts each has been sent."""
    try:
        with _store(store, read_only=remove is None) as st:
            if remove is not None:
                notify.unsubscribe(st, remove)
                out.print(f"subscription {remove} stopped")
                return
            _print_frame(notify.subscriptions(st, country), "Alert subscriptions")
    except PeacewatchError as exc:
        _fail(exc)


@app.command()
def version() -> None:
    """Print the peacewatch version."""
    out.print(__version__)


def main() -> None:  # pragma: no cover - console entry point
    """Entry point used by `python -m peacewatch`."""
    app(prog_name="peacewatch")
    sys.exit(0)


users_app = typer.Typer(help="Users of the web app: add, list, disable, and API tokens.")
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="viewer, reporter, analyst or admin.")] = "viewer",
    store: StoreOpt = None,
) -> None:
    """Add a user; the password is asked for (twice, not echoed, never logged)."""
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with _store(store) as st:
            accounts.add_user(st, username, role, password)
        out.print(f"added {username} ({role})", highlight=False)
    except PeacewatchError as exc:
        _fail(exc)


@users_app.command("list")
def users_list(store: StoreOpt = None) -> None:
    """List the users (name, role, disabled, created)."""
    with _store(store) as st:
        frame = pd.DataFrame(accounts.list_users(st))
    if frame.empty:
        out.print("no users yet: peacewatch users add NAME --role admin")
        return
    _print_frame(frame, "Users")


def _via_server(store: str | None, method: str, path: str) -> dict[str, object]:
    """Ask the running `peacewatch serve` of this store (its control file) to do `path`."""
    import httpx  # noqa: PLC0415

    from peacewatch.web import admin  # noqa: PLC0415

    store_path = store or _settings().store
    control = admin.control_path(Path(store_path))
    if not control.is_file():
        raise PeacewatchError(
            f"{store_path}: the store is in use by another process and no running "
            f"`peacewatch serve` left {control.name} beside it; stop that process and retry"
        )
    info = json.loads(control.read_text(encoding="utf-8"))
    try:
        response = httpx.request(
            method,
            f"{info['url']}{path}",
            headers={"Authorization": f"Bearer {info['token']}"},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        raise PeacewatchError(
            f"the running server at {info['url']} did not answer ({exc})"
        ) from exc
    body = response.json()
    if response.status_code != 200:
        raise PeacewatchError(body.get("error", {}).get("message", response.text))
    return dict(body)


def _store_is_locked(exc: StoreError) -> bool:
    return "lock" in str(exc).lower()


@users_app.command("disable")
def users_disable(
    username: Annotated[str, typer.Argument(help="Login name.")], store: StoreOpt = None
) -> None:
    """Disable a user: no more sign-in; their sessions and API tokens stop working.

    Works while `peacewatch serve` runs: the command then asks the server (its control file
    beside the store), and the change holds from the user's next request.
    """
    try:
        try:
            with _store(store) as st:
                accounts.disable_user(st, username)
            via = ""
        except StoreError as exc:
            if not _store_is_locked(exc):
                raise
            _via_server(store, "POST", f"/api/admin/users/{username}/disable")
            via = " (through the running server)"
        out.print(f"disabled {username}{via}", highlight=False)
    except PeacewatchError as exc:
        _fail(exc)


@users_app.command("revoke")
def users_revoke(
    username: Annotated[str, typer.Argument(help="Login name.")], store: StoreOpt = None
) -> None:
    """Revoke a user's API tokens (and end their sessions); works while the server runs."""
    try:
        try:
            with _store(store) as st:
                count = accounts.revoke_tokens(st, username)
            via = ""
        except StoreError as exc:
            if not _store_is_locked(exc):
                raise
            body = _via_server(store, "POST", f"/api/admin/users/{username}/revoke-tokens")
            count, via = int(str(body["tokens_revoked"])), " (through the running server)"
        out.print(f"revoked {count} API tokens of {username}{via}", highlight=False)
    except PeacewatchError as exc:
        _fail(exc)


@users_app.command("token")
def users_token(
    username: Annotated[str, typer.Argument(help="Login name.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    store: StoreOpt = None,
) -> None:
    """Issue an API token for scripts (printed once; only its hash is stored)."""
    try:
        with _store(store) as st:
            token = accounts.issue_token(st, username, label)
        out.print(token, highlight=False)
    except PeacewatchError as exc:
        _fail(exc)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    store: StoreOpt = None,
) -> None:
    """Serve the dashboard, the API (/docs) and incident reporting on the store."""
    import uvicorn  # noqa: PLC0415 - only the server needs it

    from peacewatch.web.app import create_app  # noqa: PLC0415

    settings = _settings()
    if store is not None:
        url = store if is_store_url(store) else None
        settings = dataclasses.replace(settings, store=Path(store), store_url=url)
    from peacewatch.web import admin  # noqa: PLC0415

    try:
        application = create_app(settings)
    except PeacewatchError as exc:
        _fail(exc)
        return
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a comparison
    # The control file lets other commands reach a DuckDB store this server holds; a
    # PostgreSQL store takes their writes directly.
    control: Path | None = None
    if settings.store_url is None:
        control, token = admin.write_control(settings.store, f"http://{local}:{port}")
        application.state.control_digest = accounts.digest(token)
    try:
        # proxy_headers=False: the client address is the TCP peer; X-Forwarded-For is believed
        # only from PEACEWATCH_TRUSTED_PROXIES (web/security.py client_address).
        uvicorn.run(
            application,
            host=host,
            port=port,
            log_level="info",
            access_log=False,
            proxy_headers=False,
        )
    finally:
        if control is not None:
            control.unlink(missing_ok=True)
