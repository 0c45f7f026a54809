import datetime as dt

import pytest

from services.common import idnumber
from services.common.errors import ValidationFailed

VALID = "11010519491231002X"  # the standard's own example


def test_check_character_of_the_standard_example():
    assert idnumber.check_character(VALID[:17]) == "X"
    assert idnumber.validate(VALID.lower()) == VALID


@pytest.mark.parametrize("bad,detail", [
    ("110105194912310021", "校验位不正确"),
    ("11010519491231002", "格式不正确"),
    ("1101051949123100XX", "格式不正确"),
    ("110105194913310028", None),  # month 13
    ("", "格式不正确"),
])
def test_invalid_numbers_are_refused_with_a_reason(bad, detail):
    with pytest.raises(ValidationFailed) as exc:
        idnumber.validate(bad)
    if detail:
        assert exc.value.details["id_number"] == [detail]


def test_birth_date_sex_age_and_mask():
    n = idnumber.make("50011319800101123")
    assert idnumber.birth_date(n) == dt.date(1980, 1, 1)
    assert idnumber.sex(n) == "M"
    assert idnumber.age_on(n, dt.date(2026, 1, 1)) == 46
    assert idnumber.age_on(n, dt.date(2025, 12, 31)) == 45
    assert idnumber.mask(n) == "500***********" + n[-4:]
