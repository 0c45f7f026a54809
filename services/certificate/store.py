"""Certificate storage: applications, certificates, the one-valid slot, open-application markers,
disclosure codes. The only place that queries.

Consistency without transactions (FerretDB v1 / MongoDB single-document atomicity):
- ``valid_certificates`` (_id = person_id -> certificate_id) is *the* "one valid certificate per
  person" rule: an issue inserts it (DuplicateKeyError -> 409) or swaps it conditionally from the
  superseded certificate; a cancellation deletes it conditionally.
- ``open_applications`` (_id = person_id) holds the one application in progress.
- FerretDB v1 does not serialise concurrent conditional updates of one document (measured: three
  racing ``find_one_and_update`` with the same filter all matched), so every "only once" goes
  through a unique insert into ``claims``: a workflow step claims ``t:<application>:<version>``,
  ending a certificate claims ``end:<certificate>``, a reminder ``remind:<certificate>``, a
  consent code ``code:<hash>``. Conditional updates stay as a second guard.
- A workflow step writes the slot, the new/ended certificate, then the application (conditional
  on its version, with events and audit in its _outbox). If the application write loses, what
  this request changed is undone, unless a concurrent identical request already completed the
  same step (certificate ids are derived from the application id, so retries converge).
"""
import datetime as dt

from pymongo import ReturnDocument

from services.common import outbox
from services.common.errors import Conflict
from services.common.mongo import BaseStore, DuplicateKeyError, without_id
from services.certificate import domain
from services.certificate.workflow import TERMINAL


STALE_MARKER = dt.timedelta(minutes=1)  # a marker whose application never got written


def _app_doc(app):
    return {("_id" if k == "id" else k): v for k, v in app.items()}



