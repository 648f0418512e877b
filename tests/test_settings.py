import pytest

from peacewatch.errors import PeacewatchError
from peacewatch.settings import Settings, parse_bytes


@pytest.mark.parametrize(
    ("text", "expected"),
    [("512MB", 512_000_000), ("2GiB", 2 * 2**30), ("1.5 GB", 1_500_000_000), ("4096", 4096)],
)
def test_sizes_in_duckdbs_units(text, expected):
    assert parse_bytes(text, "X") == expected


@pytest.mark.parametrize("text", ["", "lots", "-1GB", "0MB", "12 parsecs"])
def test_a_bad_size_names_the_setting(text):
    with pytest.raises(PeacewatchError, match="PEACEWATCH_MEMORY_LIMIT"):
        assert Settings.from_env({"PEACEWATCH_MEMORY_LIMIT": text}).memory_bytes


def test_the_default_budget_is_duckdbs():
    assert Settings.from_env({}).memory_bytes == 512_000_000
