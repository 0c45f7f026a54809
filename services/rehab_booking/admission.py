"""Admission to a slot's booking path, per process (a race's losers wait instead of working).

A booking that gets past the slot's counters pays for the person's facts (identity, by RPC),
the person guard, the person's bookings and the seat inserts: ~17 database commands. When a
slot has ``free`` places left as last counted and as many bookings of it are already on that
path in this process, one more can only get a place if one of them fails; so it waits until
one fails or the slot is full, reads the counters again, and is refused with that one read
when they say full. In a 200-way race for 10 places, 10 bookings work instead of 20-30.

The counters are recounted from the seats by the booking that takes the place its reading
said was the last one (the waiters and later bookings then read "full"), and by the last one
to leave the path if places were taken after that; not once per place (one that leaves before
lists the slot for the 2 s settle sweep, in case the last is slow). The gate counts the
places taken while the path was busy (``taken``) against the free places as read: a reading
made before a recount does not show them, one made after does, so a booking may wait when it
need not (until the path is empty), never the other way round.

The gate never decides a place: the seat inserts do (store.take_seats), and a wait that runs
out goes on as before. It counts this process's bookings only (a replica has its own gate).
Its miscounts cost work or a wait, never a place or a refusal: refusals come from the counters.
"""
import collections

import eventlet
from eventlet.event import Event


class SlotGate:
    def __init__(self):
        self._on_path = collections.Counter()  # slot id -> bookings on the path
        self._pending = collections.Counter()  # ... of which have not taken a place yet
        self._taken = collections.Counter()    # places taken since the path was last empty
        self._counted = collections.Counter()  # ... of which a recount has seen
        self._waiters = {}                     # slot id -> Event sent when worth a new look

    def try_enter(self, slot_id, free):
        """A Passage if those pending and the places taken while the path was busy leave one
        of the ``free`` places as read, else None."""
        if self._pending[slot_id] + self._taken[slot_id] >= free:
            return None
        return self.enter(slot_id, free)

    def enter(self, slot_id, free):
        """A Passage regardless (a wait ran out): the seat inserts still decide."""
        place = self._pending[slot_id] + self._taken[slot_id]
        self._on_path[slot_id] += 1
        self._pending[slot_id] += 1
        return Passage(self, slot_id, free, place)

    def wait(self, slot_id, seconds):
        """Until a booking of the slot leaves the path or fills the slot, or ``seconds``."""
        event = self._waiters.get(slot_id)
        if event is None:
            event = self._waiters[slot_id] = Event()
        with eventlet.Timeout(seconds, False):
            event.wait()

    def _wake(self, slot_id):
        event = self._waiters.pop(slot_id, None)
        if event is not None:
            event.send()


class Passage:
    """One booking's way through a slot's gate: ``place`` (how many places the bookings ahead
    account for: a hint for which seat to try first); took(), then leave() once."""

    def __init__(self, gate, slot_id, free, place):
        self.gate, self.slot_id, self.free, self.place = gate, slot_id, free, place
        self.has_taken = self.taken_before = False

    def took(self, places=1):
        """The booking took its places (a companion may take one too). True when that was the
        last of the free places it read: the caller recounts the slot now, then calls
        recounted()."""
        g, sid = self.gate, self.slot_id
        self.has_taken = True
        g._pending[sid] -= 1
        g._taken[sid] += places
        self.taken_before = g._taken[sid]   # their seats exist: a recount started now sees them
        return g._taken[sid] >= self.free

    def recounted(self):
        """The counters show the places taken: waiters look again (and see "full")."""
        g, sid = self.gate, self.slot_id
        g._counted[sid] = max(g._counted[sid], self.taken_before)
        g._wake(sid)

    def must_recount(self):
        """Whether this booking is the last on the path and places were taken that no recount
        has seen: it recounts before leave()."""
        g, sid = self.gate, self.slot_id
        return g._on_path[sid] <= 1 and g._taken[sid] > g._counted[sid]

    def uncounted(self):
        """Whether this booking's places may not be in the counters yet (no recount started
        after it took them)."""
        return self.has_taken and self.taken_before > self.gate._counted[self.slot_id]

    def leave(self, ok):
        """The booking left the path (``ok``: booked). Waiters look again when it failed (a
        place may be free) or when the path is empty (the counters are final)."""
        g, sid = self.gate, self.slot_id
        g._on_path[sid] -= 1
        if not self.has_taken:
            g._pending[sid] -= 1
        if g._on_path[sid] <= 0:
            for counts in (g._on_path, g._pending, g._taken, g._counted):
                counts.pop(sid, None)
        elif ok:
            return
        g._wake(sid)


GATE = SlotGate()
