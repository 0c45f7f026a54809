import io
import json

import pytest

from services.certificate import credential as cr
from services.certificate import domain, offline_verify
from .factories import MONDAY, certificate

NOW = (MONDAY + __import__("datetime").timedelta(hours=1)).isoformat()


@pytest.fixture
def files(tmp_path):
    ring = cr.new_keyring("k1", MONDAY, b"\x05" * 32)
    good = certificate(cid="good")
    bad = certificate(cid="bad")
    tokens = {c["id"]: cr.issue_credential(c, "王小明", ring, MONDAY)["token"] for c in (good, bad)}
    rl = cr.sign_revocation_list([domain.revocation_entry(domain.cancel(bad, "fraud", MONDAY))],
                                 ring, MONDAY)
    (tmp_path / "rl.json").write_text(json.dumps(rl), encoding="utf-8")
    (tmp_path / "keys.json").write_text(json.dumps(cr.public_keys(ring)), encoding="utf-8")
    (tmp_path / "token.txt").write_text(tokens["good"] + "\n", encoding="utf-8")
    return tmp_path, tokens


def run(args, stdin=""):
    out = io.StringIO()
    code = offline_verify.main(args, stdin=io.StringIO(stdin), stdout=out)
    return code, out.getvalue()


def test_cli_valid_revoked_and_bad_input(files):
    path, tokens = files
    common = ["--revocations", str(path / "rl.json"), "--keys", str(path / "keys.json"),
              "--now", NOW]
    code, out = run(["--token", "@" + str(path / "token.txt")] + common)
    assert code == 0 and json.loads(out)["status"] == "valid"
    assert json.loads(out)["holder_name_masked"] == "王**"
    code, out = run(["--token", "-"] + common, stdin=tokens["bad"])
    assert code == 1 and json.loads(out)["status"] == "cancelled"
    code, out = run(["--token", tokens["good"][:-4] + "AAAA"] + common)
    assert code == 1 and json.loads(out)["status"] == "invalid"
    code, out = run(["--token", tokens["good"], "--revocations", str(path / "missing.json"),
                     "--keys", str(path / "keys.json")])
    assert code == 2 and json.loads(out)["status"] == "error"
    code, out = run(["--token", tokens["good"]] + common[:-1] + ["2024-06-03T10:00:00"])
    assert code == 2
