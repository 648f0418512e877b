"""UCDP GED events: the official bulk CSV, the web site's country download, and API JSON pages.

The layouts differ (SOURCES.md 4.2, data/ucdp_ged_sahel/PROVENANCE.md): the bulk file
(`GEDEvent_vXX_1.csv`) names the estimates `best/low/high` and writes ISO dates; the country
download names them `best_est/low_est/high_est`, writes `MM/DD/YYYY HH:MM:SS` and ends every line
with a comma. The API returns the bulk layout as JSON (`{"TotalCount": .., "Result": [..]}`).
All three map to the same common record.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from collections.abc import Iterable
from pathlib import Path

import duckdb
import httpx
import pandas as pd

from peacewatch.countries import country_table
from peacewatch.errors import DownloadError, PeacewatchError
from peacewatch.sources.base import (
    DATE_FORMATS,
    Layout,
    LoadOptions,
    Staged,
    blank,
    date,
    detect_layout,
    first_failure,
    formats_in_use,
    ident,
    num,
    read_csv_head,
    sql_str,
    stage_csv,
    stage_frame,
    text,
)

SOURCE = "ucdp_ged"
CANDIDATE_SOURCE = "ucdp_candidate"
LICENCE = "CC BY 4.0 (UCDP; cite Sundberg & Melander 2013)"

_COMMON = frozenset(
    {
        "id",
        "type_of_violence",
        "side_a",
        "side_b",
        "where_prec",
        "adm_1",
        "adm_2",
        "latitude",
        "longitude",
        "country_id",
        "date_prec",
        "date_start",
        "date_end",
        "deaths_civilians",
    }
)
OFFICIAL = Layout("ged-official", _COMMON | {"best", "low", "high"}, "bulk GEDEvent_vXX_1.csv")
COUNTRY = Layout(
    "ged-country-download", _COMMON | {"best_est", "low_est", "high_est"}, "UCDP web export"
)
API = Layout("ged-api-json", _COMMON | {"best", "low", "high"}, "UCDP API JSON page")

DATE_PREC = (
    "CASE {c} WHEN 1 THEN 'day' WHEN 2 THEN 'days' WHEN 3 THEN 'week' "
    "WHEN 4 THEN 'month' WHEN 5 THEN 'year' END"
)
WHERE_PREC = (
    "CASE {c} WHEN 1 THEN 'exact' WHEN 2 THEN 'near' WHEN 3 THEN 'adm2' WHEN 4 THEN 'adm1' "
    "WHEN 5 THEN 'region' WHEN 6 THEN 'country' WHEN 7 THEN 'water' END"
)


def release_from_name(path: Path) -> str | None:
    """The GED release in a bulk file's name, if there is one.

    `GEDEvent_v24_1.csv` -> `24.1` (final); `GEDEvent_v25_0_3.csv` -> `25.0.3` (Candidate,
    March 2025).
    """
    match = re.search(r"v(\d{2})_0_(\d{1,2})(?!\d)", path.name)
    if match:
        return f"{match.group(1)}.0.{match.group(2)}"
    match = re.search(r"v(\d{2})_(\d+)", path.name)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def is_candidate_release(release: str | None) -> bool:
    """Whether a release string names a GED Candidate release (`YY.0.M`)."""
    return bool(release and re.fullmatch(r"\d{2}\.0\.\d{1,2}", release.strip()))


def _optional(columns: Iterable[str], col: str, expr: str, typ: str) -> str:
    """`expr` where the file has column `col`, else a typed NULL."""
    return expr if col in set(columns) else f"CAST(NULL AS {typ})"


def _first_gw(col: str) -> str:
    """The first Gleditsch-Ward code of `gwnoa` / `gwnob` ('432' or '432, 433')."""
    first = f"trim(split_part(CAST({ident(col)} AS VARCHAR), ',', 1))"
    return f"TRY_CAST(NULLIF({first}, '') AS INTEGER)"


def normalize_sql(
    best: str,
    low: str,
    high: str,
    source: str = SOURCE,
    columns: Iterable[str] = (),
    date_formats: tuple[str, ...] = DATE_FORMATS,
) -> str:
    """SELECT over temp view `stage` producing the normalised columns plus checks.

    Each text field is parsed once (inner query `p`); the checks use the parsed values.
    `columns` are the file's: the side ids (`side_a_new_id`, `side_b_new_id`) and the sides'
    Gleditsch-Ward codes (`gwnoa`, `gwnob`, bulk files only) are read where the file has them.
    """
    side_ids = {
        name: _optional(columns, col, f"NULLIF(trim(CAST({ident(col)} AS VARCHAR)), '')", "VARCHAR")
        for name, col in (("actor1_id", "side_a_new_id"), ("actor2_id", "side_b_new_id"))
    }
    side_gw = {
        name: _optional(columns, col, _first_gw(col), "INTEGER")
        for name, col in (("actor1_gw", "gwnoa"), ("actor2_gw", "gwnob"))
    }
    parsed = f"""
        SELECT s.*,
            {date("date_start", date_formats)} AS p_start,
            {date("date_end", date_formats)} AS p_end,
            {num("latitude")} AS p_lat, {num("longitude")} AS p_lon,
            {num(best)} AS p_best, {num(low)} AS p_low, {num(high)} AS p_high,
            {num("deaths_civilians")} AS p_civ,
            {num("type_of_violence", "INTEGER")} AS p_tov,
            {num("date_prec", "INTEGER")} AS p_dprec,
            {num("where_prec", "INTEGER")} AS p_wprec,
            {num("country_id", "INTEGER")} AS p_gw
        FROM stage s"""
    reason, field, value = first_failure(
        {
            blank("id"): ("id", "missing id"),
            "p_start IS NULL": ("date_start", "unparseable or missing date"),
            f"(NOT {blank('date_end')} AND p_end IS NULL)": ("date_end", "unparseable date"),
            f"((NOT {blank('latitude')} AND p_lat IS NULL) OR abs(p_lat) > 90)": (
                "latitude",
                "latitude not a number or outside -90..90",
            ),
            f"((NOT {blank('longitude')} AND p_lon IS NULL) OR abs(p_lon) > 180)": (
                "longitude",
                "longitude not a number or outside -180..180",
            ),
            "p_best IS NULL": (best, "fatality count missing or not a number"),
            "(p_best < 0 OR p_best <> floor(p_best))": (
                best,
                "fatality count negative or not a whole number",
            ),
            f"((NOT {blank(low)} AND p_low IS NULL) OR p_low < 0)": (
                low,
                "negative or non-numeric count",
            ),
            f"((NOT {blank(high)} AND p_high IS NULL) OR p_high < 0)": (
                high,
                "negative or non-numeric count",
            ),
            f"((NOT {blank('deaths_civilians')} AND p_civ IS NULL) OR p_civ < 0)": (
                "deaths_civilians",
                "negative or non-numeric count",
            ),
            "(p_tov IS NULL OR p_tov NOT IN (1, 2, 3))": (
                "type_of_violence",
                "type_of_violence not 1, 2 or 3",
            ),
        }
    )
    outside = "(p_best < p_low OR p_best > p_high)"
    warning = (
        f"CASE WHEN {outside} THEN 'best outside low..high (' || CAST(p_low AS BIGINT) "
        f"|| '..' || CAST(p_high AS BIGINT) || ')' "
        "WHEN c.iso3 IS NULL THEN 'unknown Gleditsch-Ward code in country_id' "
        "WHEN p_end < p_start THEN 'date_end before date_start' END"
    )
    warn_field = (
        f"CASE WHEN {outside} THEN {sql_str(best)} WHEN c.iso3 IS NULL THEN 'country_id' "
        "WHEN p_end < p_start THEN 'date_end' END"
    )
    return f"""
    SELECT
        {sql_str(source)} || ':' || trim(s.id) AS event_id,
        {sql_str(source)} AS source,
        trim(s.id) AS source_event_id,
        p_start AS date_start,
        coalesce(p_end, p_start) AS date_end,
        {DATE_PREC.format(c="p_dprec")} AS date_precision,
        p_dprec AS date_precision_code,
        c.iso3 AS country_iso3,
        p_gw AS gw_code,
        {text("adm_1")} AS source_admin1,
        {text("adm_2")} AS source_admin2,
        p_lat AS latitude,
        p_lon AS longitude,
        p_wprec AS geo_precision,
        {WHERE_PREC.format(c="p_wprec")} AS geo_precision_label,
        CASE WHEN p_tov = 3 THEN 'violence_against_civilians' ELSE 'battle' END AS category,
        CASE p_tov WHEN 1 THEN 'state-based' WHEN 2 THEN 'non-state' WHEN 3 THEN 'one-sided' END
            AS source_event_type,
        CAST(NULL AS VARCHAR) AS source_sub_event_type,
        p_tov AS violence_type,
        {text("side_a")} AS actor1,
        {text("side_b")} AS actor2,
        {side_ids["actor1_id"]} AS actor1_id,
        {side_ids["actor2_id"]} AS actor2_id,
        CAST(NULL AS INTEGER) AS actor1_inter,
        CAST(NULL AS INTEGER) AS actor2_inter,
        {side_gw["actor1_gw"]} AS actor1_gw,
        {side_gw["actor2_gw"]} AS actor2_gw,
        CAST(p_best AS INTEGER) AS fatalities_best,
        CAST(p_low AS INTEGER) AS fatalities_low,
        CAST(p_high AS INTEGER) AS fatalities_high,
        CAST(p_civ AS INTEGER) AS civilian_fatalities,
        {text("where_description")} AS notes,
        {text("source_article")} AS source_refs,
        {sql_str(LICENCE)} AS licence,
        true AS redistributable,
        s._row AS _row,
        {sql_str(source)} || ':' || trim(s.id) AS _key,
        {sql_str(source)} || ':' || coalesce(c.iso3, 'GW' || trim(s.country_id)) AS _scope,
        {reason} AS _reject_reason,
        {field} AS _reject_field,
        {value} AS _reject_value,
        {warning} AS _warning,
        {warn_field} AS _warning_field
    FROM ({parsed}) s
    LEFT JOIN _countries c ON c.gw_code = s.p_gw
    """


def _register_countries(con: duckdb.DuckDBPyConnection) -> None:
    table = country_table().dropna(subset=["gw_code"]).drop_duplicates("gw_code")
    con.register("_countries", table)


class UcdpGed:
    """`peacewatch load ucdp-ged PATH`: GED CSV (either layout) or an API JSON page."""

    name = "ucdp-ged"
    source = SOURCE
    target = "events"
    layouts: tuple[Layout, ...] = (OFFICIAL, COUNTRY, API)

    def stage(self, con: duckdb.DuckDBPyConnection, path: Path, options: LoadOptions) -> Staged:
        """Stage a GED file; JSON pages are upserted, CSV files replace their countries' rows."""
        _register_countries(con)
        if path.suffix.lower() == ".json":
            return self._stage_json(con, path, options)
        release = options.release or release_from_name(path)
        if release and is_candidate_release(release) != (self.source == CANDIDATE_SOURCE):
            other = "ucdp-ged" if self.source == CANDIDATE_SOURCE else "ucdp-candidate"
            raise PeacewatchError(
                f"{path}: release {release} is a GED "
                f"{'Candidate' if is_candidate_release(release) else 'final'} release; "
                f"load it with `peacewatch load {other}` (or give --release)"
            )
        head = read_csv_head(path)
        layout = detect_layout(path, self.source, head.columns, (OFFICIAL, COUNTRY))
        csv = stage_csv(con, path, head, key="id", every_field=options.every_field)
        estimates = (
            ("best", "low", "high") if layout is OFFICIAL else ("best_est", "low_est", "high_est")
        )
        return Staged(
            source=self.source,
            target=self.target,
            layout=layout.name,
            raw_table="stage",
            raw_columns=head.columns,
            normalized_sql=normalize_sql(
                *estimates,
                source=self.source,
                columns=head.columns,
                date_formats=formats_in_use(
                    con, head.values("date_start") + head.values("date_end")
                ),
            ),
            release=release or "unstated",
            csv_rejects=csv.rejects,
            rows_read=csv.rows_read,
            read=csv.read,
        )

    def _stage_json(
        self, con: duckdb.DuckDBPyConnection, path: Path, options: LoadOptions
    ) -> Staged:
        try:
            page = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PeacewatchError(f"{path}: not a UCDP API JSON page ({exc})") from exc
        if not isinstance(page, dict) or not isinstance(page.get("Result"), list):
            raise PeacewatchError(f"{path}: not a UCDP API JSON page (no 'Result' list)")
        frame = pd.DataFrame(page["Result"])
        detect_layout(path, SOURCE, frame.columns, (API,))
        stage_frame(con, frame)
        return Staged(
            source=self.source,
            target=self.target,
            layout=API.name,
            raw_table="stage",
            raw_columns=[str(c) for c in frame.columns],
            normalized_sql=normalize_sql(
                "best", "low", "high", source=self.source, columns=[str(c) for c in frame.columns]
            ),
            release=options.release or "unstated (API page)",
            replace_scope=False,
            rows_read=len(frame),
        )


