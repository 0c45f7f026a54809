"""Certificate service (残疾人证): applications for every transaction, the review workflow, issue,
the one-valid rule, cancellation (incl. the death feed), expiry reminders, the physical card.
The electronic certificate (credential, consent codes, verification) is in ecert.py.

Entry points are thin: validate, load, call the domain (domain.py, workflow.py,
applications.py), save through the store (one update carries state + events + audit), flush.
"""
import dataclasses
import datetime as dt

from nameko.events import event_handler
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from services.common import authz, idnumber, outbox, paging, regions
from services.common.crypto import PersonalData
from services.common.errors import Forbidden, NotFound, RuleRefused
from services.common.ids import new_id
from services.common.mongo import Mongo
from services.common.outbox import idempotent_handler
from services.common.rpc import RpcProxy, load, rpc
from services.certificate import (applications, domain, entries, measures, policy, schemas,
                                  views, workflow)
from services.certificate.ecert import ElectronicCertificate
from services.certificate.keys import CredentialKeys
from services.certificate.store import CertificateStore
from services.certificate.workdays import local_date

POLICIES = policy.load_policies()
STEP_DEADLINE_DAYS = 7        # a queue item waiting longer is flagged overdue
APPLICANT_ACTIONS = ("withdraw", "resubmit")


class Settings(DependencyProvider):
    def setup(self):
        cfg = self.container.config
        self.value = type("Settings", (), {"pii": PersonalData.from_config(cfg),
                                           "dev_mode": str(cfg.get("DEV_MODE", "")).lower()
                                           in ("1", "true", "yes")})

    def get_dependency(self, worker_ctx):
        return self.value


