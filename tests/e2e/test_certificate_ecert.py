"""The electronic certificate: online (/verify) and offline (offline_verify with /verify/keys and
/verify/revocations) verification of genuine, forged, altered, expired and revoked credentials;
consent codes single use and short-lived."""
import base64
import datetime as dt
import io
import json
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.certificate import credential as cr
from services.certificate.offline_verify import main as offline_cli
from tests.e2e.certificate_flow import (bind_certificate_events, cert_events, person_number,  # noqa: F401
                                        Staff, act, clock_reset, file_application,  # noqa: F401
                                        issue_certificate, move_clock, ok, stack_now)


def verify(api, token, code=None):
    """Public, no login; a fresh caller address each time (the verify rate limit is per caller)."""
    return api.get("/verify/" + token, params={"code": code} if code else None,
                   headers={"X-Forwarded-For": "10.%d.%d.%d" % tuple(uuid.uuid4().bytes[:3])})


def offline(api, stack, token, now=None):
    keys = ok(api.get("/verify/keys"))
    revocations = ok(api.get("/verify/revocations"))
    return cr.verify_offline(token, revocations, keys, now or stack_now(stack))


def holder(api, stack, name="周杰"):
    number = person_number("500113")
    token, me = api.bound_citizen(name, id_number=number)
    pid = me["person"]["id"]
    cert, _ = issue_certificate(api, stack, pid, token, "500113", 2, 3)
    return token, pid, cert, number


def forge(token, **changes):
    head, sig = token.split(".")
    payload = json.loads(cr.b64d(head))
    payload.update(changes)
    return cr.b64e(cr.canonical_json(payload)) + "." + sig


def test_genuine_altered_forged_and_expired_credentials(api, stack, clock_reset):  # noqa: F811
    token, pid, cert, number = holder(api, stack)
    body = ok(api.get("/people/%s/certificate/credential" % pid, token=token))
    assert base64.b64decode(body["qr_png_base64"]).startswith(b"\x89PNG")
    cred = body["token"]
    assert number not in json.dumps(body) and "周" in cr.b64d(cred.split(".")[0]).decode()

    v = ok(verify(api, cred))
    assert v["status"] == "valid" and v["holder_name_masked"] == "周*"
    assert (v["category"], v["grade"], v["valid_until"]) == (2, 3, cert["valid_until"])
    assert "details" not in v and number not in json.dumps(v)
    assert offline(api, stack, cred)["status"] == "valid"

    altered = forge(cred, gr=1)                       # a better grade, same signature
    v = ok(verify(api, altered))
    assert (v["status"], v["reason"]) == ("invalid", "bad_signature") and "grade" not in v
    assert offline(api, stack, altered)["reason"] == "bad_signature"

    # signed by a key that is not ours, with our key id
    kid = ok(api.get("/verify/keys"))["keys"][0]["kid"]
    fake_ring = {"active": kid, "keys": [dict(cr.new_key(kid, stack_now(stack)), status="active")]}
    forged = cr.issue_credential({"id": cert["id"], "person_id": pid, "category": 1, "grade": 1,
                                  "status": "valid", "valid_until": "2099-01-01",
                                  "region": "500113"}, "周杰", fake_ring, stack_now(stack))["token"]
    assert ok(verify(api, forged))["status"] == "invalid"
    assert offline(api, stack, forged)["reason"] == "bad_signature"
    other_key = Ed25519PrivateKey.generate()
    head = cred.split(".")[0]
    resigned = head + "." + cr.b64e(other_key.sign(head.encode()))
    assert ok(verify(api, resigned))["reason"] == "bad_signature"
    assert ok(verify(api, "not-a-token"))["reason"] == "malformed"
    assert offline(api, stack, "not-a-token")["reason"] == "malformed"

    # the QR credential lives 24 hours; the certificate's own validity ends too
    keys, revocations = ok(api.get("/verify/keys")), ok(api.get("/verify/revocations"))
    move_clock(stack, 25 * 3600)
    v = ok(verify(api, cred))
    assert (v["status"], v["reason"]) == ("expired", "token_expired")
    later = stack_now(stack)
    assert cr.verify_offline(cred, revocations, keys, later)["reason"] == "token_expired"
    move_clock(stack, 11 * 366 * 86400)
    v = ok(verify(api, cred))
    assert (v["status"], v["reason"]) == ("expired", "certificate_expired")


