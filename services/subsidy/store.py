"""Subsidy storage (the only place that queries).

Collections: ``people`` (local copy of each person's certificate and household facts, from
events and the civil-affairs feed), ``suggestions``, ``applications``, ``entitlements``,
``payout_batches``, ``payment_lines`` (``_id`` = ``line_id`` = ``{entitlement_id}:{YYYY-MM}``,
unique: one payment per entitlement and month, ever) and ``recoveries``.
"""
from pymongo import ReturnDocument

from services.common import outbox
from services.common.mongo import BaseStore, DuplicateKeyError, upsert

OPEN_STATUSES = ("submitted", "street_review", "county_review", "civil_affairs_review",
                 "returned")
HELD_STATUSES = ("active", "phase_out", "suspended")
OUTBOX_COLLECTIONS = ("people", "suggestions", "applications", "entitlements",
                      "payout_batches", "payment_lines")


def _push(entries):
    return {"_outbox": {"$each": list(entries)}}


class SubsidyStore(BaseStore):
    @staticmethod
    def ensure_indexes(db):
        db.people.create_index("served_region")
        db.suggestions.create_index("key", unique=True)
        db.suggestions.create_index("person_id")
        db.applications.create_index("open_key", unique=True)
        db.applications.create_index("person_id")
        db.applications.create_index([("handling_region", 1), ("status", 1)])
        db.applications.create_index("filing_region")
        db.applications.create_index("entitlement_pending")
        db.entitlements.create_index("held_key", unique=True)
        db.entitlements.create_index("person_id")
        db.entitlements.create_index([("region", 1), ("status", 1)])
        db.payment_lines.create_index("line_id", unique=True)
        db.payment_lines.create_index("batch_id")
        db.payment_lines.create_index("person_id")
        db.payment_lines.create_index("entitlement_id")
        db.recoveries.create_index("person_id")
        db.recoveries.create_index("region")
        outbox.ensure_indexes(db)

    # people (event-carried state) -------------------------------------------------------------
    def person(self, person_id):
        return self.db.people.find_one({"_id": person_id}) or {"_id": person_id}

    def set_certificate(self, person_id, cert, occurred_at):
        """Keep the newest certificate fact (an older event arriving late changes nothing)."""
        try:  # a racing first write raises DuplicateKeyError once: upsert() retries it
            return upsert(self.db.people,
                          {"_id": person_id, "$or": [{"certificate_at": {"$exists": False}},
                                                     {"certificate_at": {"$lte": occurred_at}}]},
                          {"$set": {"certificate": cert, "certificate_at": occurred_at}},
                          find_and_return=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:  # still no match: the fact held is newer
            return None

    def set_fields(self, person_id, fields, entries=()):
        update = {"$set": fields}
        if entries:
            update["$push"] = _push(entries)
        return upsert(self.db.people, {"_id": person_id}, update, find_and_return=True,
                      return_document=ReturnDocument.AFTER)

    def people_in(self, region):
        return self.db.people.find({"served_region": region})

    # suggestions ------------------------------------------------------------------------------
    def insert_suggestion(self, doc):
        try:
            self.db.suggestions.insert_one(doc)
            return True
        except DuplicateKeyError:
            return False

    def suggestions_for(self, person_id):
        return list(self.db.suggestions.find({"person_id": person_id}).sort("created_at", -1))

    def suggestion(self, suggestion_id):
        return self.db.suggestions.find_one({"_id": suggestion_id})

    def move_suggestion(self, suggestion_id, from_status, fields, entries):
        return self.db.suggestions.find_one_and_update(
            {"_id": suggestion_id, "status": from_status},
            {"$set": fields, "$push": _push(entries)}, return_document=ReturnDocument.AFTER)

    # applications -----------------------------------------------------------------------------
    def insert_application(self, doc):
        """False when the person already has an open application for this benefit."""
        try:
            self.db.applications.insert_one(doc)
            return True
        except DuplicateKeyError:
            return False

    def application(self, app_id):
        return self.db.applications.find_one({"_id": app_id})

    def applications_for(self, person_id):
        return list(self.db.applications.find({"person_id": person_id}).sort("created_at", -1))

    def move_application(self, app_id, from_status, fields, history, entries):
        return self.db.applications.find_one_and_update(
            {"_id": app_id, "status": from_status},
            {"$set": fields, "$push": dict(_push(entries), history=history)},
            return_document=ReturnDocument.AFTER)

    def applications_in(self, region, statuses=None, limit=2000):
        q = {"handling_region": region}
        if statuses:
            q["status"] = {"$in": list(statuses)}
        return list(self.db.applications.find(q).sort("step_entered_at", 1).limit(limit))

    def routed_out(self, region, limit=200):
        return list(self.db.applications.find({"filing_region": region, "routed": True})
                    .sort("created_at", 1).limit(limit))

    def approved_without_entitlement(self):
        return list(self.db.applications.find({"entitlement_pending": True}).limit(100))

    def entitlement_created(self, app_id):
        self.db.applications.update_one({"_id": app_id}, {"$set": {"entitlement_pending": False}})

    # entitlements -----------------------------------------------------------------------------
    def insert_entitlement(self, doc):
        try:
            self.db.entitlements.insert_one(doc)
            return doc
        except DuplicateKeyError:
            return self.db.entitlements.find_one({"_id": doc["_id"]})

    def entitlements_for(self, person_id):
        return list(self.db.entitlements.find({"person_id": person_id}).sort("created_at", 1))

    def entitlement(self, ent_id):
        return self.db.entitlements.find_one({"_id": ent_id})

    def entitlements_in(self, region, statuses):
        return list(self.db.entitlements.find({"region": region,
                                               "status": {"$in": list(statuses)}}))

    def move_entitlement(self, ent_id, from_status, fields, history, entries):
        return self.db.entitlements.find_one_and_update(
            {"_id": ent_id, "status": from_status},
            {"$set": fields, "$push": dict(_push(entries), history=history)},
            return_document=ReturnDocument.AFTER)

    def set_grade(self, ent_id, grade, entries):
        return self.db.entitlements.find_one_and_update(
            {"_id": ent_id, "grade": {"$ne": grade}},
            {"$set": {"grade": grade}, "$push": _push(entries)},
            return_document=ReturnDocument.AFTER)

    # payout batches and lines -----------------------------------------------------------------
    def claim_batch(self, doc):
        """(doc, True) when this call created the batch; (existing, False) otherwise."""
        try:
            self.db.payout_batches.insert_one(doc)
            return doc, True
        except DuplicateKeyError:
            return self.batch(doc["_id"]), False

    def take_over_batch(self, batch_id, now, lease_until):
        """A run that died mid-way (lease over) is taken over by exactly one caller."""
        return self.db.payout_batches.find_one_and_update(
            {"_id": batch_id, "status": "running", "lease_until": {"$lt": now}},
            {"$set": {"lease_until": lease_until}}, return_document=ReturnDocument.AFTER)

    def finish_batch(self, batch_id, fields, entries):
        return self.db.payout_batches.find_one_and_update(
            {"_id": batch_id}, {"$set": fields, "$push": _push(entries)},
            return_document=ReturnDocument.AFTER)

    def batch(self, batch_id):
        return self.db.payout_batches.find_one({"_id": batch_id})

    def insert_line(self, doc):
        """The unique line id makes a second payment of the same month impossible."""
        try:
            self.db.payment_lines.insert_one(doc)
            return True
        except DuplicateKeyError:
            return False

    def line_ids_for(self, entitlement_ids):
        if not entitlement_ids:
            return set()
        return {d["_id"] for d in self.db.payment_lines.find(
            {"entitlement_id": {"$in": list(entitlement_ids)}}, {"_id": 1})}

    def lines_of_batch(self, batch_id):
        return list(self.db.payment_lines.find({"batch_id": batch_id}).sort("_id", 1))

    def lines_for(self, person_id):
        return list(self.db.payment_lines.find({"person_id": person_id}).sort("month", 1))

    def move_line(self, line_id, from_status, fields, entries):
        return self.db.payment_lines.find_one_and_update(
            {"_id": line_id, "status": from_status},
            {"$set": fields, "$push": _push(entries)}, return_document=ReturnDocument.AFTER)

    # recoveries -------------------------------------------------------------------------------
    def record_recovery(self, doc, audit_entry):
        try:
            self.db.recoveries.insert_one(doc)
        except DuplicateKeyError:
            return False
        self.db.payment_lines.update_one(
            {"_id": doc["line_id"]},
            {"$set": {"recovery": {"id": doc["_id"], "cause": doc["cause"],
                                   "cause_date": doc["cause_date"], "status": "open"}},
             "$push": _push([audit_entry])})
        return True

    def recoveries_in(self, region):
        return list(self.db.recoveries.find({"region": region}).sort("created_at", 1))
