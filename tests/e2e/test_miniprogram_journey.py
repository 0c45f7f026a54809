"""The WeChat mini-program's own end-to-end journeys against this stack.

``miniprogram/test/e2e.journey.test.js`` drives the mini-program's API client (utils/api.js),
page logic (logic/*) and pages (with the wx shim of test/helpers) through the gateway: a citizen
logs in, binds a real name, applies for a certificate that staff take to issued (moving the
stack clock past the public notice), shows the QR code (scanned and verified on the public
route), confirms a subsidy suggestion, books and cancels a rehab slot; a volunteer registers, is
verified, accepts the offer for the citizen's help request, checks in and out. Then: a returned
subsidy application resubmitted, approved and paid; the message record; guardian mode for a child
ward (apply, returned, resubmit, withdraw, a booking); waitlist, escort and reschedule; set-out,
cancel and rating of help. Every step asserts what the services really answered; the node
process exits non-zero on any failure.

It needs only Node (>= 20) — no npm packages — and the stack's clock file.
"""
import os
import re
import shutil
import subprocess
import uuid

import pytest

from services.common.clock import Clock, set_offset

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MINIPROGRAM = os.path.join(ROOT, "miniprogram")
REGION = "500113"


@pytest.mark.timeout(900)
def test_miniprogram_citizen_and_volunteer_journeys(stack):
    node = shutil.which("node")
    assert node, "Node (>= 20) is needed for the mini-program's journeys"
    before = Clock(stack.clock_file).offset()
    env = dict(os.environ, GATEWAY_URL=stack.url, CLOCK_OFFSET_FILE=stack.clock_file,
               E2E_REGION=REGION, DEMO_PASSWORD="demo12345", E2E_WAIT_MS="60000")
    try:
        proc = subprocess.run([node, "--test", "--test-concurrency=1", "test/e2e.journey.test.js"],
                              cwd=MINIPROGRAM, env=env, capture_output=True, text=True,
                              timeout=840)
    finally:  # the journey puts the clock back itself; not if it was killed
        if Clock(stack.clock_file).offset() != before:
            set_offset(stack.clock_file, before)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, "the mini-program journey failed:\n" + out[-30000:]
    # a run that skipped (no GATEWAY_URL) or lost its steps would also exit 0
    assert "SKIPPED" not in out, out[-5000:]
    counts = dict(re.findall(r"^# (pass|fail|skipped|cancelled) (\d+)$", out, re.M))
    assert counts.get("fail") == "0" and counts.get("skipped") == "0" and \
        counts.get("cancelled") == "0", out[-5000:]
    assert int(counts.get("pass", 0)) >= 24, out[-5000:]


def test_an_idempotent_write_whose_answer_has_nested_arrays_replays(api):
    """The mini-program (and the console) put an Idempotency-Key on every write. The gateway
    keeps the first answer to replay it; an answer FerretDB v1 cannot store as a document (an
    institution's opening hours are lists of lists) made the write a 500 after it was done."""
    county = api.staff("county_dpf", REGION)
    body = {"name": "幂等测试康复中心", "region": REGION, "address": "测试路2号",
            "location": {"lat": 29.4, "lng": 106.5}, "services": ["movement_therapy"],
            "opening_hours": {"1": [["08:00", "12:00"], ["14:00", "17:00"]]}}
    key = {"Idempotency-Key": "mp-" + uuid.uuid4().hex}
    first = api.post("/admin/rehab/institutions", token=county, json=body, headers=key)
    assert first.status_code == 200, first.text
    again = api.post("/admin/rehab/institutions", token=county, json=body, headers=key)
    assert again.status_code == 200, again.text
    assert again.headers.get("Idempotent-Replay") == "true"
    assert again.json() == first.json()
    assert first.json()["opening_hours"]["1"] == [["08:00", "12:00"], ["14:00", "17:00"]]
