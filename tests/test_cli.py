import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from peacewatch.cli import app
from tests.conftest import ACLED_SAMPLE, GED_MALI, shared_dir

runner = CliRunner()


@pytest.fixture
def env(tmp_path):
    return {
        "PEACEWATCH_STORE": str(tmp_path / "cli.duckdb"),
        "PEACEWATCH_SHARED": str(shared_dir()),
        "PEACEWATCH_REPORT_DIR": str(tmp_path / "reports"),
        "PEACEWATCH_CACHE": str(tmp_path / "cache"),
    }


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("load", "load-shared", "events", "sources", "summary", "actors"):
        assert command in result.output


def test_load_then_export(env, tmp_path):
    result = runner.invoke(app, ["load", "ucdp-ged", str(GED_MALI)], env=env)
    assert result.exit_code == 0, result.output
    assert "loaded 2120" in result.output and "added 2120" in result.output
    summary = list((tmp_path / "reports").glob("*.summary.json"))
    assert len(summary) == 1
    assert json.loads(summary[0].read_text())["rows_warned"] == 23
    again = runner.invoke(app, ["load", "ucdp-ged", str(GED_MALI)], env=env)
    assert "already loaded" in again.output
    out = tmp_path / "mali.geojson"
    result = runner.invoke(
        app,
        [
            "events",
            "--country",
            "MLI",
            "--from",
            "2022-01-01",
            "--to",
            "2022-12-31",
            "--format",
            "geojson",
            "--out",
            str(out),
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert len(json.loads(out.read_text())["features"]) == 408


def test_acled_export_warns_about_licence(env, tmp_path):
    runner.invoke(app, ["load", "acled", str(ACLED_SAMPLE)], env=env)
    result = runner.invoke(app, ["events", "--out", str(tmp_path / "a.csv")], env=env)
    assert result.exit_code == 0
    assert "ACLED" in result.output and "aggregates" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["load", "gdelt", "x.csv"], "unknown source"),
        (["load", "ucdp-ged", "/no/such/file.csv"], "no such file"),
        (["load", "acled", str(GED_MALI)], "missing columns"),
        (["events", "--category", "war"], "category"),
        (["load", "acled", "--download", "24.1"], "ucdp-ged only"),
    ],
)
def test_errors_exit_2_with_a_message(env, args, message):
    runner.invoke(app, ["load", "ucdp-ged", str(GED_MALI)], env=env)
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_load_shared_then_summary(env):
    result = runner.invoke(app, ["load-shared", "--countries", "MLI"], env=env)
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["summary", "--country", "MLI"], env=env)
    assert result.exit_code == 0
    assert "ucdp_ged" in result.output and "2022" in result.output and "3650" in result.output
    assert "un_fatalities -> un_fatalities: 4429 rows" in result.output
    assert "UN peacekeeper fatalities (MINUSMA)" in result.output
    wide = {**env, "COLUMNS": "200"}
    result = runner.invoke(app, ["actors", "--country", "MLI"], env=wide)
    assert result.exit_code == 0, result.output
    flm = next(line for line in result.output.splitlines() if "│ FLM " in line)
    assert "Katiba Macina" in flm and "ucdp:6267" in flm and "2015-01-01" in flm
    assert "00:00:00" not in result.output  # dates as dates


def test_rejected_rows_are_named_in_the_output(env, tmp_path):
    from tests.gedfiles import read_rows, write_country

    header, rows = read_rows(GED_MALI)
    rows = [dict(r) for r in rows[:3]]
    rows[1]["date_start"] = "yesterday"
    path = write_country(tmp_path / "bad.csv", header, rows)
    result = runner.invoke(app, ["load", "ucdp-ged", str(path)], env=env)
    assert result.exit_code == 0
    assert "rejected: bad.csv, row 3, field 'date_start', value 'yesterday'" in result.output
    assert "rejects: " in result.output


