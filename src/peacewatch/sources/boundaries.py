"""Admin-1 boundaries from GeoJSON (or any format pyogrio reads, e.g. GeoPackage).

Natural Earth admin-1 properties are used where present (`name`, `name_alt`, `adm1_code`,
`code_hasc`, `adm0_a3`); the boundary version names the file and its sha256, so every admin field
of an event says which boundaries it came from.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import shapely

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


class Boundaries:
    """`peacewatch load boundaries PATH`: admin-1 polygons; events get `admin1` from them."""

    name = "boundaries"
    target = "admin_boundaries"
    layouts: tuple[Layout, ...] = (NE_ADMIN1,)

    def stage(self, con: duckdb.DuckDBPyConnection, path: Path, options: LoadOptions) -> Staged:
        """Stage the polygons (as WKB hex); they replace the stored admin-1 of their countries."""
        try:
            frame = gpd.read_file(path)
        except Exception as exc:  # pyogrio raises several types for unreadable files
            raise PeacewatchError(f"{path}: not a readable boundaries file ({exc})") from exc
        detect_layout(path, "boundaries", frame.columns, self.layouts)
        if frame.crs is not None and frame.crs.to_epsg() not in (4326, None):
            frame = frame.to_crs(4326)
        version = options.release or f"{path.name} sha256:{sha256_file(path)[:12]}"
        props = pd.DataFrame(frame.drop(columns="geometry"))
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
            layout=NE_ADMIN1.name,
            raw_table="stage",
            raw_columns=cols,
            normalized_sql=sql,
            release=version,
            rows_read=len(frame),
        )
