"""The one MongoDB dependency provider: one client per container, one database per service.

A service declares ``store = Mongo(MyStore)``; each worker gets ``MyStore(db, clock)``, a thin
repository that is the only place that queries. ``MyStore.ensure_indexes(db)`` runs at container
start (idempotent ``create_index`` calls only). Queries stay within what both MongoDB 7 and
FerretDB v1 support: no transactions, no $lookup, single-document atomic updates.
"""
import collections
import datetime as dt
import logging

import pymongo
from nameko.extensions import DependencyProvider
from pymongo import monitoring
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.common.clock import Clock

LIST_MARK_EVERY = 8


def database_name(config, service_name):
    return "%s%s" % (config.get("DB_PREFIX", "dpf_"), service_name)


class SlowCommandLog(monitoring.CommandListener):
    """Logs every database command slower than ``threshold_ms``: the command, the collection and
    the filter's field names (never its values: they may hold personal data). On FerretDB v1 a
    filter that is not exactly ``{"_id": <value>}`` scans the whole collection; this log is how
    such a scan on a large collection shows up (docs/benchmarks.md)."""

    log = logging.getLogger("mongo.slow")
    shapes = {"find": "filter", "count": "query", "delete": "deletes", "update": "updates",
              "findAndModify": "query", "aggregate": "pipeline"}

    def __init__(self, threshold_ms):
        self.threshold_us, self.pending = threshold_ms * 1000, {}
        self.cursors = collections.OrderedDict()   # open cursor id -> the find that opened it

    def started(self, event):
        cmd = event.command
        if event.command_name == "getMore":   # named after its find: "getMore find db.coll {..}"
            what = "getMore " + self.cursors.get(cmd.get("getMore"), "%s.%s" % (
                event.database_name, cmd.get("collection")))
        else:
            what = "%s %s.%s %s" % (
                event.command_name, event.database_name, cmd.get(event.command_name),
                self._shape(cmd.get(self.shapes.get(event.command_name, ""))))
        self.pending[event.request_id] = what

    def succeeded(self, event):
        cursor = (event.reply or {}).get("cursor") or {}
        what = self.pending.get(event.request_id)
        if cursor.get("id") and what and event.command_name != "getMore":
            self.cursors[cursor["id"]] = what
            while len(self.cursors) > 1000:      # cursors left open are forgotten, oldest first
                self.cursors.popitem(last=False)
        self._done(event, "")

    def failed(self, event):
        self._done(event, " (failed)")

    def _done(self, event, outcome):
        what = self.pending.pop(event.request_id, None)
        if what and event.duration_micros >= self.threshold_us:
            self.log.warning("slow database command: %s took %d ms%s", what,
                             event.duration_micros // 1000, outcome)

    @classmethod
    def _shape(cls, value):
        """Field names only, e.g. ``{person_id, status}``."""
        if isinstance(value, dict):
            return "{%s}" % ", ".join(sorted(value))
        if isinstance(value, list) and value:
            first = value[0]
            if isinstance(first, dict) and ("q" in first or "$match" in first):
                return cls._shape(first.get("q", first.get("$match")))
            return "[%d]" % len(value)
        return ""


def client_from_config(config, max_pool=None):
    return pymongo.MongoClient(
        config.get("MONGO_URI", "mongodb://127.0.0.1:27017/"),
        maxPoolSize=max_pool or 100,
        serverSelectionTimeoutMS=int(config.get("MONGO_SERVER_SELECTION_TIMEOUT_MS", 3000)),
        connectTimeoutMS=3000,
        socketTimeoutMS=int(config.get("MONGO_SOCKET_TIMEOUT_MS", 15000)),
        tz_aware=True,
        connect=False,
        event_listeners=[SlowCommandLog(int(config.get("MONGO_SLOW_MS", 250)))],
    )


class BaseStore:
    """Repositories subclass this. ``db`` is the service's database, ``clock`` the one clock."""

    claim_lease = None  # how old a claim must be before another worker may take it over

    def __init__(self, db, clock):
        self.db, self.clock = db, clock

    def claim(self, key, lease=None):
        """True for the one caller that inserts ``key`` into ``claims``: a unique insert is the
        guard that holds under concurrency on FerretDB v1 (whose conditional updates do not)
        as on MongoDB. A claim older than ``lease`` (a crash between the claim and the write it
        guards) may be taken over."""
        lease = lease if lease is not None else self.claim_lease
        now = self.clock.now()
        if self._insert_claim(key, now):
            return True
        if lease is None:
            return False
        held = self.db.claims.find_one({"_id": key})
        if held and held["at"] < now - lease and \
                self.db.claims.delete_one({"_id": key, "at": held["at"]}).deleted_count:
            return self._insert_claim(key, now)
        return False

    def _insert_claim(self, key, now):
        try:
            self.db.claims.insert_one({"_id": key, "at": now})
            return True
        except DuplicateKeyError:
            return False

    def release(self, key):
        self.db.claims.delete_one({"_id": key})

    # natural keys ------------------------------------------------------------------------------
    # FerretDB v1 finds a document fast only by ``{"_id": value}``; any other filter reads the
    # whole collection (2 s among 24,400 persons). A natural key (an ID number's blind index, an
    # openid, an account) therefore lives in a side collection ``keys_<name>`` as
    # ``{_id: key, ref: id}``: a look-up by _id, and the unique _id makes a key point to one
    # document even when two callers file it at once (MongoDB behaves the same).
    def key_ref(self, name, key):
        """The id filed under ``key``, or None."""
        doc = self.db["keys_" + name].find_one({"_id": key})
        return doc["ref"] if doc else None

    def file_key(self, name, key, ref):
        """File ``key`` → ``ref`` unless the key is taken; returns the id the key points to."""
        try:
            self.db["keys_" + name].insert_one({"_id": key, "ref": ref})
            return ref
        except DuplicateKeyError:
            return self.key_ref(name, key)

    @staticmethod
    def backfill_keys(db, name, collection, field):
        """Migration for documents stored before their key was filed (run at start; cheap when
        the counts already agree)."""
        keys, docs = db["keys_" + name], db[collection]
        if keys.estimated_document_count() >= docs.estimated_document_count():
            return
        for doc in docs.find({}, {field: 1}):
            if doc.get(field) is not None:
                try:
                    keys.insert_one({"_id": doc[field], "ref": doc["_id"]})
                except DuplicateKeyError:
                    pass

    # lists by owner ---------------------------------------------------------------------------
    # "All X of owner O" is a scan on FerretDB v1. A list lives in ``lists_<name>`` as entries
    # ``{_id: "<owner>#<n>", ref}`` n = 0, 1, ...: read by _id until the first gap, appended by
    # a unique insert at the next free n, so two appends at once never lose one (FerretDB has
    # no atomic $push). Entries are never removed: readers check the referenced document.
    # Every LIST_MARK_EVERY appends leave a mark ``<owner>#end`` {n}: a place known to be taken,
    # where appends and tail reads start walking (a list of 500 is then ~8 reads, not 500).
    def _entry(self, coll, owner, n):
        entry_id = "%s#%d" % (owner, n)
        # an empty answer is read twice: one for an existing id has been seen from the embedded
        # FerretDB under heavy load, and a list cut there would hide its tail
        return coll.find_one({"_id": entry_id}) or coll.find_one({"_id": entry_id})

    @staticmethod
    def _mark(coll, owner):
        """A place of ``owner``'s list known to be taken (0 before the first mark)."""
        mark = coll.find_one({"_id": "%s#end" % owner})
        return mark["n"] if mark else 0

    def _list_end(self, coll, owner):
        """The first free place of ``owner``'s list, walked from its mark."""
        n = self._mark(coll, owner)
        while self._entry(coll, owner, n) is not None:
            n += 1
        return n

    def list_refs(self, name, owner, last=None):
        """The refs appended to ``owner``'s list, oldest first, each once (``last``: only the
        newest that many entries)."""
        coll = self.db["lists_" + name]
        if last is not None:
            end = self._list_end(coll, owner)
            found = (self._entry(coll, owner, n) for n in range(max(0, end - last), end))
            return list(dict.fromkeys(e["ref"] for e in found if e))
        out, n = [], 0
        while (entry := self._entry(coll, owner, n)) is not None:
            out.append(entry["ref"])
            n += 1
        return list(dict.fromkeys(out))

    def append_ref(self, name, owner, ref, repeat=False):
        """Append ``ref`` to ``owner``'s list unless it is among the entries since the mark (a
        repeat further back is appended again; readers keep each ref once) or, with ``repeat``,
        always (a log): walk from the mark to the end, insert there; a racing append that took
        the place moves us on."""
        coll = self.db["lists_" + name]
        n = self._mark(coll, owner)
        while True:
            entry_id = "%s#%d" % (owner, n)
            entry = coll.find_one({"_id": entry_id})
            if entry is None:
                try:
                    coll.insert_one({"_id": entry_id, "ref": ref})
                    break
                except DuplicateKeyError:
                    entry = coll.find_one({"_id": entry_id})
            if entry and entry["ref"] == ref and not repeat:
                return
            n += 1
        if (n + 1) % LIST_MARK_EVERY == 0:    # $max: a racing, older mark never moves it back
            upsert(coll, {"_id": "%s#end" % owner}, {"$max": {"n": n + 1}})

    def by_ids(self, collection, ids):
        """The documents with these ids, in their order, each read by _id (``{"_id": {"$in":
        ...}}`` reads the whole collection on FerretDB v1); ids with no document are skipped."""
        found = (self.db[collection].find_one({"_id": i}) for i in ids)
        return [doc for doc in found if doc]

    def listed(self, name, owner, collection, last=None):
        """The documents of ``collection`` on ``owner``'s list, oldest first (``last``: of the
        newest that many entries; an entry whose document is not there is skipped)."""
        return self.by_ids(collection, self.list_refs(name, owner, last))

    @staticmethod
    def backfill_lists(db, name, collection, owner_field, ref_field):
        """Migration for documents stored before their lists existed: run at start, once (a
        marker ``~filled`` records it; an interrupted run is simply run again)."""
        lists = db["lists_" + name]
        if lists.find_one({"_id": "~filled"}):
            return
        store = BaseStore(db, None)
        for doc in db[collection].find({}, {owner_field: 1, ref_field: 1}):
            if doc.get(owner_field) is not None and doc.get(ref_field) is not None:
                store.append_ref(name, doc[owner_field], doc[ref_field])
        upsert(lists, {"_id": "~filled"}, {"$set": {"at": dt.datetime.now(dt.timezone.utc)}})

    # work lists: a sweep for what is due (a deadline, a stamp) must not scan a collection that
    # grows with the city; the documents in flight are marked in ``due_<kind>`` {_id, at}
    # (small, read whole) before the write that makes them due, and unmarked when done.
    def mark_due(self, kind, doc_id, at):
        upsert(self.db["due_" + kind], {"_id": doc_id}, {"$set": {"at": at}})

    def unmark_due(self, kind, doc_id, at=None):
        """With ``at``: only the mark of that time (a later write may have marked it again)."""
        self.db["due_" + kind].delete_one({"_id": doc_id} if at is None else {"_id": doc_id, "at": at})

    def due_documents(self, kind, collection, before, still_due):
        """The documents of ``collection`` marked due by ``before``, earliest mark first, for
        which ``still_due(doc)`` holds; the marks of the others are removed (done since)."""
        out = []
        for mark in list(self.db["due_" + kind].find({"at": {"$lte": before}}).sort("at", 1)):
            doc = self.db[collection].find_one({"_id": mark["_id"]})
            if doc is not None and still_due(doc):
                out.append(doc)
            else:
                self.unmark_due(kind, mark["_id"], mark["at"])
        return out

    @staticmethod
    def backfill_due(db, kind, collection, field=None, query=None, at_of=None):
        """Migration: mark the documents stored before the work list existed (once, at start),
        each at its ``field`` or at ``at_of(document)`` (None: not due)."""
        marks = db["due_" + kind]
        if marks.find_one({"_id": "~filled"}):
            return
        store = BaseStore(db, None)
        at_of = at_of or (lambda doc: doc.get(field))
        for doc in db[collection].find(query or {}, {field: 1} if field else None):
            at = at_of(doc)
            if at:
                store.mark_due(kind, doc["_id"], at)
        upsert(marks, {"_id": "~filled"}, {"$set": {"filled": True}})

    @staticmethod
    def ensure_indexes(db):
        pass

    def ping(self):
        self.db.command("ping")
        return True


class Mongo(DependencyProvider):
    def __init__(self, store_cls, db_name=None):
        self.store_cls, self.db_name = store_cls, db_name

    def setup(self):
        cfg = self.container.config
        self.client = client_from_config(cfg, max_pool=self.container.max_workers + 5)
        self.db = self.client[database_name(cfg, self.db_name or self.container.service_name)]
        self.clock = Clock(cfg.get("CLOCK_OFFSET_FILE") or None)

    def start(self):
        self.store_cls.ensure_indexes(self.db)

    def stop(self):
        self.client.close()

    def kill(self):
        self.client.close()

    def get_dependency(self, worker_ctx):
        return self.store_cls(self.db, self.clock)


def upsert(collection, query, update, find_and_return=False, **kwargs):
    """``update_one``/``find_one_and_update`` with ``upsert=True`` that survives a racing
    upsert: two first writers can both try the insert (FerretDB v1 and MongoDB alike), and the
    loser's DuplicateKeyError means the document now exists, so the update is simply retried."""
    op = collection.find_one_and_update if find_and_return else collection.update_one
    try:
        return op(query, update, upsert=True, **kwargs)
    except DuplicateKeyError:
        return op(query, update, upsert=True, **kwargs)


def insert_new(collection, docs):
    """``insert_many`` of documents with deterministic ids, unordered: an id that exists already
    (a re-run, a second worker) is skipped, any other error raises. Returns the skipped ids."""
    if not docs:
        return []
    try:
        collection.insert_many(docs, ordered=False)
        return []
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors") or []
        if exc.details.get("writeConcernErrors") or any(e.get("code") != 11000 for e in errors):
            raise
        return [docs[e["index"]]["_id"] for e in errors]


def keep_newest(collection, doc_id, field, value, at, find_and_return=False):
    """Set ``field`` (and ``<field>_at``) unless the document holds a newer fact: an older event
    arriving late changes nothing. A read and a write by _id (FerretDB v1 scans the whole
    collection for an ``$or`` on the fact's time). None when the held fact is newer."""
    held = collection.find_one({"_id": doc_id}) or {}
    if held.get(field + "_at") is not None and held[field + "_at"] > at:
        return None
    update = {"$set": {field: value, field + "_at": at}}
    if find_and_return:
        return upsert(collection, {"_id": doc_id}, update, find_and_return=True,
                      return_document=ReturnDocument.AFTER)
    return upsert(collection, {"_id": doc_id}, update)


def holds(doc, conditions):
    """Whether ``doc`` meets a filter's conditions: values, ``$in`` and ``$nin``. For an update
    a claim has already decided: check the guard on a fresh read by _id, then update by _id
    alone (FerretDB v1 scans the whole collection for any other filter)."""
    for field, want in conditions.items():
        have = doc.get(field)
        if isinstance(want, dict):
            unknown = set(want) - {"$in", "$nin"}
            if unknown:
                raise ValueError("holds() does not read %s" % sorted(unknown))
            if ("$in" in want and have not in want["$in"]) or \
                    ("$nin" in want and have in want["$nin"]):
                return False
        elif have != want:
            return False
    return True


def without_id(doc):
    """A stored document as a plain dict with ``id`` in place of ``_id`` and no internals."""
    if doc is None:
        return None
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    out["id"] = doc["_id"]
    return out
