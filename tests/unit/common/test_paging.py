import datetime as dt

import pytest

from services.common import paging
from services.common.errors import ValidationFailed

T = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.timezone.utc)


def test_cursor_round_trip_and_page():
    assert paging.decode_cursor(paging.encode_cursor(T, "ca_1")) == (T, "ca_1")
    docs = [{"_id": "a%d" % i, "at": T + dt.timedelta(minutes=i)} for i in range(3)]
    out = paging.page(docs, 2, "at", lambda d: d["_id"])
    assert out["items"] == ["a0", "a1"]
    assert paging.decode_cursor(out["next_cursor"]) == (docs[1]["at"], "a1")
    assert paging.page(docs[:2], 2, "at", lambda d: d["_id"])["next_cursor"] is None


@pytest.mark.parametrize("junk", ["0" * 200, "not-a-cursor", "W10", "eyJhIjogMX0"])
def test_made_up_cursors_are_a_400(junk):
    with pytest.raises(ValidationFailed) as exc:
        paging.decode_cursor(junk)
    assert exc.value.code == "INVALID_CURSOR"


@pytest.mark.parametrize("value,ok", [(None, 20), ("5", 5), ("0", None), ("x", None), ("500", None)])
def test_limit(value, ok):
    if ok:
        assert paging.limit_of({"limit": value}) == ok
    else:
        with pytest.raises(ValidationFailed):
            paging.limit_of({"limit": value})
