"""Resident ID numbers (居民身份证号码, GB 11643-1999): validation, birth date, sex, masking."""
import datetime as dt
import re

from services.common.errors import ValidationFailed

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def check_character(first17):
    """The mod 11-2 check character for the first 17 digits."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def normalise(id_number):
    return (id_number or "").strip().upper()


def validate(id_number, field="id_number"):
    """Return the normalised number, or raise ValidationFailed saying what is wrong."""
    n = normalise(id_number)
    if not _SHAPE.match(n):
        raise ValidationFailed("身份证号码应为18位，前17位是数字，最后一位是数字或X",
                               {field: ["格式不正确"]})
    if check_character(n[:17]) != n[17]:
        raise ValidationFailed("身份证号码校验位不正确，请核对后重新输入",
                               {field: ["校验位不正确"]})
    try:
        birth_date(n)
    except ValueError:
        raise ValidationFailed("身份证号码中的出生日期不正确", {field: ["出生日期不正确"]})
    return n


def birth_date(id_number):
    return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def sex(id_number):
    """'M' or 'F' from the 17th digit (odd is male)."""
    return "M" if int(id_number[16]) % 2 else "F"


def age_on(id_number, day):
    b = birth_date(id_number)
    return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


def mask(id_number):
    """Show the first 3 and last 4 characters: 500***********123X."""
    n = normalise(id_number)
    return n[:3] + "*" * (len(n) - 7) + n[-4:] if len(n) > 7 else "*" * len(n)


def make(first17):
    """A valid number from 17 digits (tests and demo data)."""
    return first17 + check_character(first17)