def test_a_replaced_certificate_fails_online_at_once_and_offline_with_the_new_list(
        api, stack, tmp_path):
    token, pid, cert, _ = holder(api, stack, "吴磊")
    cred = ok(api.get("/people/%s/certificate/credential" % pid, token=token))["token"]
    old_list = ok(api.get("/verify/revocations"))
    staff = Staff(api, "500113")
    app = ok(file_application(api, token, pid, "replacement", reason="证件损坏"), 201)
    ok(act(api, staff.street, app["id"], "accept"))
    ok(act(api, staff.dpf, app["id"], "approve"))
    ok(act(api, staff.dpf, app["id"], "issue"))
    v = ok(verify(api, cred))
    assert (v["status"], v["reason"]) == ("replaced", "revoked")
    assert offline(api, stack, cred)["status"] == "replaced"
    # an offline verifier with the list fetched before the replacement still accepts it: the
    # list's age limit (168 h) bounds that window; a tampered list is refused
    keys = ok(api.get("/verify/keys"))
    assert cr.verify_offline(cred, old_list, keys, stack_now(stack))["status"] == "valid"
    tampered = dict(ok(api.get("/verify/revocations")), entries=[])
    assert cr.verify_offline(cred, tampered, keys, stack_now(stack))["reason"] == \
        "revocation_list_invalid"
    stale_at = stack_now(stack) + dt.timedelta(hours=169)
    assert cr.verify_offline(cred, old_list, keys, stale_at)["reason"] == "revocation_list_stale"
    # the documented command-line verifier gives the same verdict
    (tmp_path / "keys.json").write_text(json.dumps(keys))
    (tmp_path / "rev.json").write_text(json.dumps(ok(api.get("/verify/revocations"))))
    (tmp_path / "token.txt").write_text(cred)
    out = io.StringIO()
    code = offline_cli(["--token", "@%s" % (tmp_path / "token.txt"), "--revocations",
                        str(tmp_path / "rev.json"), "--keys", str(tmp_path / "keys.json"),
                        "--now", stack_now(stack).isoformat()], stdout=out)
    assert code == 1 and json.loads(out.getvalue())["status"] == "replaced"
    new_cred = ok(api.get("/people/%s/certificate/credential" % pid, token=token))["token"]
    assert ok(verify(api, new_cred))["status"] == "valid"


def test_disclosure_codes_are_single_use_and_short_lived(api, stack, clock_reset):  # noqa: F811
    token, pid, cert, number = holder(api, stack, "郑爽")
    cred = ok(api.get("/people/%s/certificate/credential" % pid, token=token))["token"]
    stranger, _ = api.bound_citizen("陌生人")
    assert api.post("/people/%s/certificate/disclosure-codes" % pid,
                    token=stranger).status_code == 403
    code = ok(api.post("/people/%s/certificate/disclosure-codes" % pid, token=token), 201)["code"]
    wrong = "000000" if code != "000000" else "111111"
    r = verify(api, cred, wrong)
    assert r.status_code == 400 and r.json()["error"]["code"] == "CODE_INVALID"
    v = ok(verify(api, cred, code))
    assert v["details"]["holder_name"] == "郑爽" and v["details"]["certificate_number"] == \
        number + "23"
    r = verify(api, cred, code)
    assert r.status_code == 409 and r.json()["error"]["code"] == "CODE_ALREADY_USED"

    code = ok(api.post("/people/%s/certificate/disclosure-codes" % pid, token=token), 201)["code"]
    move_clock(stack, 6 * 60)
    r = verify(api, cred, code)
    assert r.status_code == 422 and r.json()["error"]["code"] == "CODE_EXPIRED"
    move_clock(stack, 0)

    code = ok(api.post("/people/%s/certificate/disclosure-codes" % pid, token=token), 201)["code"]
    for _ in range(5):
        assert verify(api, cred, wrong).status_code == 400
    r = verify(api, cred, code)
    assert r.status_code == 422 and r.json()["error"]["code"] == "CODE_LOCKED"
