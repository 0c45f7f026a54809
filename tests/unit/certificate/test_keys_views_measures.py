"""The key-ring file (created once, 0600, rotation keeps old tokens verifying), number masking,
and the dashboard's processing time per step."""
import datetime as dt
import os
import stat

from services.certificate import credential as cr
from services.certificate import keys, measures, views
from .factories import ID_NUMBER, MONDAY, certificate


def test_key_file_is_created_once_with_mode_0600(tmp_path):
    path = str(tmp_path / "k" / "credential_keys.json")
    first = keys.load_or_create(path, MONDAY)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert keys.load_or_create(path, MONDAY) == first
    assert len(cr.b64d(first["pepper"])) == 32


def test_rotation_keeps_old_credentials_verifying_and_workers_reload(tmp_path):
    path = str(tmp_path / "credential_keys.json")
    secrets = keys.Secrets(path)
    old_ring = secrets.keyring
    token = cr.issue_credential(certificate(), "张三", old_ring, MONDAY)["token"]
    keys.rotate(path, MONDAY)
    os.utime(path, ns=(1, 2))  # make sure the change is seen even within one mtime tick
    assert secrets.keyring["active"] != old_ring["active"]
    assert len(secrets.public_keys["keys"]) == 2
    assert cr.verify_token(token, secrets.public_keys, MONDAY)["status"] == "valid"
    keys.retire(path, old_ring["active"])
    os.utime(path, ns=(3, 4))
    assert cr.verify_token(token, secrets.public_keys, MONDAY)["reason"] == "unknown_kid"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_number_shown_only_to_holder_and_competent_staff():
    cert = certificate()
    number = ID_NUMBER + "42"
    holder = {"kind": "citizen", "person_ids": ["person-1"]}
    dpf = {"kind": "staff", "roles": ["county_dpf"], "region": "500113"}
    auditor = {"kind": "staff", "roles": ["auditor"], "region": "500113"}
    elsewhere = {"kind": "staff", "roles": ["county_dpf"], "region": "330200"}
    today = MONDAY.date()
    assert views.certificate_view(cert, holder, number, today)["number"] == number
    assert views.certificate_view(cert, dpf, number, today)["number"] == number
    for actor in (auditor, elsewhere):
        shown = views.certificate_view(cert, actor, number, today)["number"]
        assert shown == ID_NUMBER[:3] + "*" * 11 + ID_NUMBER[-4:] + "42"


def test_processing_time_per_step():
    t0 = MONDAY
    h = [{"from": None, "to": "submitted", "at": t0},
         {"from": "submitted", "to": "materials_accepted", "at": t0 + dt.timedelta(hours=4)},
         {"from": "materials_accepted", "to": "rejected", "at": t0 + dt.timedelta(hours=10)}]
    out = measures.step_times([{"history": h}, {"history": h[:2]}])
    assert out["submitted"]["count"] == 2 and out["submitted"]["mean_hours"] == 4.0
    assert out["materials_accepted"]["median_hours"] == 6.0
