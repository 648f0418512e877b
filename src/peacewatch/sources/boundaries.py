"""Admin-1 boundaries from GeoJSON, shapefiles or any format pyogrio reads (e.g. GeoPackage).

Three property layouts: Natural Earth (`name`, `name_alt`, `adm1_code`, `code_hasc`,
`adm0_a3`), OCHA COD-AB (`ADM1_FR`, `ADM1_PCODE` such as ML01, `ADM0_PCODE` as ISO2, `validOn`)
and geoBoundaries (`shapeName`, `shapeISO`, `shapeGroup` as ISO3). The admin code is the file's
own (a P-code for COD-AB); the boundary version names the dataset, the file and its sha256 (and
the validity date where given), so every admin field of an event says which boundaries it came
from. A file replaces the stored admin-1 polygons of its countries.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import shapely

from peacewatch.countries import country_table
from peacewatch.errors import PeacewatchError
from peacewatch.sources.base import (
    Layout,
    LoadOptions,
    Staged,
    blank,
    detect_layout,
    first_failure,
    sha256_file,
    sql_str,
    stage_frame,
    text,
)

NE_ADMIN1 = Layout("natural-earth-admin1", frozenset({"name", "adm1_code", "adm0_a3"}))
COD_AB = Layout("ocha-cod-ab-admin1", frozenset({"ADM1_FR", "ADM1_PCODE", "ADM0_PCODE"}))
GEOBOUNDARIES = Layout("geoboundaries-admin1", frozenset({"shapeName", "shapeISO", "shapeGroup"}))


def _common(frame: gpd.GeoDataFrame, layout: Layout, path: Path) -> tuple[pd.DataFrame, str]:
    """The properties in Natural Earth's names (what the SQL below reads), and a version note."""
    props = pd.DataFrame(frame.drop(columns="geometry"))
    if layout is NE_ADMIN1:
        return props, "Natural Earth admin-1"
    if layout is COD_AB:
        iso2 = country_table().set_index("iso2")["iso3"]
        valid = ""
        if "validOn" in props and props["validOn"].notna().any():
            valid = f", valid on {pd.Timestamp(props['validOn'].dropna().iloc[0]):%Y-%m-%d}"
        alt = props.get("ADM1_REF", pd.Series(None, index=props.index))
        return pd.DataFrame(
            {
                "name": props["ADM1_FR"],
                "name_alt": alt.where(alt.notna(), None),
                "adm1_code": props["ADM1_PCODE"],
                "adm0_a3": props["ADM0_PCODE"].map(lambda c: iso2.get(str(c).strip().upper(), c)),
            }
        ), f"OCHA COD-AB admin-1{valid}"
    return pd.DataFrame(
        {
            "name": props["shapeName"],
            "adm1_code": props["shapeISO"].where(props["shapeISO"].notna(), props.get("shapeID")),
            "adm0_a3": props["shapeGroup"],
        }
    ), "geoBoundaries admin-1"


class Boundaries:
    """`peacewatch load boundaries PATH`: admin-1 polygons; events get `admin1` from them."""

    name = "boundaries"
    target = "admin_boundaries"
    layouts: tuple[Layout, ...] = (NE_ADMIN1, COD_AB, GEOBOUNDARIES)

    def stage(self, con: duckdb.DuckDBPyConnection, path: Path, options: LoadOptions) -> Staged:
        """Stage the polygons (as WKB hex); they replace the stored admin-1 of their countries."""
        try:
            frame = gpd.read_file(path)
        except Exception as exc:  # pyogrio raises several types for unreadable files
            raise PeacewatchError(f"{path}: not a readable boundaries file ({exc})") from exc
        layout = detect_layout(path, "boundaries", frame.columns, self.layouts)
        if frame.crs is not None and frame.crs.to_epsg() not in (4326, None):
            frame = frame.to_crs(4326)
        props, dataset = _common(frame, layout, path)
        version = options.release or f"{dataset}: {path.name} sha256:{sha256_file(path)[:12]}"
        props["wkb_hex"] = [
            None if g is None else shapely.to_wkb(shapely.make_valid(g), hex=True)
            for g in frame.geometry
        ]
        stage_frame(con, props)
        cols = [str(c) for c in props.columns]
        alt = text("name_alt") if "name_alt" in cols else "CAST(NULL AS VARCHAR)"
        hasc = text("code_hasc") if "code_hasc" in cols else "CAST(NULL AS VARCHAR)"
        reason, field, value = first_failure(
            {
                blank("adm1_code"): ("adm1_code", "missing id"),
                blank("wkb_hex"): ("wkb_hex", "missing or empty geometry"),
            }
        )
        rid = "'admin1:' || trim(s.adm1_code)"
        sql = f"""
        SELECT {rid} AS record_id, {rid} AS _key, 'admin1:' || trim(s.adm0_a3) AS _scope,
            s._row AS _row, trim(s.adm0_a3) AS country_iso3, 1 AS admin_level,
            {text("name")} AS name, {alt} AS name_alt, trim(s.adm1_code) AS admin_code,
            {hasc} AS code_hasc, {sql_str(version)} AS boundary_version,
            from_hex(s.wkb_hex) AS geometry_wkb,
            {reason} AS _reject_reason, {field} AS _reject_field,
            {value} AS _reject_value,
            CAST(NULL AS VARCHAR) AS _warning, CAST(NULL AS VARCHAR) AS _warning_field
        FROM stage s"""
        return Staged(
            source="boundaries",
            target=self.target,
            layout=layout.name,
            raw_table="stage",
            raw_columns=cols,
            normalized_sql=sql,
            release=version,
            rows_read=len(frame),
        )