class CertificateService(ElectronicCertificate):
    name = "certificate"
    store = Mongo(CertificateStore)
    settings = Settings()
    keys = CredentialKeys()
    identity = RpcProxy("identity")
    outbox = outbox.Outbox("applications", "certificates")

    # helpers ---------------------------------------------------------------------------------
    def _now(self):
        return self.store.clock.now()

    def _policy(self, region, now):
        return policy.policy_for(POLICIES, region, local_date(now))

    def _facts(self, person_id):
        return self.identity.person_facts(person_id)

    def _number(self, cert):
        return self.settings.pii.decrypt(cert.get("number_enc")) if cert else None

    def _stored(self, cert):
        doc = dict(cert)
        number = doc.pop("number")
        doc["number_enc"] = self.settings.pii.encrypt(number)
        doc["number_hash"] = self.settings.pii.blind_index(number, "certificate_number")
        return doc

    def _cert_view(self, cert, actor, now):
        return views.certificate_view(cert, actor, self._number(cert), local_date(now))

    def _flush(self, app_id=None, *cert_ids):
        if app_id:
            self.outbox.flush(self.store.db.applications, app_id)
        for cid in cert_ids:
            if cid:
                self.outbox.flush(self.store.db.certificates, cid)

    def _load_app(self, app_id, actor=None):
        app = self.store.application(app_id)
        if app is None:
            raise NotFound("没有找到此申请", {"application_id": app_id})
        if actor and authz.is_citizen(actor) and \
                app["person_id"] not in (actor.get("person_ids") or ()) and \
                self.identity.may_act_for(actor.get("account_id"), app["person_id"]):
            actor["person_ids"] = list(actor.get("person_ids") or ()) + [app["person_id"]]
        return app  # (a token minted before the ward was added is confirmed with identity)

    # applications ------------------------------------------------------------------------------
    @rpc
    def file_application(self, actor, body):
        """POST /certificate/applications: by the person, a guardian, or staff (代办)."""
        authz.require_actor(actor)
        data = load(schemas.NewApplication(), body)
        kind = domain.validate_transaction_type(data["type"])
        regions.validate(data["residence_region"], "residence_region")
        if data.get("id_number"):
            if not authz.is_staff(actor):
                raise Forbidden("请选择本人或被监护人提交申请", code="NOT_YOUR_APPLICATION")
            number = idnumber.validate(data.pop("id_number"))
            data["person_id"] = self.identity.resolve_people([number]).get(number)
            if not data["person_id"]:
                raise NotFound("系统中没有此人，请先进行实名登记", code="PERSON_NOT_FOUND")
        pid = data["person_id"]
        if authz.is_citizen(actor) and pid not in (actor.get("person_ids") or ()):
            raise Forbidden("您只能为本人或被监护人提交申请", code="NOT_YOUR_APPLICATION")
        facts = self._facts(pid)
        if facts.get("deceased_on"):
            raise RuleRefused("此人已登记死亡，不能办理", code="PERSON_DECEASED")
        now = self._now()
        current = self.store.current_certificate(pid)
        person = {"id": pid, "household_region": facts.get("household_region")}
        handling = applications.handling_region_for(kind, person, current, data.get("to_region"))
        tr = applications.new_application(data, person=person, actor=actor, now=now,
                                          policy=self._policy(handling, now),
                                          current_certificate=current,
                                          application_id=new_id("capp"))
        app = dict(tr.application, person_regions=sorted(
            {r for r in (facts.get("household_region"), facts.get("residence_region")) if r}))
        app_entries, _, _ = entries.for_transition(dataclasses.replace(tr, application=app),
                                                   actor, now)
        self.store.insert_application(app, app_entries)
        self._flush(app["id"])
        return views.application_view(app, actor)

    @rpc
    def application(self, actor, app_id):
        authz.require_actor(actor)
        app = self._load_app(app_id, actor)
        if not applications.can_view(app, actor):
            raise Forbidden("您无权查看此申请", code="NOT_YOUR_APPLICATION")
        return views.application_view(app, actor)

    @rpc
    def staff_application(self, actor, app_id):
        """GET /admin/certificate/applications/{id}: the staff view with the audit trail."""
        authz.require_staff(actor)
        app = self._load_app(app_id)
        if not applications.can_view(app, actor):
            raise Forbidden("该申请不属于本辖区", code="OUT_OF_REGION")
        out = views.application_view(app, actor)
        out["audit"] = views.jsonable(outbox.audit_trail(self.store.db, app_id))
        return out

    @rpc
    def applicant_action(self, actor, app_id, action, body):
        """withdraw (before assessment) / resubmit (after a return) by the applicant."""
        data = load(schemas.ApplicantAction(), body)
        if action not in APPLICANT_ACTIONS:
            raise NotFound("没有这个操作", code="UNKNOWN_ACTION")
        return self._step(actor, app_id, action, data)

    @rpc
    def staff_action(self, actor, app_id, body):
        """POST /admin/certificate/applications/{id}/actions {action, ...}."""
        authz.require_staff(actor)
        data = load(schemas.Action(), body)
        action = data.pop("action")
        if action in APPLICANT_ACTIONS:
            raise Forbidden("此操作只能由申请人办理", code="ROLE_NOT_ALLOWED")
        return self._step(actor, app_id, action, data)

    def _step(self, actor, app_id, action, params):
        authz.require_actor(actor)
        app = self._load_app(app_id, actor)
        now = self._now()
        context = {}
        if action in ("issue", "approve"):
            context["current_certificate"] = self.store.current_certificate(app["person_id"])
        if action == "issue" and authz.is_staff(actor):
            facts = self._facts(app["person_id"])
            if facts.get("deceased_on"):
                raise RuleRefused("此人已登记死亡，不能发证", code="PERSON_DECEASED")
            context["id_number"] = facts["id_number"]
            context["certificate_id"] = "cert_" + app["id"].split("_", 1)[-1]
        tr = workflow.apply_action(app, action, actor, now,
                                   self._policy(app["handling_region"], now), params, **context)
        app_entries, cert_entries, ended_entries = entries.for_transition(tr, actor, now)
        cert_doc = self._stored(tr.certificate) if tr.certificate else None
        saved = self.store.commit(app, tr, app_entries, cert_doc, cert_entries, ended_entries)
        self._flush(app["id"], tr.certificate and tr.certificate["id"],
                    tr.ended_certificate and tr.ended_certificate["id"])
        return views.application_view(saved, actor)

    # certificates ------------------------------------------------------------------------------
    @rpc
    def certificate_for(self, actor, person_id):
        """GET /people/{person_id}/certificate: the valid (or expired, to renew) one, else 404."""
        cert = self.store.slotted_certificate(person_id)
        self._require_reader(actor, person_id, cert)
        if cert is None:
            raise NotFound("没有有效的残疾人证", code="NO_CERTIFICATE")
        return self._cert_view(cert, actor, self._now())

    def _require_reader(self, actor, person_id, cert, apps=()):
        authz.require_actor(actor)
        if authz.is_citizen(actor):
            return authz.require_person(actor, person_id)
        visible = {cert["region"]} if cert else set()
        for a in apps:
            visible |= set(a.get("visible_regions") or ()) | set(a.get("person_regions") or ())
        if not authz.can_read_as_staff(actor, visible):
            raise Forbidden("只能查看本辖区的记录", code="OUT_OF_REGION")

    @rpc
    def staff_certificate(self, actor, cert_id):
        authz.require_staff(actor)
        cert = self.store.certificate(cert_id)
        if cert is None:
            raise NotFound("没有找到此残疾人证")
        self._require_reader(actor, cert["person_id"], cert)
        out = self._cert_view(cert, actor, self._now())
        out["audit"] = views.jsonable(outbox.audit_trail(self.store.db, cert_id))
        return out

    @rpc
    def card_action(self, actor, cert_id, body):
        """Physical card production (实体卡): print, mark_ready, collect, mail."""
        authz.require_staff(actor)
        data = load(schemas.CardAction(), body)
        cert = self.store.certificate(cert_id)
        if cert is None:
            raise NotFound("没有找到此残疾人证")
        now = self._now()
        moved, audit = domain.advance_card(cert, data["action"], actor, now,
                                           data.get("tracking_number"))
        saved = self.store.advance_card(cert, moved["card"], entries.for_card(cert, audit,
                                                                             actor, now))
        if saved is None:
            raise RuleRefused("制卡状态已被他人更新，请刷新后重试", code="ILLEGAL_TRANSITION")
        self._flush(None, cert_id)
        return self._cert_view(saved, actor, now)

    @rpc
    def current_certificate(self, person_id):
        """Internal (other services): the valid certificate without the number, or None."""
        cert = self.store.slotted_certificate(person_id)
        today = local_date(self._now())
        return views.internal_certificate(cert, today) if domain.is_valid(cert, today) else None

    @rpc
    def person_summary(self, actor, person_id):
        """This service's part of the person file (一人一档)."""
        apps = self.store.applications_for(person_id)
        cert = self.store.current_certificate(person_id)
        if authz.is_staff(actor):
            authz.require_staff(actor)  # identity checked the person's regions for the file
            apps = [a for a in apps if applications.can_view(a, actor) or
                    actor.get("region") in (a.get("person_regions") or ())]
        else:
            self._require_reader(actor, person_id, cert)
        now = self._now()
        return {"current": self._cert_view(cert, actor, now) if cert else None,
                "applications": [views.application_view(a, actor) for a in apps]}

    # staff queue and dashboard ------------------------------------------------------------------
    @rpc
    def queue(self, actor, filters):
        authz.require_staff(actor)
        f = load(schemas.QueueFilters(), filters or {})
        sort = -1 if f.get("sort") == "newest" else 1
        limit = f.get("limit", 50)
        branches = []
        for kind, flow in workflow.FLOWS.items():
            for role in actor.get("roles") or ():
                states = sorted({s for (s, a), (_, roles) in flow.items() if role in roles})
                states = [s for s in states if s == f["status"]] if f.get("status") else states
                if states:
                    branch = {"type": kind, "status": {"$in": states},
                              "handling_region": actor.get("region")}
                    if role == workflow.ASSESSOR:
                        branch["assessment.assessor_id"] = actor.get("staff_id")
                    branches.append(branch)
        if not branches:
            return {"items": [], "next_cursor": None}
        after = paging.decode_cursor(f.get("cursor"))
        apps = self.store.queue(branches, limit, sort, after[0] if after else None)
        now = self._now()
        items = [views.queue_item(a, actor, now, STEP_DEADLINE_DAYS) for a in apps[:limit]]
        last = apps[limit - 1] if len(apps) > limit else None
        return {"items": items,
                "next_cursor": paging.encode_cursor(last["created_at"], last["id"]) if last else None}

    @rpc
    def dashboard(self, actor, region):
        authz.require_staff(actor)
        regions.validate(region)
        if region != actor.get("region") and "admin" not in (actor.get("roles") or ()):
            raise Forbidden("只能查看本辖区的指标", {"region": region})
        today = local_date(self._now()).isoformat()
        apps = self.store.applications_in_region(region)
        return {"certificates": measures.certificate_counts(
                    self.store.certificate_counts(region),
                    self.store.valid_certificates_in(region), today),
                "applications": measures.application_counts(apps),
                "processing_time_per_step": measures.step_times(apps)}

    # death feed, expiry sweep ------------------------------------------------------------------
    @event_handler("identity", "person_died")
    @idempotent_handler
    def on_person_died(self, payload):
        """Death (公安死亡信息): cancel the certificate, close the open applications."""
        pid, now = payload["person_id"], self._now()
        cert = self.store.slotted_certificate(pid)
        if cert is not None and cert["status"] == domain.CERT_VALID:
            cancelled = domain.cancel(cert, "death", now)
            if self.store.cancel_by_feed(cert, cancelled,
                                         entries.for_death(cancelled, payload.get("date"), now)):
                self._flush(None, cert["id"])
        for app in self.store.open_applications_for(pid):
            fields, app_entries = entries.closing(app, "申请人已去世，办理终止", now,
                                                  app["version"] + 1)
            if self.store.close_application(app, fields, app_entries):
                self._flush(app["id"])

    def _expiry_sweep(self):
        now = self._now()
        today = local_date(now)
        horizon = max(v["expiry_reminder_days"] for versions in POLICIES["regions"].values()
                      for v in versions)
        sent = 0
        for cert in self.store.expiry_candidates((today + dt.timedelta(days=horizon)).isoformat()):
            days = self._policy(cert["region"], now)["expiry_reminder_days"]
            if not domain.expiry_reminder_due(cert, now, days):
                continue
            left = domain.days_until_expiry(cert, now)
            if self.store.claim_expiry_reminder(cert["id"], now,
                                                entries.for_expiry(cert, left, now)):
                self._flush(None, cert["id"])
                sent += 1
        return sent

    @timer(interval=30)
    def expiry_sweep(self):
        self._expiry_sweep()

    @rpc
    def run_expiry_sweep(self):
        """Development and tests only: run the sweep now; returns how many reminders it sent."""
        if not self.settings.dev_mode:
            raise Forbidden("仅限开发环境", code="DEV_ONLY")
        return self._expiry_sweep()

    # platform ----------------------------------------------------------------------------------
    @rpc
    def health(self):
        return self.store.ping()

    @rpc
    def audit_trail(self, actor, entity_id):
        authz.require_staff(actor)
        return views.jsonable(outbox.audit_trail(self.store.db, entity_id))

    @timer(interval=5)
    def relay_outbox(self):
        self.outbox.sweep(self.store.db)
