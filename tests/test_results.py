"""Heavy results computed once per store generation, kept beside the store, stale after a load."""

import stat

from peacewatch import results
from peacewatch.loading import load_file
from peacewatch.store import Store
from tests.conftest import DATA, REFERENCE

COUPS = DATA / "coups_powell_thyne" / "powell_thyne_coups_V2022.11.29.csv"


def test_a_result_is_computed_once_per_generation_and_again_after_a_load(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"answer": len(calls)}

    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        load_file(store, "coups", COUPS)
        first = results.cached(store, "probe", compute, "MLI")
        assert results.cached(store, "probe", compute, "MLI") == first == {"answer": 1}
        assert results.cached(store, "probe", compute, "BFA") == {"answer": 2}  # other arguments
        folder = results.folder(store)
        assert folder is not None
        files = sorted(folder.glob("probe-*.pkl"))
        assert len(files) == 2
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    # A new process (memory cleared) reads the file, not compute.
    results.clear_memory()
    with Store.open(path) as store:
        assert results.cached(store, "probe", compute, "MLI") == {"answer": 1}
        assert len(calls) == 2
        before = results.generation(store)
        load_file(store, "timeline", REFERENCE / "mali_timeline.csv")
        assert results.generation(store) != before
        assert results.cached(store, "probe", compute, "MLI") == {"answer": 3}  # stale: again
        # The older generation's file of the same result is gone; the other result's stays.
        assert len(list(folder.glob("probe-*.pkl"))) == 2
        again = results.generation(store)
        load_file(store, "timeline", REFERENCE / "mali_timeline.csv")  # the same file again
        assert results.generation(store) == again  # loading it twice changes nothing


def test_a_folder_that_cannot_be_written_keeps_results_in_memory(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        load_file(store, "coups", COUPS)
    (tmp_path / "s.duckdb.results").write_text("not a folder")  # mkdir fails
    results.clear_memory()
    with Store.open(path, read_only=True) as store:
        assert results.cached(store, "probe", lambda: 41 + 1) == 42
        assert results.cached(store, "probe", lambda: 0) == 42
