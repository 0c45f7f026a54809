"""Signed electronic certificate: sign, verify, forge, alter, expire, wrong kid, revoke, rotate."""
import base64
import datetime as dt
import json

import pytest

from services.common.errors import Conflict, RuleRefused, ValidationFailed
from services.certificate import credential as cr
from services.certificate import domain
from .factories import MONDAY, certificate

SEED_A, SEED_B, SEED_X = b"\x01" * 32, b"\x02" * 32, b"\x09" * 32
H = dt.timedelta(hours=1)


@pytest.fixture
def ring():
    return cr.new_keyring("k2024", MONDAY, SEED_A)


@pytest.fixture
def cert():
    return certificate(cid="cert-1", valid_until="2030-01-01")


def issue(ring, cert, now=MONDAY):
    return cr.issue_credential(cert, "张三丰", ring, now)["token"]


def empty_list(ring, now=MONDAY):
    return cr.sign_revocation_list([], ring, now)


def test_a_genuine_credential_verifies(ring, cert):
    issued = cr.issue_credential(cert, "张三丰", ring, MONDAY)
    assert issued["expires_at"] == MONDAY + dt.timedelta(hours=24) and issued["kid"] == "k2024"
    v = cr.verify_offline(issued["token"], empty_list(ring), cr.public_keys(ring), MONDAY + H)
    assert v["status"] == "valid" and v["reason"] is None
    assert v["holder_name_masked"] == "张**" and "张三丰" not in issued["token"]
    assert (v["category"], v["category_name"], v["grade"], v["grade_name"]) == (4, "肢体", 2, "二级")
    assert v["valid_until"] == "2030-01-01" and v["certificate_id"] == "cert-1"
    payload = json.loads(cr.b64d(issued["token"].split(".")[0]))
    assert cert["number"] not in json.dumps(payload) and payload["kid"] == "k2024"


def test_a_forged_credential_is_rejected(ring, cert):
    forger = cr.new_keyring("k2024", MONDAY, SEED_X)  # same kid, another private key
    token = issue(forger, cert)
    v = cr.verify_offline(token, empty_list(ring), cr.public_keys(ring), MONDAY)
    assert v == {"status": "invalid", "reason": "bad_signature"}


@pytest.mark.parametrize("field,value", [("gr", 1), ("vu", "2099-01-01"), ("cid", "cert-2"),
                                         ("exp", 4102444800), ("nm", "李**")])
def test_an_altered_credential_is_rejected(ring, cert, field, value):
    head, sig = issue(ring, cert).split(".")
    payload = json.loads(cr.b64d(head))
    payload[field] = value
    altered = cr.b64e(cr.canonical_json(payload)) + "." + sig
    assert cr.verify_token(altered, cr.public_keys(ring), MONDAY) == {
        "status": "invalid", "reason": "bad_signature"}


def test_a_flipped_signature_bit_is_rejected(ring, cert):
    head, sig = issue(ring, cert).split(".")
    raw = bytearray(cr.b64d(sig))
    raw[0] ^= 1
    assert cr.verify_token(head + "." + cr.b64e(bytes(raw)), cr.public_keys(ring),
                           MONDAY)["reason"] == "bad_signature"


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "!!!.???", None, 42,
                                   cr.b64e(b"[1,2]") + "." + cr.b64e(b"x" * 64),
                                   cr.b64e(b'{"typ":"dpc","v":2}') + "." + cr.b64e(b"x" * 64)])
def test_malformed_tokens(ring, token):
    assert cr.verify_token(token, cr.public_keys(ring), MONDAY) == {
        "status": "invalid", "reason": "malformed"}


def test_an_expired_token_is_rejected(ring, cert):
    token = issue(ring, cert)
    keys = cr.public_keys(ring)
    assert cr.verify_token(token, keys, MONDAY + dt.timedelta(hours=23, minutes=59))["status"] == "valid"
    v = cr.verify_offline(token, empty_list(ring, MONDAY + dt.timedelta(hours=24)), keys,
                          MONDAY + dt.timedelta(hours=24))
    assert (v["status"], v["reason"]) == ("expired", "token_expired")


