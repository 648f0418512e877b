"""The response cache and the memo of slow analyses: writes make both forget."""

from types import SimpleNamespace

from peacewatch.web.cache import ResponseCache, memo


def test_memo_computes_once_per_store_state_and_frees_stale_entries():
    state = SimpleNamespace(response_cache=ResponseCache(), memo={})
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert memo(state, ("briefing", "MLI"), compute) == 1
    assert memo(state, ("briefing", "MLI"), compute) == 1
    state.response_cache.invalidate()  # a write
    assert memo(state, ("briefing", "MLI"), compute) == 2
    assert len(state.memo) == 1  # the stale entry is gone


def test_cached_answers_are_dropped_by_a_write_and_not_kept_across_one():
    cache = ResponseCache(entries=2)
    key = cache.key("GET", "/api/panels", b"b=2&a=1")
    assert key == cache.key("GET", "/api/panels", b"a=1&b=2")
    assert cache.key("GET", "/api/incidents", b"") is None  # caller-dependent: never cached
    assert cache.key("POST", "/api/panels", b"") is None
    before = cache.generation
    cache.put(key, (200, [], b"x"), before)
    assert cache.get(key) == (200, [], b"x")
    cache.invalidate()
    assert cache.get(key) is None
    cache.put(key, (200, [], b"old"), before)  # computed before the write: not kept
    assert cache.get(key) is None
    for i in range(3):  # LRU bound
        cache.put(f"k{i}", (200, [], b""), cache.generation)
    assert cache.get("k0") is None and cache.get("k2") is not None
