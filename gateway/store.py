"""The gateway's own small database: idempotency keys and rate-limit counters."""
import datetime as dt
import json

from pymongo import ReturnDocument

from services.common.mongo import BaseStore, DuplicateKeyError, upsert

IDEMPOTENCY_TTL = dt.timedelta(hours=24)


class GatewayStore(BaseStore):
    @staticmethod
    def ensure_indexes(db):
        db.idempotency.create_index("created_at")
        db.rate_limits.create_index("expires_at")

    def claim_idempotency(self, key):
        """None when the key is new (claimed); else the stored record (done or pending)."""
        now = self.clock.now()
        try:
            self.db.idempotency.insert_one({"_id": key, "state": "pending", "created_at": now})
            return None
        except DuplicateKeyError:
            rec = self.db.idempotency.find_one({"_id": key})
            if rec and rec["created_at"] < now - IDEMPOTENCY_TTL:
                self.db.idempotency.delete_one({"_id": key, "created_at": rec["created_at"]})
                return self.claim_idempotency(key)
            return rec

    def finish_idempotency(self, key, status, body):
        """Keep the first answer as JSON text: a response is any JSON, and FerretDB v1 refuses
        some as a document (nested arrays such as an institution's opening hours, keys with
        dots or a leading $), which turned the write into a 500 after it had been done."""
        self.db.idempotency.update_one({"_id": key}, {"$set": {
            "state": "done", "status": status, "body_json": json.dumps(body, ensure_ascii=False)}})

    @staticmethod
    def replay_body(record):
        """The stored first answer (records written before ``body_json`` kept ``body``)."""
        if "body_json" in record:
            return json.loads(record["body_json"])
        return record.get("body")

    def release_idempotency(self, key):
        self.db.idempotency.delete_one({"_id": key, "state": "pending"})

    def hit(self, bucket, window_seconds):
        """Count one hit in the current fixed window; returns (count, seconds left)."""
        now = self.clock.now()
        start = int(now.timestamp()) // window_seconds * window_seconds
        key = "%s:%d" % (bucket, start)
        doc = upsert(self.db.rate_limits, {"_id": key}, {"$inc": {"count": 1}, "$setOnInsert": {
            "expires_at": dt.datetime.fromtimestamp(start + window_seconds, dt.timezone.utc)}},
            find_and_return=True, return_document=ReturnDocument.AFTER)
        return doc["count"], start + window_seconds - int(now.timestamp())

    def sweep_expired(self):
        now = self.clock.now()
        self.db.rate_limits.delete_many({"expires_at": {"$lt": now}})
        self.db.idempotency.delete_many({"created_at": {"$lt": now - IDEMPOTENCY_TTL}})
