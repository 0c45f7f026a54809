"""Helpers for the subsidy end-to-end tests (no tests here): publish the certificate service's
events exactly as it will, wait on HTTP reads, walk an application through the review chain."""
import datetime as dt
import time
import uuid

from nameko.standalone.events import event_dispatcher

from services.common.clock import SHANGHAI
from tests.conftest import random_id, wait_for

CHAIN = (("street_officer", "county_review"), ("county_dpf", "civil_affairs_review"),
         ("civil_affairs", "approved"))
ACCOUNT = "6222020200112233445"




def this_month(offset_days=0):
    day = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=offset_days)
    return "%04d-%02d" % (day.year, day.month)


def days_to_month(n):
    """A clock offset in days that lands on the 15th of the n-th month from now (Shanghai)."""
    today = dt.datetime.now(SHANGHAI).date()
    i = today.year * 12 + today.month - 1 + n
    return (dt.date(i // 12, i % 12 + 1, 15) - today).days


def certificate_payload(person_id, grade, category, region, status="valid", **extra):
    today = dt.date.today()
    return dict({"event_id": uuid.uuid4().hex, "certificate_id": "cert_" + uuid.uuid4().hex[:20],
                 "person_id": person_id, "category": category, "grade": grade,
                 "severe": grade <= 2, "region": region, "valid_from": today.isoformat(),
                 "valid_until": today.replace(year=today.year + 5).isoformat(),
                 "status": status, "application_id": "capp_" + uuid.uuid4().hex[:20],
                 "transaction": "new", "previous_certificate_id": None}, **extra)


def publish_until(amqp_config, event_type, payload, check, source="certificate", tries=6):
    """Publish (the same event id again if the consumer was not listening yet) until ``check``
    sees the effect through HTTP."""
    dispatch = event_dispatcher(amqp_config)
    for _ in range(tries):
        try:
            dispatch(source, event_type, payload)
        except Exception:  # noqa: BLE001 - the exchange may not be declared yet
            time.sleep(1)
            continue
        value = wait_for(check, 5)
        if value:
            return value
    raise AssertionError("%s.%s had no visible effect" % (source, event_type))


def suggestions(api, token, person_id):
    r = api.get("/people/%s/subsidy/suggestions" % person_id, token=token)
    assert r.status_code == 200, r.text
    return {s["policy_code"]: s for s in r.json()["items"]}


def citizen_with_certificate(api, amqp_config, region, grade, category, name="补贴测试",
                             expect="nursing_allowance", **identity):
    """A bound citizen whose certificate was just issued; waits until discovery suggested
    ``expect`` (None: until the local copy of the certificate is visible in eligibility)."""
    token, me = api.bound_citizen(name, id_number=random_id(region), **identity)
    pid = me["person"]["id"]
    payload = certificate_payload(pid, grade, category, region)

    def seen():
        if expect:
            return suggestions(api, token, pid).get(expect)
        r = api.get("/people/%s/subsidy/eligibility" % pid, token=token).json()
        return [i for i in r["items"] if "持有有效残疾人证" in i["reasons"]]
    publish_until(amqp_config, "issued", payload, seen)
    return token, pid


def approve_through_chain(api, app_id, region):
    for role, expected in CHAIN:
        r = api.post("/admin/subsidy/applications/%s/actions" % app_id,
                     token=api.staff(role, region), json={"action": "approve"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == expected
    return r.json()


def apply_and_approve(api, token, pid, region, code="nursing_allowance"):
    r = api.post("/subsidy/applications", token=token, json={
        "person_id": pid, "policy_code": code, "residence_region": region,
        "bank_account": ACCOUNT})
    assert r.status_code == 201, r.text
    return approve_through_chain(api, r.json()["id"], region)


def payments(api, token, pid):
    r = api.get("/people/%s/subsidy/payments" % pid, token=token)
    assert r.status_code == 200, r.text
    return r.json()["items"]
