import logging

import pytest
from cryptography.exceptions import InvalidTag

from services.common import crypto
from services.common.logging_setup import RedactPersonalData


@pytest.fixture
def pii():
    return crypto.PersonalData(crypto.new_key_b64(), crypto.new_key_b64())


def test_encryption_round_trip_and_randomised(pii):
    a, b = pii.encrypt("500113198001011234"), pii.encrypt("500113198001011234")
    assert a != b and a.startswith("v1:") and "500113" not in a
    assert pii.decrypt(a) == "500113198001011234"


def test_tampered_ciphertext_is_rejected(pii):
    token = pii.encrypt("13800138000")
    raw = bytearray(token.encode())
    raw[-3] = ord("A") if raw[-3] != ord("A") else ord("B")
    with pytest.raises((InvalidTag, ValueError)):
        pii.decrypt(raw.decode())


def test_blind_index_is_deterministic_keyed_and_purpose_separated(pii):
    other = crypto.PersonalData(crypto.new_key_b64(), crypto.new_key_b64())
    assert pii.blind_index("x", "id") == pii.blind_index("x", "id")
    assert pii.blind_index("x", "id") != pii.blind_index("x", "phone")
    assert pii.blind_index("x", "id") != other.blind_index("x", "id")


def test_bad_keys_are_refused():
    with pytest.raises(RuntimeError):
        crypto.PersonalData(None, crypto.new_key_b64())
    with pytest.raises(RuntimeError):
        crypto.PersonalData("c2hvcnQ=", crypto.new_key_b64())


def test_masks():
    assert crypto.mask_phone("13800138000") == "138****8000"
    assert crypto.mask_name("欧阳娜娜") == "欧***"
    assert crypto.mask_account("6222020200112233445") == "**** 3445"


def test_log_filter_redacts_personal_data():
    record = logging.LogRecord("x", logging.INFO, __file__, 1,
                               "id %s phone %s card %s", ("11010519491231002X", "13800138000",
                                                          "6222020200112233445"), None)
    RedactPersonalData().filter(record)
    text = record.getMessage()
    assert "11010519491231002X" not in text and "13800138000" not in text
    assert "6222020200112233445" not in text
    assert "[id-number]" in text and "[phone]" in text and "[account]" in text


def test_our_hex_identifiers_are_not_taken_for_personal_data():
    # real event ids whose digit runs look like a card number and a phone number
    ids = "653d3359970440408540c4858637efec 1b645ae22c99426289311900810a815f"
    line = "duplicate event %s dropped; phone 13800138000, card:6222020200112233445" % ids
    assert crypto.redact(line) == ("duplicate event %s dropped; phone [phone], card:[account]" % ids)
    assert crypto.personal_data(line) == ["phone", "account"]
    # a number glued to an all-digit or non-hex token is still found
    assert crypto.personal_data("tel13800138000 id=11010519491231002X") == ["phone", "id_number"]
    assert crypto.personal_data("53d3359970440408540c") == ["account"]   # too short for an id


def test_expected_business_errors_are_logged_without_their_trace():
    from services.common.logging_setup import ExpectedErrorsBrief
    try:
        raise ValueError("SLOT_FULL")
    except ValueError:
        import sys
        info = sys.exc_info()
    expected = logging.LogRecord("nameko.containers", logging.WARNING, __file__, 1,
                                 "(expected) error handling worker %s: %s", ("w", "SLOT_FULL"), info)
    unexpected = logging.LogRecord("nameko.containers", logging.ERROR, __file__, 1,
                                   "error handling worker %s: %s", ("w", "boom"), info)
    assert ExpectedErrorsBrief().filter(expected) and ExpectedErrorsBrief().filter(unexpected)
    assert expected.exc_info is None and unexpected.exc_info is info
