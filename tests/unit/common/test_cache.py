"""DocumentCache: what a process keeps, for how long, and what a change drops."""
import time

from services.common.cache import DocumentCache


def loader(docs, calls):
    def load(key):
        calls.append(key)
        return docs.get(key)
    return load


def test_a_document_is_loaded_once_then_served_as_a_copy():
    docs, calls = {"a": {"_id": "a", "n": 1}}, []
    cache, load = DocumentCache(), loader(docs, calls)
    first = cache.get("a", lambda: load("a"))
    first["n"] = 99                                   # the caller's copy, not the cache's
    assert cache.get("a", lambda: load("a")) == {"_id": "a", "n": 1}
    assert calls == ["a"]
    assert cache.get("missing", lambda: load("missing")) is None
    assert cache.get("missing", lambda: load("missing")) is None
    assert calls == ["a", "missing", "missing"], "an absent document is not remembered"


def test_a_change_drops_it_here_and_is_broadcast():
    sent, calls = [], []
    cache, load = DocumentCache(), loader({"a": {"_id": "a"}}, calls)
    cache.broadcast = sent.extend
    cache.get(("db", "accounts", "a"), lambda: load("a"))
    cache.changed(("db", "accounts", "a"))
    assert sent == [["db", "accounts", "a"]]
    cache.get(("db", "accounts", "a"), lambda: load("a"))
    assert calls == ["a", "a"]
    cache.drop([["db", "accounts", "a"]])             # as a broadcast arrives: lists
    cache.get(("db", "accounts", "a"), lambda: load("a"))
    assert calls == ["a", "a", "a"]


def test_a_load_overlapping_a_change_is_not_kept():
    cache, calls = DocumentCache(), []

    def load_while_changed():
        calls.append(1)
        cache.drop([("other",)])                      # a change arrives while the read is out
        return {"_id": "a", "old": True}
    assert cache.get("a", load_while_changed) == {"_id": "a", "old": True}
    cache.get("a", load_while_changed)
    assert len(calls) == 2


def test_oldest_used_go_first_and_age_expires():
    cache = DocumentCache(max_entries=2, max_age=0.05)
    calls = []
    for key in ("a", "b", "a", "c"):                  # "b" is the least recently used
        cache.get(key, lambda k=key: calls.append(k) or {"_id": k})
    cache.get("a", lambda: calls.append("a") or {"_id": "a"})
    cache.get("b", lambda: calls.append("b") or {"_id": "b"})
    assert calls == ["a", "b", "c", "b"]
    time.sleep(0.06)
    cache.get("b", lambda: calls.append("b") or {"_id": "b"})
    assert calls[-1] == "b" and len(calls) == 5
