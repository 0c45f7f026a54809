"""A process's cache of documents read for display, kept true across a service's processes.

Each process keeps the documents it was last asked for, by key (database, collection, _id).
A write through the store drops the document here at once and tells the service's other
processes with a broadcast event (``<service>.documents_changed``), published before the
write's reply: a caller who sees its change acknowledged finds it on any replica a moment
later. A broadcast lost to a broker failure is covered by the age limit (``CACHE_SECONDS``).
Only for reads that show data; a decision (a guard, a right) reads the database itself.
"""
import collections
import logging
import time

import amqp.exceptions
from kombu.exceptions import OperationalError
from nameko.extensions import DependencyProvider
from nameko.standalone.events import event_dispatcher

log = logging.getLogger(__name__)

EVENT = "documents_changed"


class DocumentCache:
    def __init__(self, max_entries=20000, max_age=30.0):
        self.max_entries, self.max_age = max_entries, max_age
        self._docs = collections.OrderedDict()   # key -> (loaded at, document), oldest use first
        self._drops = 0                          # a load that overlapped a drop is not kept
        self.broadcast = None                    # set by CacheBroadcast

    def get(self, key, load):
        """The document under ``key`` (a copy), loaded with ``load()`` when not held or too old."""
        hit = self._docs.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.max_age:
            self._docs.move_to_end(key)
            return dict(hit[1])
        started, drops = time.monotonic(), self._drops
        doc = load()
        if doc is None:
            return None
        if drops == self._drops:
            self._docs[key] = (started, doc)
            self._docs.move_to_end(key)
            while len(self._docs) > self.max_entries:
                self._docs.popitem(last=False)
        return dict(doc)

    def drop(self, keys):
        for key in keys:
            self._docs.pop(tuple(key), None)
        self._drops += 1

    def changed(self, key):
        """After a write: drop ``key`` here and in the service's other processes."""
        self.drop([key])
        if self.broadcast is not None:
            self.broadcast([list(key)])


class CacheBroadcast(DependencyProvider):
    """Connects a DocumentCache to the service's other processes: it publishes the drops; the
    service receives them with ``@event_handler(<service>, EVENT, handler_type=BROADCAST,
    reliable_delivery=False)`` calling ``cache.drop(payload["keys"])``."""

    def __init__(self, cache):
        self.cache = cache

    def setup(self):
        config = self.container.config
        self.cache.max_age = float(config.get("CACHE_SECONDS", self.cache.max_age))
        dispatch, service = event_dispatcher(config), self.container.service_name

        def broadcast(keys):
            try:
                dispatch(service, EVENT, {"keys": keys})
            # the write stands: its other processes serve the old view until the age limit
            except (OperationalError, amqp.exceptions.ConnectionError, OSError) as exc:
                log.warning("cache drop not broadcast, the broker is unreachable: %s",
                            type(exc).__name__)
        self.cache.broadcast = broadcast

    def get_dependency(self, worker_ctx):
        return self.cache
