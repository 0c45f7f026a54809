"""Notifier storage: consent and quota per account and template, and every outcome."""
import datetime as dt

from pymongo import ReturnDocument

from services.common import outbox
from services.common.mongo import BaseStore, DuplicateKeyError, upsert


class NotifierStore(BaseStore):
    @staticmethod
    def ensure_indexes(db):
        db.notifications.create_index([("account_id", 1), ("created_at", -1)])
        db.notifications.create_index([("status", 1), ("next_attempt_at", 1)])
        outbox.ensure_indexes(db)
        BaseStore.backfill_lists(db, "account_notifications", "notifications", "account_id",
                                 "_id")

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
        self.db.notifications.update_one(
            {"_id": notification_id},
            {"$set": fields, "$push": {"history": {"status": status, "reason": reason, "at": now}}})

    def claim_due_retries(self, limit=50):
        now = self.clock.now()
        due = self.db.notifications.find({"status": "failed", "next_attempt_at": {"$lte": now}},
                                         {"_id": 1}).limit(limit)
        claimed = []
        for d in due:
            doc = self.db.notifications.find_one_and_update(
                {"_id": d["_id"], "status": "failed"},
                {"$set": {"status": "sending", "next_attempt_at": now + dt.timedelta(minutes=5)}},
                return_document=ReturnDocument.AFTER)
            if doc:
                claimed.append(doc)
        return claimed

    def for_account(self, account_id, limit=50):
        """The account's newest notifications (its list, then each by _id: no scan)."""
        ids = self.list_refs("account_notifications", account_id, last=limit)
        found = (self.db.notifications.find_one({"_id": i}) for i in reversed(ids))
        return sorted((n for n in found if n), key=lambda n: n["created_at"], reverse=True)