class CertificateStore(BaseStore):
    @staticmethod
    def ensure_indexes(db):
        db.applications.create_index([("person_id", 1), ("created_at", 1)])
        db.applications.create_index([("handling_region", 1), ("status", 1), ("created_at", 1)])
        db.certificates.create_index([("person_id", 1), ("issued_at", 1)])
        db.certificates.create_index([("status", 1), ("valid_until", 1)])
        db.certificates.create_index([("region", 1), ("status", 1)])
        db.disclosure_codes.create_index("certificate_id")
        outbox.ensure_indexes(db)
        BaseStore.backfill_lists(db, "person_applications", "applications", "person_id", "_id")
        BaseStore.backfill_lists(db, "person_certificates", "certificates", "person_id", "_id")

    # reads ----------------------------------------------------------------------------------------
    def application(self, app_id):
        return without_id(self.db.applications.find_one({"_id": app_id}))

    def applications_for(self, person_id):
        """The person's applications, oldest first (their list, then each by _id: no scan)."""
        return sorted((without_id(d) for d in self.listed("person_applications", person_id,
                                                          "applications")),
                      key=lambda a: a["created_at"])

    def open_applications_for(self, person_id):
        return [a for a in self.applications_for(person_id) if a["status"] not in TERMINAL]

    def certificate(self, cert_id):
        return without_id(self.db.certificates.find_one({"_id": cert_id}))

    def certificates_for(self, person_id):
        return sorted((without_id(d) for d in self.listed("person_certificates", person_id,
                                                          "certificates")),
                      key=lambda c: c["issued_at"])

    def current_certificate(self, person_id):
        """The certificate in the person's valid slot (possibly expired by date), else the
        latest record (cancelled/replaced), else None: what the domain calls "current"."""
        slot = self.db.valid_certificates.find_one({"_id": person_id})
        if slot:
            cert = self.certificate(slot["certificate_id"])
            if cert:
                return cert
        certs = self.certificates_for(person_id)
        return certs[-1] if certs else None

    def slotted_certificate(self, person_id):
        slot = self.db.valid_certificates.find_one({"_id": person_id})
        return self.certificate(slot["certificate_id"]) if slot else None

    def queue(self, branches, limit, sort, cursor=None):
        query = {"$or": branches}
        if cursor:
            query["created_at"] = {"$gt" if sort == 1 else "$lt": cursor}
        docs = self.db.applications.find(query).sort("created_at", sort).limit(limit + 1)
        return [without_id(d) for d in docs]

    def applications_in_region(self, region, limit=5000):
        return [without_id(d) for d in self.db.applications.find(
            {"handling_region": region}).sort("created_at", -1).limit(limit)]

    def certificate_counts(self, region):
        rows = self.db.certificates.aggregate([
            {"$match": {"region": region}},
            {"$group": {"_id": {"status": "$status", "category": "$category", "grade": "$grade"},
                        "n": {"$sum": 1}}}])
        return [dict(r["_id"], n=r["n"]) for r in rows]

    def valid_certificates_in(self, region):
        return [without_id(d) for d in self.db.certificates.find(
            {"region": region, "status": domain.CERT_VALID},
            {"valid_until": 1, "status": 1, "category": 1, "grade": 1})]

    def revoked(self, since_valid_until):
        docs = self.db.certificates.find(
            {"status": {"$in": [domain.CERT_CANCELLED, domain.CERT_REPLACED]},
             "valid_until": {"$gte": since_valid_until}},
            {"status": 1, "ended_at": 1})
        return [{"certificate_id": d["_id"], "status": d["status"], "revoked_at": d["ended_at"]}
                for d in docs]

    def expiry_candidates(self, until_iso, limit=500):
        return [without_id(d) for d in self.db.certificates.find(
            {"status": domain.CERT_VALID, "expiry_reminded_at": None,
             "valid_until": {"$lte": until_iso}}).limit(limit)]

    # filing ---------------------------------------------------------------------------------------
    def insert_application(self, app, entries):
        """Insert a new application; one open application per person (the marker)."""
        pid = app["person_id"]
        marker = {"_id": pid, "application_id": app["id"], "at": app["created_at"]}
        try:
            self.db.open_applications.insert_one(marker)
        except DuplicateKeyError:
            held = self.db.open_applications.find_one({"_id": pid}) or {}
            other = self.application(held.get("application_id"))
            fresh = held.get("at") and held["at"] > app["created_at"] - STALE_MARKER
            if (other is not None and other["status"] not in TERMINAL) or \
                    (other is None and fresh):
                raise Conflict("已有正在办理的残疾人证申请，请勿重复提交",
                               {"application_id": other["id"], "type": other["type"]},
                               code="APPLICATION_IN_PROGRESS")
            # a stale marker (its application ended, the release was lost): take it over
            if not self.db.open_applications.find_one_and_update(
                    {"_id": pid, "application_id": held.get("application_id")},
                    {"$set": {"application_id": app["id"], "at": app["created_at"]}}):
                raise Conflict("已有正在办理的残疾人证申请，请勿重复提交",
                               code="APPLICATION_IN_PROGRESS")
        self.append_ref("person_applications", pid, app["id"])   # before: readers skip a gap
        try:
            self.db.applications.insert_one(dict(_app_doc(app), _outbox=entries))
        except Exception:
            self.db.open_applications.delete_one({"_id": pid, "application_id": app["id"]})
            raise

    # workflow steps -------------------------------------------------------------------------------
    def commit(self, before, tr, app_entries, cert_doc=None, cert_entries=(), ended_entries=()):
        """Write a Transition (see the module docstring); returns the stored application."""
        app, undo = tr.application, []
        key = "t:%s:%d" % (app["id"], before["version"])
        if not self.claim(key, lease=STALE_MARKER):
            raise Conflict("申请正在被他人办理，请刷新后重试", code="ILLEGAL_TRANSITION")
        undo.append(lambda: self.release(key))
        try:
            if tr.certificate is not None:
                self._claim_slot(app, tr.certificate, tr.ended_certificate, undo)
                self._insert_certificate(cert_doc, cert_entries, undo)
            if tr.ended_certificate is not None:
                self._end_certificate(tr.ended_certificate, ended_entries, undo)
                if tr.certificate is None:
                    self._free_slot(tr.ended_certificate, undo)
        except Exception:
            self._undo(undo)
            raise
        fields = {k: v for k, v in _app_doc(app).items() if k != "_id"}
        doc = self.db.applications.find_one_and_update(
            {"_id": app["id"], "version": before["version"], "status": before["status"]},
            {"$set": fields, "$push": {"_outbox": {"$each": list(app_entries)}}},
            return_document=ReturnDocument.AFTER)
        if doc is None:
            now = self.application(app["id"])
            if not (now and now["status"] == app["status"] and
                    now.get("issued_certificate_id") == app.get("issued_certificate_id")):
                self._undo(undo)
            raise Conflict("申请状态已被他人更新，请刷新后重试", code="ILLEGAL_TRANSITION")
        if app["status"] in TERMINAL:
            self.db.open_applications.delete_one({"_id": app["person_id"],
                                                  "application_id": app["id"]})
        return without_id(doc)

    def _claim_slot(self, app, cert, ended, undo):
        pid, cid = app["person_id"], cert["id"]
        if ended is None:
            try:
                self.db.valid_certificates.insert_one(
                    {"_id": pid, "certificate_id": cid, "application_id": app["id"]})
                undo.append(lambda: self.db.valid_certificates.delete_one(
                    {"_id": pid, "certificate_id": cid}))
                return
            except DuplicateKeyError:
                pass
        else:
            self._claim_end(ended, undo)
            swapped = self.db.valid_certificates.find_one_and_update(
                {"_id": pid, "certificate_id": ended["id"]},
                {"$set": {"certificate_id": cid, "application_id": app["id"]}})
            if swapped:
                undo.append(lambda: self.db.valid_certificates.update_one(
                    {"_id": pid, "certificate_id": cid},
                    {"$set": {"certificate_id": ended["id"],
                              "application_id": swapped.get("application_id")}}))
                return
        held = self.db.valid_certificates.find_one({"_id": pid}) or {}
        if held.get("certificate_id") == cid:
            return  # a concurrent identical request claimed it for this application
        if ended is None:
            raise Conflict("该残疾人已持有有效的残疾人证，不能重复发证",
                           {"certificate_id": held.get("certificate_id")},
                           code="CERTIFICATE_ALREADY_VALID")
        raise Conflict("申请所涉的残疾人证已发生变化，请重新申请",
                       {"certificate_id": ended["id"]}, code="CERTIFICATE_CHANGED")

    def _insert_certificate(self, doc, entries, undo):
        self.append_ref("person_certificates", doc["person_id"], doc["id"])
        try:
            self.db.certificates.insert_one(dict(_app_doc(doc), _outbox=list(entries)))
            undo.append(lambda: self.db.certificates.delete_one(
                {"_id": doc["id"], "status": domain.CERT_VALID}))
        except DuplicateKeyError:
            pass  # inserted by a concurrent identical request (same derived id)

    def _claim_end(self, ended, undo):
        key = "end:%s" % ended["id"]
        if any(getattr(u, "claim_key", None) == key for u in undo):
            return
        if not self.claim(key):
            raise Conflict("该残疾人证已不是有效状态", {"certificate_id": ended["id"]},
                           code="CERTIFICATE_CHANGED")

        def release():
            self.release(key)
        release.claim_key = key
        undo.append(release)

    def _end_certificate(self, ended, entries, undo):
        self._claim_end(ended, undo)
        change = {k: ended.get(k) for k in ("status", "ended_at", "replaced_by",
                                            "cancellation_reason") if k in ended}
        done = self.db.certificates.find_one_and_update(
            {"_id": ended["id"], "status": domain.CERT_VALID},
            {"$set": change, "$push": {"_outbox": {"$each": list(entries)}}})
        if done:
            undo.append(lambda: self.db.certificates.update_one(
                {"_id": ended["id"], "status": ended["status"]},
                {"$set": {"status": domain.CERT_VALID},
                 "$unset": {"ended_at": "", "replaced_by": "", "cancellation_reason": ""}}))
            return
        current = self.certificate(ended["id"]) or {}
        if current.get("status") == ended["status"] and \
                current.get("replaced_by") == ended.get("replaced_by"):
            return
        raise Conflict("该残疾人证已不是有效状态", {"certificate_id": ended["id"]},
                       code="CERTIFICATE_CHANGED")

    def _free_slot(self, ended, undo):
        pid = ended["person_id"]
        if self.db.valid_certificates.delete_one({"_id": pid, "certificate_id": ended["id"]}).deleted_count:
            undo.append(lambda: self.db.valid_certificates.update_one(
                {"_id": pid}, {"$setOnInsert": {"certificate_id": ended["id"]}}, upsert=True))

    @staticmethod
    def _undo(undo):
        for fn in reversed(undo):
            fn()

    # feeds and sweeps -----------------------------------------------------------------------------
    def cancel_by_feed(self, cert, cancelled, entries):
        """A certificate cancelled by a feed (death): conditional on still being valid."""
        if not self.claim("end:%s" % cert["id"], lease=STALE_MARKER):
            return False
        done = self.db.certificates.find_one_and_update(
            {"_id": cert["id"], "status": domain.CERT_VALID},
            {"$set": {"status": cancelled["status"], "ended_at": cancelled["ended_at"],
                      "cancellation_reason": cancelled["cancellation_reason"]},
             "$push": {"_outbox": {"$each": entries}}})
        self.db.valid_certificates.delete_one({"_id": cert["person_id"],
                                               "certificate_id": cert["id"]})
        return done is not None

    def close_application(self, before, fields, entries):
        if not self.claim("t:%s:%d" % (before["id"], before["version"]), lease=STALE_MARKER):
            return False
        doc = self.db.applications.find_one_and_update(
            {"_id": before["id"], "version": before["version"], "status": before["status"]},
            {"$set": fields, "$push": {"_outbox": {"$each": entries}}})
        self.db.open_applications.delete_one({"_id": before["person_id"],
                                              "application_id": before["id"]})
        return doc is not None

    def claim_expiry_reminder(self, cert_id, now, entries):
        """Once per certificate however many replicas sweep: a unique claim, then the update."""
        if not self.claim("remind:%s" % cert_id):
            return False
        return self.db.certificates.find_one_and_update(
            {"_id": cert_id, "status": domain.CERT_VALID, "expiry_reminded_at": None},
            {"$set": {"expiry_reminded_at": now}, "$push": {"_outbox": {"$each": entries}}}) \
            is not None

    def advance_card(self, before, card, entries):
        return without_id(self.db.certificates.find_one_and_update(
            {"_id": before["id"], "card.status": before["card"]["status"]},
            {"$set": {"card": card}, "$push": {"_outbox": {"$each": entries}}},
            return_document=ReturnDocument.AFTER))

    # disclosure codes -----------------------------------------------------------------------------
    def save_disclosure(self, record):
        self.db.disclosure_codes.insert_one(dict(record, _id=record["code_hash"]))

    def disclosure(self, code_hash):
        return self.db.disclosure_codes.find_one({"_id": code_hash})

    def redeem_disclosure(self, record, used_at):
        if not self.claim("code:%s" % record["_id"]):
            return False
        return self.db.disclosure_codes.find_one_and_update(
            {"_id": record["_id"], "used_at": None, "attempts": record["attempts"]},
            {"$set": {"used_at": used_at}}) is not None

    def count_wrong_code(self, certificate_id, now):
        self.db.disclosure_codes.update_many(
            {"certificate_id": certificate_id, "used_at": None, "expires_at": {"$gt": now}},
            {"$inc": {"attempts": 1}})