def test_an_expired_certificate_is_rejected_even_with_a_fresh_token(ring, cert):
    token = issue(ring, certificate(cid="c", valid_until="2024-06-04"))
    keys = cr.public_keys(ring)
    assert cr.verify_token(token, keys, MONDAY)["status"] == "valid"
    # 2024-06-05 00:30 Shanghai
    v = cr.verify_token(token, keys, dt.datetime(2024, 6, 4, 16, 30, tzinfo=dt.timezone.utc))
    assert (v["status"], v["reason"]) == ("expired", "certificate_expired")


def test_a_token_from_the_future_is_rejected(ring, cert):
    token = issue(ring, cert, MONDAY + H)
    assert cr.verify_token(token, cr.public_keys(ring), MONDAY)["reason"] == "not_yet_valid"


@pytest.mark.parametrize("status", ["cancelled", "replaced", "valid_but_expired"])
def test_no_credential_for_a_certificate_that_is_not_valid(ring, status):
    cert = (certificate(valid_until="2024-01-01") if status == "valid_but_expired"
            else certificate(status=status))
    with pytest.raises(RuleRefused) as e:
        cr.issue_credential(cert, "张三", ring, MONDAY)
    assert e.value.code == "CERTIFICATE_NOT_VALID"


def test_wrong_kid_is_rejected(ring, cert):
    other = cr.new_keyring("k-other", MONDAY, SEED_B)
    token = issue(other, cert)
    assert cr.verify_token(token, cr.public_keys(ring), MONDAY) == {
        "status": "invalid", "reason": "unknown_kid"}


@pytest.mark.parametrize("status", ["cancelled", "replaced"])
def test_a_revoked_credential_is_rejected_offline(ring, cert, status):
    token = issue(ring, cert)
    ended = (domain.cancel(cert, "death", MONDAY) if status == "cancelled"
             else domain.supersede(cert, "cert-9", MONDAY))
    rl = cr.sign_revocation_list([domain.revocation_entry(ended),
                                  {"certificate_id": "zzz", "status": "cancelled",
                                   "revoked_at": "2024-01-01T00:00:00+00:00"}], ring, MONDAY + H)
    v = cr.verify_offline(token, rl, cr.public_keys(ring), MONDAY + 2 * H)
    assert (v["status"], v["reason"]) == (status, "revoked")
    assert v["holder_name_masked"] == "张**"


def test_a_tampered_or_foreign_revocation_list_never_makes_a_token_valid(ring, cert):
    token = issue(ring, cert)
    keys = cr.public_keys(ring)
    rl = cr.sign_revocation_list([{"certificate_id": "cert-1", "status": "cancelled",
                                   "revoked_at": MONDAY}], ring, MONDAY)
    emptied = dict(rl, entries=[])  # someone strips the revocation
    assert cr.verify_offline(token, emptied, keys, MONDAY + H) == {
        "status": "invalid", "reason": "revocation_list_invalid"}
    forged = cr.sign_revocation_list([], cr.new_keyring("k2024", MONDAY, SEED_X), MONDAY)
    assert cr.verify_offline(token, forged, keys, MONDAY)["reason"] == "revocation_list_invalid"
    for broken in (None, {}, dict(rl, typ="dpc"), dict(rl, signature="###"),
                   dict(rl, kid=["k"])):
        assert cr.verify_offline(token, broken, keys, MONDAY)["reason"] == "revocation_list_invalid"


def test_a_stale_revocation_list_is_refused(ring, cert):
    token = issue(ring, cert, MONDAY + dt.timedelta(days=8))
    rl = empty_list(ring, MONDAY)
    v = cr.verify_offline(token, rl, cr.public_keys(ring), MONDAY + dt.timedelta(days=8))
    assert v == {"status": "invalid", "reason": "revocation_list_stale"}
    assert cr.verify_offline(token, rl, cr.public_keys(ring), MONDAY + dt.timedelta(days=8),
                             max_list_age=dt.timedelta(days=9))["status"] == "valid"
    with pytest.raises(ValidationFailed) as e:
        cr.verify_revocation_list(empty_list(ring, MONDAY + H), cr.public_keys(ring), MONDAY)
    assert e.value.details["reason"] == "invalid"  # issued in the future