class UcdpCandidate(UcdpGed):
    """`peacewatch load ucdp-candidate PATH`: a GED Candidate file (`GEDEvent_v25_0_X.csv`).

    The official bulk layout, loaded as its own source (`ucdp_candidate`): provisional monthly
    events that a final GED release supersedes month by month (peacewatch.vintages).
    """

    name = "ucdp-candidate"
    source = CANDIDATE_SOURCE


def download_url(base_url: str, version: str) -> str:
    """URL of the official GED zip for `version` (`24.1` -> `.../ged241-csv.zip`)."""
    match = re.fullmatch(r"(\d{2})\.(\d+)", version.strip())
    if not match:
        raise DownloadError(f"GED version {version!r}: expected MAJOR.MINOR such as 24.1")
    return f"{base_url.rstrip('/')}/ged{match.group(1)}{match.group(2)}-csv.zip"


def download(version: str, base_url: str, cache: Path, timeout: float = 120.0) -> Path:
    """Fetch the official GED zip for `version` into `cache` (once) and return the CSV inside.

    Writes to a `.part` file and renames it, so an interrupted download leaves nothing behind.
    """
    url = download_url(base_url, version)
    target_dir = cache / "ucdp" / f"ged-{version}"
    zip_path = target_dir / url.rsplit("/", 1)[-1]
    if not zip_path.exists():
        target_dir.mkdir(parents=True, exist_ok=True)
        part = zip_path.with_suffix(".part")
        try:
            with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
                if response.status_code != 200:
                    raise DownloadError(f"{url}: HTTP {response.status_code}")
                with part.open("wb") as fh:
                    for chunk in response.iter_bytes():
                        fh.write(chunk)
        except httpx.HTTPError as exc:
            part.unlink(missing_ok=True)
            raise DownloadError(f"{url}: {exc}") from exc
        part.replace(zip_path)
    try:
        with zipfile.ZipFile(zip_path) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(".csv")]
            if not members:
                raise DownloadError(f"{zip_path}: no CSV file inside")
            member = members[0]
            out = target_dir / Path(member).name
            if not out.exists():
                with archive.open(member) as src, out.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
    except zipfile.BadZipFile as exc:
        zip_path.unlink(missing_ok=True)
        raise DownloadError(f"{zip_path}: not a zip file ({exc})") from exc
    return out
