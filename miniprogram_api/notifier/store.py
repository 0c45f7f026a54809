"""Notifier storage: consent and quota per account and template, and every outcome."""
import datetime as dt

from pymongo import ReturnDocument

from services.common import outbox
from services.common.mongo import BaseStore, DuplicateKeyError, upsert

# a send that has not reported back by then (a crash mid-send) is tried again by the sweep
SENDING_LEASE = dt.timedelta(minutes=5)


class NotifierStore(BaseStore):
    @staticmethod
    def ensure_indexes(db):
        db.notifications.create_index([("account_id", 1), ("created_at", -1)])
        db.notifications.create_index([("status", 1), ("next_attempt_at", 1)])
        outbox.ensure_indexes(db)
        BaseStore.backfill_lists(db, "account_notifications", "notifications", "account_id",
                                 "_id")
        BaseStore.backfill_due(db, "retries", "notifications", "next_attempt_at",
                               {"status": {"$in": ["failed", "sending"]}})

    def add_consent(self, account_id, template, result):
        key = {"_id": "%s:%s" % (account_id, template)}
        base = {"account_id": account_id, "template": template}
        if result == "accept":
            upsert(self.db.consents, key, {"$inc": {"quota": 1}, "$set": dict(base, banned=False)})
        elif result == "ban":
            upsert(self.db.consents, key, {"$set": dict(base, banned=True, quota=0)})

    def consents(self, account_id):
        return list(self.db.consents.find({"account_id": account_id}))

    def take_quota(self, account_id, template):
        """Use one accepted subscription atomically; None when there is none left."""
        return self.db.consents.find_one_and_update(
            {"_id": "%s:%s" % (account_id, template), "quota": {"$gt": 0}, "banned": False},
            {"$inc": {"quota": -1}}, return_document=ReturnDocument.AFTER)

    def give_back_quota(self, account_id, template):
        self.db.consents.update_one({"_id": "%s:%s" % (account_id, template)}, {"$inc": {"quota": 1}})

    def create(self, doc):
        """Insert an outcome record; False when this event was already recorded for the account."""
        if doc.get("account_id"):   # listed first: readers skip an entry without its record
            self.append_ref("account_notifications", doc["account_id"], doc["_id"])
        if doc.get("status") == "sending":
            self.mark_due("retries", doc["_id"], doc["created_at"] + SENDING_LEASE)
        try:
            self.db.notifications.insert_one(doc)
            return True
        except DuplicateKeyError:
            return False

    def set_outcome(self, notification_id, status, reason=None, attempts=None, next_at=None,
                    msgid=None):
        now = self.clock.now()
        fields = {"status": status, "reason": reason, "updated_at": now}
        if attempts is not None:
            fields["attempts"] = attempts
        fields["next_attempt_at"] = next_at
        if msgid is not None:
            fields["msgid"] = msgid
        if next_at:
            self.mark_due("retries", notification_id, next_at)
        self.db.notifications.update_one(
            {"_id": notification_id},
            {"$set": fields, "$push": {"history": {"status": status, "reason": reason, "at": now}}})
        if not next_at:
            self.unmark_due("retries", notification_id)

    def claim_due_retries(self, limit=50):
        """Failed sends whose next attempt is due, and sends that never reported back, each
        claimed for one sender (the work list ``due_retries``, not a scan of every record)."""
        now, claimed = self.clock.now(), []
        for doc in self.due_documents("retries", "notifications", now,
                                      lambda d: d["status"] in ("failed", "sending")):
            if len(claimed) >= limit or not self.claim(
                    "retry:%s:%d" % (doc["_id"], doc.get("attempts") or 0), SENDING_LEASE):
                continue
            self.mark_due("retries", doc["_id"], now + SENDING_LEASE)
            self.db.notifications.update_one({"_id": doc["_id"]}, {"$set": {
                "status": "sending", "next_attempt_at": now + SENDING_LEASE}})
            claimed.append(dict(doc, status="sending"))
        return claimed

    def for_account(self, account_id, limit=50):
        """The account's newest notifications (its list, then each by _id: no scan)."""
        return sorted(self.listed("account_notifications", account_id, "notifications", limit),
                      key=lambda n: n["created_at"], reverse=True)