def test_revocation_list_rejects_bad_entries(ring):
    with pytest.raises(ValidationFailed):
        cr.sign_revocation_list([{"certificate_id": "a", "status": "valid",
                                  "revoked_at": MONDAY}], ring, MONDAY)


def test_rotation_old_kid_verifies_until_retired(ring, cert):
    old_token = issue(ring, cert)
    rotated = cr.rotate(ring, "k2025", MONDAY, SEED_B)
    assert rotated["active"] == "k2025"
    assert {k["kid"]: k["status"] for k in rotated["keys"]} == {"k2024": "verify_only",
                                                               "k2025": "active"}
    new_token = issue(rotated, cert)
    assert json.loads(cr.b64d(new_token.split(".")[0]))["kid"] == "k2025"
    keys = cr.public_keys(rotated)
    rl = empty_list(rotated)
    assert cr.verify_offline(old_token, rl, keys, MONDAY)["status"] == "valid"
    assert cr.verify_offline(new_token, rl, keys, MONDAY)["status"] == "valid"
    retired = cr.retire(rotated, "k2024")
    keys = cr.public_keys(retired)
    assert [k["kid"] for k in keys["keys"]] == ["k2025"]
    assert cr.verify_offline(old_token, empty_list(retired), keys, MONDAY)["reason"] == "unknown_kid"
    assert cr.verify_offline(new_token, empty_list(retired), keys, MONDAY)["status"] == "valid"


def test_key_ring_guards(ring):
    with pytest.raises(Conflict):
        cr.rotate(ring, "k2024", MONDAY)
    with pytest.raises(Conflict):
        cr.retire(ring, "k2024")
    with pytest.raises(ValidationFailed):
        cr.retire(ring, "nope")
    with pytest.raises(ValidationFailed):
        cr.new_key("", MONDAY)
    with pytest.raises(ValidationFailed):
        cr.issue_credential(certificate(), "张三", dict(ring, active="ghost"), MONDAY)
    assert cr.new_key("k", MONDAY)["private_key"] != cr.new_key("k", MONDAY)["private_key"]


def test_public_key_formats(ring, cert):
    token = issue(ring, cert)
    mapping = {k["kid"]: k["x"] for k in cr.public_keys(ring)["keys"]}
    assert cr.verify_token(token, mapping, MONDAY)["status"] == "valid"
    assert cr.verify_token(token, cr.load_public_keys(mapping), MONDAY)["status"] == "valid"
    assert "private_key" not in json.dumps(cr.public_keys(ring))
    for bad in ([], {"k2024": "!!"}, {"k2024": cr.b64e(b"short")}):
        with pytest.raises(ValidationFailed):
            cr.load_public_keys(bad)


def test_online_verification_follows_the_live_record(ring, cert):
    token = issue(ring, cert)
    keys = cr.public_keys(ring)
    assert cr.certificate_id_of(token) == "cert-1" and cr.certificate_id_of("junk") is None
    assert cr.verify_online(token, keys, MONDAY, cert)["status"] == "valid"
    cancelled = domain.cancel(cert, "death", MONDAY)
    assert cr.verify_online(token, keys, MONDAY, cancelled)["status"] == "cancelled"
    replaced = domain.supersede(cert, "x", MONDAY)
    assert cr.verify_online(token, keys, MONDAY, replaced)["status"] == "replaced"
    assert cr.verify_online(token, keys, MONDAY, None)["reason"] == "unknown_certificate"
    assert cr.verify_online("x.y", keys, MONDAY, cert)["status"] == "invalid"


@pytest.mark.parametrize("name,masked", [("张三丰", "张**"), ("欧阳娜娜", "欧***"), ("李", "*"),
                                         ("", "*")])
def test_mask_name(name, masked):
    assert cr.mask_name(name) == masked


def test_b64_is_strict():
    for bad in ("abc=", "", None, "a*b"):
        with pytest.raises(ValueError):
            cr.b64d(bad)
    assert cr.b64d(cr.b64e(b"\xff\x00")) == b"\xff\x00"
    assert base64.urlsafe_b64decode(cr.b64e(b"ab") + "==") == b"ab"
