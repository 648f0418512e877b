"""Shared fixtures: the real data in PEACEWATCH_SHARED, stores, and the CI no-skip rule."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from peacewatch.loading import load_file
from peacewatch.settings import Settings
from peacewatch.sources.base import LoadOptions
from peacewatch.store import Store

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """PEACEWATCH_SHARED, resolved against the repository root (default ../shared)."""
    value = os.environ.get("PEACEWATCH_SHARED")
    path = Path(value) if value else ROOT.parent / "shared"
    return path if path.is_absolute() else (ROOT / path).resolve()


DATA = shared_dir() / "data"
GED_MALI = DATA / "ucdp_ged_sahel" / "ged_mali_432.csv"
GED_BFA = DATA / "ucdp_ged_sahel" / "ged_burkina_faso_439.csv"
ACLED_SAMPLE = DATA / "acled_sample_mali" / "acled_hdx_mali_2019-2020_sample.csv"
UN_FATALITIES = DATA / "un_pko_fatalities" / "DPPADPOSS-FATALITIES.csv"
REFERENCE = DATA / "reference"
GEOPKO = DATA / "geo_pko"
BOUNDARIES = DATA / "boundaries_ne_admin1"
COD_AB = DATA / "boundaries_cod_ab"
# The current admin-1 sets, as `load-shared` loads them (Natural Earth for the other neighbours).
CURRENT_BOUNDARIES = (
    COD_AB / "mli" / "mli_admbnda_adm1_1m_gov_20211220.shp",
    COD_AB / "bfa" / "geoBoundaries-BFA-ADM1_simplified.geojson",
    COD_AB / "ner" / "NER_admbnda_adm1_IGNN_20230720.shp",
    BOUNDARIES / "dza_admin1.geojson",
    BOUNDARIES / "mrt_admin1.geojson",
)


def pytest_configure(config: pytest.Config) -> None:
    if not DATA.is_dir():
        raise pytest.UsageError(
            f"real data not found at {DATA}: set PEACEWATCH_SHARED to the shared folder"
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true a skipped test fails the run: a skip hides a missing capability."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if os.environ.get("CI") == "true" and reporter is not None:
        skipped = len(reporter.stats.get("skipped", []))
        if skipped:
            reporter.write_line(f"CI=true: {skipped} test(s) skipped; failing the run")
            session.exitstatus = 1


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """An empty store in a temporary folder."""
    st = Store.open(tmp_path / "test.duckdb")
    yield st
    st.close()


@pytest.fixture(scope="session")
def mali_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store with Mali's and Burkina Faso's real data loaded (read it, don't write to it).

    Boundaries as the main job loads them: COD-AB Mali and Niger, geoBoundaries Burkina Faso.
    """
    path = tmp_path_factory.mktemp("mali") / "mali.duckdb"
    st = Store.open(path)
    for path in CURRENT_BOUNDARIES:
        load_file(st, "boundaries", path)
    load_file(st, "ucdp-ged", GED_MALI)
    load_file(st, "ucdp-ged", GED_BFA)
    load_file(st, "acled", ACLED_SAMPLE)
    load_file(st, "un-fatalities", UN_FATALITIES)
    load_file(st, "camps", REFERENCE / "minusma_camps.csv")
    load_file(st, "timeline", REFERENCE / "mali_timeline.csv")
    load_file(st, "humanitarian", REFERENCE / "humanitarian_mali.csv", LoadOptions())
    load_file(st, "coups", DATA / "coups_powell_thyne" / "powell_thyne_coups_V2022.11.29.csv")
    load_file(st, "geopko", GEOPKO / "FrontMap_v.2.3.csv")
    yield st
    st.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at temporary store, cache and report folders."""
    return Settings(
        store=tmp_path / "cli.duckdb",
        shared=shared_dir(),
        cache=tmp_path / "cache",
        report_dir=tmp_path / "reports",
    )
