"""Identity storage: accounts, persons (一人一档 key data), guardianships, staff, refresh tokens."""
import datetime as dt

from pymongo import ReturnDocument

from services.common import outbox
from services.common.cache import DocumentCache
from services.common.ids import new_id
from services.common.mongo import BaseStore, DuplicateKeyError, upsert


class IdentityStore(BaseStore):
    # the accounts and persons shown by ``me`` (every app start), per process; every write to
    # them below goes through _changed
    cache = DocumentCache()

    @staticmethod
    def ensure_indexes(db):
        db.guardianships.create_index("person_id")
        db.guardianships.create_index("account_id")
        outbox.ensure_indexes(db)
        BaseStore.backfill_keys(db, "openid", "accounts", "openid")
        BaseStore.backfill_keys(db, "id_hash", "persons", "id_hash")
        BaseStore.backfill_lists(db, "wards", "guardianships", "account_id", "person_id")
        IdentityStore._flag_guardians(db)

    @staticmethod
    def _flag_guardians(db):
        """Migration: ``has_wards`` on the accounts of guardianships stored before the flag
        existed (once, at start; a marker records it, an interrupted run is run again)."""
        if db.lists_wards.find_one({"_id": "~flagged"}):
            return
        for account_id in {g["account_id"] for g in db.guardianships.find({}, {"account_id": 1})}:
            db.accounts.update_one({"_id": account_id}, {"$set": {"has_wards": True}})
        upsert(db.lists_wards, {"_id": "~flagged"}, {"$set": {"at": dt.datetime.now(dt.timezone.utc)}})

    # accounts -------------------------------------------------------------------------------
    def account_for_openid(self, openid):
        now = self.clock.now()
        account_id = self.file_key("openid", openid, new_id("acc"))
        return upsert(self.db.accounts, {"_id": account_id},
                      {"$setOnInsert": {"openid": openid, "created_at": now},
                       "$set": {"last_login": now}},
                      find_and_return=True, return_document=ReturnDocument.AFTER)

    def account(self, account_id):
        return self.db.accounts.find_one({"_id": account_id})

    def shown_account(self, account_id):
        """The account to show (this process's cache; decisions use ``account``)."""
        return self.cache.get(self._key("accounts", account_id), lambda: self.account(account_id))

    def _key(self, collection, doc_id):
        return (self.db.name, collection, doc_id)

    def _changed(self, collection, doc_id):
        self.cache.changed(self._key(collection, doc_id))

    def set_phone(self, account_id, phone_enc, phone_hash):
        self.db.accounts.update_one({"_id": account_id},
                                    {"$set": {"phone_enc": phone_enc, "phone_hash": phone_hash}})
        self._changed("accounts", account_id)

    # persons --------------------------------------------------------------------------------
    def person(self, person_id):
        return self.db.persons.find_one({"_id": person_id})

    def shown_person(self, person_id):
        """The person to show (this process's cache; decisions use ``person``)."""
        return self.cache.get(self._key("persons", person_id), lambda: self.person(person_id))

    def person_by_hash(self, id_hash):
        person_id = self.key_ref("id_hash", id_hash)
        return self.person(person_id) if person_id else None

    def ensure_person(self, id_hash, fields):
        """The person with this ID number, created if new. Returns (doc, created)."""
        new = new_id("p")
        person_id = self.file_key("id_hash", id_hash, new)
        # also completes a person whose key was filed by a caller that died before this insert
        doc = upsert(self.db.persons, {"_id": person_id},
                     {"$setOnInsert": dict(fields, id_hash=id_hash, created_at=self.clock.now())},
                     find_and_return=True, return_document=ReturnDocument.AFTER)
        return doc, person_id == new

    def fill_person(self, person_id, fields):
        """Set fields that are still empty (a person first known from a feed gets a name)."""
        person = self.person(person_id)
        missing = {k: v for k, v in fields.items()
                   if v is not None and person is not None and person.get(k) is None}
        if missing:  # filter by _id alone: {"_id": .., key: None} would scan every person
            self.db.persons.update_one({"_id": person_id}, {"$set": missing})
            self._changed("persons", person_id)
            person = self.person(person_id)
        return person

    def bind_self(self, account_id, person_id):
        """Link an account to its own person; one account per person, one person per account
        (each side decided by a unique insert; the account itself is then updated by _id)."""
        try:
            self.db.self_bindings.insert_one({"_id": person_id, "account_id": account_id,
                                              "at": self.clock.now()})
        except DuplicateKeyError:
            current = self.db.self_bindings.find_one({"_id": person_id})
            if current["account_id"] != account_id:
                return False
        account = self.account(account_id) or {}
        if account.get("person_id") not in (None, person_id) or \
                self.file_key("account_person", account_id, person_id) != person_id:
            return False
        self.db.accounts.update_one({"_id": account_id}, {"$set": {"person_id": person_id}})
        self._changed("accounts", account_id)
        return True

    def mark_deceased(self, person_id, date_iso, event):
        """Record a death once (a claim decides between racing feeds); None if already known."""
        person = self.person(person_id)
        if person is None or person.get("deceased_on") or \
                not self.claim("deceased:%s" % person_id, lease=dt.timedelta(minutes=5)):
            return None
        person = self.db.persons.find_one_and_update(
            {"_id": person_id},
            {"$set": {"deceased_on": date_iso}, "$push": {"_outbox": {"$each": event}}},
            return_document=ReturnDocument.AFTER)
        self._changed("persons", person_id)
        return person

    # guardianships ----------------------------------------------------------------------------
    def add_guardianship(self, account_id, person_id, relationship):
        # flagged first: a flag without a ward costs a read, a ward without the flag is hidden
        self.db.accounts.update_one({"_id": account_id}, {"$set": {"has_wards": True}})
        self._changed("accounts", account_id)
        upsert(self.db.guardianships, {"_id": "%s:%s" % (account_id, person_id)},
               {"$setOnInsert": {"account_id": account_id, "person_id": person_id,
                                 "relationship": relationship, "created_at": self.clock.now()}})
        self.append_ref("wards", account_id, person_id)

    def wards(self, account):
        """The account's guardianships in the order added (the account's list, then each by
        _id: no scan). Most accounts have none: their flag spares the list's reads."""
        if not account.get("has_wards"):
            return []
        return self.by_ids("guardianships", ["%s:%s" % (account["_id"], person_id)
                                             for person_id in self.list_refs("wards", account["_id"])])

    def guardians(self, person_id):
        return list(self.db.guardianships.find({"person_id": person_id}))

    def self_account(self, person_id):
        binding = self.db.self_bindings.find_one({"_id": person_id})
        return self.account(binding["account_id"]) if binding else None

    def is_guardian(self, account_id, person_id):
        return self.db.guardianships.find_one({"_id": "%s:%s" % (account_id, person_id)},
                                              {"_id": 1}) is not None

    # staff and refresh tokens -------------------------------------------------------------------
    def staff(self, username):
        return self.db.staff.find_one({"_id": username})

    def upsert_staff(self, username, fields):
        upsert(self.db.staff, {"_id": username}, {"$set": fields})

    def save_refresh(self, token_hash, subject, kind, expires_at):
        self.db.refresh_tokens.insert_one({"_id": token_hash, "subject": subject, "kind": kind,
                                           "expires_at": expires_at, "used_at": None})

    def use_refresh(self, token_hash):
        """Consume a refresh token once: a unique insert decides (atomic even on FerretDB v1,
        where racing conditional updates can all match), so a replayed token gets nothing."""
        token = self.db.refresh_tokens.find_one({"_id": token_hash})  # by _id alone: no scan
        if not token or token["expires_at"] <= self.clock.now():
            return None
        try:
            self.db.used_refresh_tokens.insert_one({"_id": token_hash, "at": self.clock.now()})
        except DuplicateKeyError:
            return None
        return token
