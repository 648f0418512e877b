"""Shared fixtures: the real data in PEACEWATCH_SHARED, stores, and the CI no-skip rule."""

from __future__ import annotations

import os
import shutil
import subprocess
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
def duckdb_store(tmp_path: Path) -> Store:
    """An empty DuckDB store in a temporary folder."""
    st = Store.open(tmp_path / "test.duckdb")
    yield st
    st.close()


@pytest.fixture
def store(duckdb_store: Store) -> Store:
    """An empty store (DuckDB); the parity suite's modules make it `engine_empty_store`."""
    return duckdb_store


def load_mali(st: Store) -> None:
    """Load Mali's and Burkina Faso's real data as the main job does.

    Boundaries: COD-AB Mali and Niger, geoBoundaries Burkina Faso.
    """
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


@pytest.fixture(scope="session")
def mali_duckdb(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A DuckDB store with Mali's and Burkina Faso's real data (read it, don't write to it)."""
    st = Store.open(tmp_path_factory.mktemp("mali") / "mali.duckdb")
    load_mali(st)
    yield st
    st.close()


@pytest.fixture(scope="session")
def mali_store(mali_duckdb: Store) -> Store:
    """Mali's store (DuckDB); the parity suite's modules make it `engine_store`."""
    return mali_duckdb


PG_SCRIPT = ROOT / "scripts" / "postgres.sh"
ENGINES = ("duckdb", "postgresql")


@pytest.fixture(scope="session")
def pg_server() -> str:
    """URL of the test PostgreSQL server's `postgres` database.

    PEACEWATCH_TEST_PG when set (`.ci/run` starts the server with scripts/postgres.sh);
    otherwise a private cluster started here for the session and stopped after it.
    """
    url = os.environ.get("PEACEWATCH_TEST_PG")
    if url:
        yield url.rsplit("/", 1)[0] + "/postgres"
        return
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        pytest.skip("PostgreSQL is not installed on this machine (scripts/system-packages.sh)")
    # Under /tmp itself: the server runs as `postgres` when the tests run as root.
    data = Path(f"/tmp/peacewatch-pg-test-{os.getpid()}")
    env = {
        **os.environ,
        "PEACEWATCH_PG_DIR": str(data),
        "PEACEWATCH_PG_PORT": str(55000 + os.getpid() % 5000),
    }
    started = subprocess.run([str(PG_SCRIPT), "start"], env=env, capture_output=True, text=True)
    if started.returncode != 0:
        pytest.fail(f"scripts/postgres.sh start failed: {started.stderr.strip()}")
    yield started.stdout.strip().rsplit("/", 1)[0] + "/postgres"
    subprocess.run([str(PG_SCRIPT), "stop"], env=env, check=False)
    shutil.rmtree(data, ignore_errors=True)


def new_database(server: str, name: str) -> str:
    """A new, empty database on the test server (any old one of that name dropped)."""
    import psycopg

    name = f"pw_{name}_{os.getpid()}"
    with psycopg.connect(server, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        con.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + f"/{name}"


_COUNTER = iter(range(1, 1_000_000))


@pytest.fixture
def pg_store(pg_server: str) -> Store:
    """An empty PostgreSQL store (a database of its own)."""
    st = Store.open(new_database(pg_server, f"t{next(_COUNTER)}"))
    yield st
    st.close()


@pytest.fixture(params=ENGINES)
def engine_empty_store(request: pytest.FixtureRequest) -> Store:
    """An empty store on each engine: the parity suite's loads run on both."""
    return request.getfixturevalue("duckdb_store" if request.param == "duckdb" else "pg_store")


@pytest.fixture(scope="session", params=ENGINES)
def engine_store(request: pytest.FixtureRequest) -> Store:
    """Mali's store on each engine (the parity suite: the same tests, identical numbers)."""
    if request.param == "duckdb":
        yield request.getfixturevalue("mali_duckdb")
        return
    yield request.getfixturevalue("mali_pg")


@pytest.fixture(scope="session")
def mali_pg(pg_server: str) -> Store:
    """A PostgreSQL store with the same real data as `mali_duckdb`."""
    st = Store.open(new_database(pg_server, "mali"))
    load_mali(st)
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