def test_panel_indicators_and_brief_commands(env, tmp_path):
    runner.invoke(app, ["load-shared", "--countries", "MLI,BFA"], env=env)
    out = tmp_path / "panel.csv"
    result = runner.invoke(
        app,
        [
            "panel",
            "--unit",
            "admin1",
            "--country",
            "MLI",
            "--from",
            "2022-01-01",
            "--to",
            "2022-12-31",
            "--out",
            str(out),
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    import pandas as pd

    frame = pd.read_csv(out)
    assert frame["fatalities_best"].sum() + frame["imprecise_fatalities_best"].sum() == 3650
    result = runner.invoke(app, ["indicators", "MLI"], env=env)
    assert "security.attacks_on_peacekeepers" in result.output
    result = runner.invoke(
        app, ["indicators", "MLI", "--name", "political.coups", "--query"], env=env
    )
    assert result.exit_code == 0 and "2020-08-18" in result.output and "FROM coups" in result.output
    html = tmp_path / "b.html"
    result = runner.invoke(app, ["brief", "MLI", "--out", str(html)], env=env)
    assert result.exit_code == 0, result.output
    assert "The security environment" in html.read_text(encoding="utf-8")
    bad = runner.invoke(app, ["panel", "--unit", "district", "--country", "MLI"], env=env)
    assert bad.exit_code == 2 and "site:<km>" in bad.output


def test_impact_command(env, tmp_path):
    runner.invoke(app, ["load-shared", "--countries", "MLI"], env=env)
    out = tmp_path / "impact"
    result = runner.invoke(
        app,
        [
            "impact",
            "--country",
            "MLI",
            "--radius",
            "25",
            "--replications",
            "199",
            "--out",
            str(out),
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "Within 25 km" in result.output and "Placebo" in result.output
    assert (out / "per_site.csv").is_file() and (out / "event_study.svg").is_file()
    bad = runner.invoke(
        app, ["impact", "--country", "MLI", "--radius", "near", "--out", str(out)], env=env
    )
    assert bad.exit_code == 2 and "--radius" in bad.output
    bad = runner.invoke(
        app, ["impact", "--country", "MLI", "--outcome", "deaths", "--out", str(out)], env=env
    )
    assert bad.exit_code == 2 and "outcome" in bad.output


def test_backtest_command(env, tmp_path):
    runner.invoke(app, ["load-shared", "--countries", "MLI,BFA"], env=env)
    result = runner.invoke(
        app,
        [
            *("backtest", "--country", "MLI,BFA", "--years", "2023", "--views"),
            *("--jobs", "2", "--out", str(tmp_path / "bt")),
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "conflictology_12" in result.output and "gbm_hurdle" in result.output
    # The choice per country, the per-country-year table and the goals, met or not.
    assert "Chosen by validation" in result.output and "Per country and test year" in result.output
    assert "Goals (issue 15)" in result.output and "met" in result.output
    chosen = pd.read_csv(tmp_path / "bt" / "selected.csv")
    assert list(chosen["country"].sort_values()) == ["BFA", "MLI"]
    assert (chosen["year"] == 2023).all()
    assert (tmp_path / "bt" / "by_country_year.csv").is_file()
    assert (tmp_path / "bt" / "goals.csv").is_file()
    assert (
        tmp_path / "bt" / "views_comparison.csv"
    ).is_file() and "Brier for P(>= 25)" in result.output
    assert (tmp_path / "bt" / "pit_histogram.svg").read_text().startswith("<svg")
    assert (tmp_path / "bt" / "forecasts.csv.gz").is_file()
    bad = runner.invoke(app, ["backtest", "--unit", "district"], env=env)
    assert bad.exit_code == 2 and "priogrid" in bad.output
    bad = runner.invoke(app, ["backtest", "--years", "last"], env=env)
    assert bad.exit_code == 2 and "--years" in bad.output


def test_forecast_command(env, tmp_path):
    runner.invoke(app, ["load-shared", "--countries", "MLI"], env=env)
    out = tmp_path / "f.csv"
    result = runner.invoke(app, ["forecast", "MLI", "--horizon", "3", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    import pandas as pd

    frame = pd.read_csv(out)
    assert len(frame) == 3 and {"q05", "median", "q95", "p_ge_25"} <= set(frame.columns)
    scen = runner.invoke(
        app,
        [
            "forecast",
            "MLI",
            "--unit",
            "admin1",
            "--horizon",
            "3",
            "--scenario",
            "withdrawal",
            "--out",
            str(tmp_path / "s.csv"),
        ],
        env=env,
    )
    assert scen.exit_code == 0, scen.output
    assert "not a causal estimate" in scen.output
    bad = runner.invoke(app, ["forecast", "MLI", "--model", "oracle"], env=env)
    assert bad.exit_code == 2 and "model" in bad.output


def test_a_country_that_is_not_loaded_is_an_error_not_empty_output(env):
    from tests.conftest import GED_BFA

    assert runner.invoke(app, ["load", "ucdp-ged", str(GED_BFA)], env=env).exit_code == 0
    for args in (
        ["summary", "--country", "XXX"],
        ["events", "--country", "XXX"],
        ["indicators", "ZZZ"],
        ["indicators", "ZZZ", "--name", "security.ged_by_year"],
    ):
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 2, (args, result.output)
        assert "it has events for BFA" in result.output, args
    result = runner.invoke(app, ["load-shared", "--countries", "XXX"], env=env)
    assert result.exit_code == 2 and "no files for XXX" in result.output and "MLI" in result.output


@pytest.mark.parametrize("unit", ["country", "admin1", "priogrid", "site:50"])
def test_panel_parquet_at_every_unit(env, tmp_path, unit):
    import pandas as pd

    from tests.conftest import BOUNDARIES, REFERENCE

    for args in (
        ["load", "boundaries", str(BOUNDARIES / "mli_admin1.geojson")],
        ["load", "ucdp-ged", str(GED_MALI)],
        ["load", "camps", str(REFERENCE / "minusma_camps.csv")],
    ):
        assert runner.invoke(app, args, env=env).exit_code == 0
    out = tmp_path / "p.parquet"
    result = runner.invoke(
        app,
        ["panel", "--unit", unit, "--country", "MLI", "--format", "parquet", "--out", str(out)],
        env=env,
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert frame["events"].sum() + frame["imprecise_events"].sum() >= 1
    assert (
        frame.attrs["spec"]["country"] == "MLI"
        and frame.attrs["spec"]["unit"] == unit.split(":")[0]
    )


def test_brief_says_each_section_as_it_goes_when_not_on_a_terminal(env, monkeypatch, tmp_path):
    """The CLI wiring only (the briefing itself is tested in tests/report): a log gets a line
    per section while the briefing is built, not silence until the end."""
    from tests.conftest import GED_BFA

    assert runner.invoke(app, ["load", "ucdp-ged", str(GED_BFA)], env=env).exit_code == 0
    seen = []

    def fake_write(_st, _country, out, _pdf, _a, _b, progress, licensed=True, _lang="en"):
        for name in ("indicators", "security", "outlook"):
            progress(name)
        seen.append(licensed)
        out.write_text("ok")

    monkeypatch.setattr("peacewatch.cli.briefing.write", fake_write)
    result = runner.invoke(app, ["brief", "BFA", "--out", str(tmp_path / "b.html"), "--public"],
                           env=env)  # fmt: skip
    assert result.exit_code == 0, result.output
    for name in ("indicators", "security", "outlook"):
        assert f"briefing BFA: {name} (" in result.output
    assert seen == [False]  # --public: no licensed raw rows


HEAVY = ("pandas", "numpy", "duckdb", "sklearn", "statsmodels", "weasyprint", "matplotlib")


def test_help_loads_none_of_the_stages():
    """`peacewatch --help` and a command's help import no heavy library (issue 16: 4.7 s when
    every command imported statsmodels, WeasyPrint and the forecasts; the time is measured by
    benchmarks/help_speed.py, not here)."""
    code = (
        "import sys, importlib.util\n"
        "from peacewatch.cli import app\n"
        "for args in (['--help'], ['backtest', '--help'], ['alerts', '--help']):\n"
        "    try:\n"
        "        app(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"heavy = {HEAVY!r}\n"
        "loaded = [n for n in heavy if n in sys.modules\n"
        "          and not isinstance(sys.modules[n], importlib.util._LazyModule)]\n"
        "print('LOADED', loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert "LOADED []" in done.stdout, done.stdout[-2000:]
    assert "backtest" in done.stdout and "--validation-years" in done.stdout


def test_the_lazy_stages_still_run():
    """A command after --help works: the lazy module loads on first use."""
    result = runner.invoke(app, ["alerts", "--help"])
    assert result.exit_code == 0 and "--lookback" in result.stdout
    from peacewatch import lazy

    frame = lazy.module("pandas").DataFrame({"a": [1]})
    assert frame["a"].sum() == 1


def test_the_sources_listed_by_help_are_the_loaders():
    from peacewatch.loading import REGISTRY
    from peacewatch.schema import SOURCES

    assert sorted(SOURCES) == sorted(REGISTRY)


BLAS = (
    "import peacewatch.cli, numpy\n"
    "from threadpoolctl import threadpool_info\n"
    "print(sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}))\n"
)


def _blas(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLAS], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.mark.parametrize(("value", "threads"), [("", "[1]"), ("2", "[2]")])
def test_blas_threads_follow_the_setting(value, threads):
    """The command line sets BLAS to PEACEWATCH_BLAS_THREADS (default 1) before numpy loads;
    a BLAS variable the user set is kept; a bad value is a clear error, exit 2."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    env["PEACEWATCH_BLAS_THREADS"] = value
    done = _blas(env)
    assert done.stdout.strip() == threads, done.stderr[-1000:]
    assert _blas({**env, "OPENBLAS_NUM_THREADS": "2"}).stdout.strip() == "[2]"
    bad = _blas({**env, "PEACEWATCH_BLAS_THREADS": "many"})
    assert bad.returncode == 2 and "PEACEWATCH_BLAS_THREADS: 'many'" in bad.stderr


def test_a_panel_written_in_slices_under_a_small_memory_limit_is_the_whole_panel(env, tmp_path):
    """The command line writes the panel in slices of units sized from
    PEACEWATCH_MEMORY_LIMIT; a small limit (many slices) gives the file of a large one and
    the frame of `panel.panel`."""
    from peacewatch import panel
    from peacewatch.store import Store

    assert runner.invoke(app, ["load", "ucdp-ged", str(GED_MALI)], env=env).exit_code == 0
    args = ["panel", "--unit", "priogrid", "--country", "MLI", "--from", "2012-01-01",
            "--to", "2023-12-31", "--format", "parquet", "--out"]  # fmt: skip
    small, large = tmp_path / "small.parquet", tmp_path / "large.parquet"
    result = runner.invoke(app, [*args, str(small)], env={**env, "PEACEWATCH_MEMORY_LIMIT": "24MB"})
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, [*args, str(large)], env=env).exit_code == 0
    import pyarrow.parquet as pq

    assert pq.ParquetFile(small).num_row_groups > 3 > pq.ParquetFile(large).num_row_groups
    a, b = pd.read_parquet(small), pd.read_parquet(large)
    pd.testing.assert_frame_equal(a, b)
    with Store.open(env["PEACEWATCH_STORE"], read_only=True) as st:
        whole = panel.panel(st, "priogrid", "MLI", "2012-01-01", "2023-12-31")
    whole.attrs = a.attrs = {}
    pd.testing.assert_frame_equal(a, whole)
    assert f"wrote {len(whole)} rows ({whole['unit'].nunique()} units x 144 months)" in " ".join(
        result.output.split()
    )


def test_panel_refuses_a_bad_format_or_parquet_to_stdout_before_opening_the_store(env, tmp_path):
    """The options are checked first: no store is needed (none exists here) to be told."""
    for args, said in (
        (["--format", "xlsx"], "format: 'xlsx' is not one of csv, parquet"),
        (["--format", "geojson", "--out", str(tmp_path / "p.geojson")], "not one of csv, parquet"),
        (["--format", "parquet"], "parquet export needs --out PATH"),
        (["--out", str(tmp_path / "missing" / "p.csv")], "no such folder"),
    ):
        result = runner.invoke(
            app, ["panel", "--unit", "country", "--country", "MLI", *args], env=env
        )
        assert result.exit_code == 2 and said in " ".join(result.output.split()), args
