"""Booking flows: load facts, ask the domain, write with single conditional updates, flush.

``Flows(store, relay, identity)`` is built per worker by service.py. Nothing here decides a rule
(domain.py does); this module only orders the reads and writes:

- a place is a seat document with a unique id ``{slot}#{n}`` (store.take_seats), in the pools
  the domain's capacity.seat_claims name: at most ``capacity`` can exist, whatever the
  concurrency, on MongoDB and on the embedded FerretDB (whose filtered updates are not atomic);
- one person's changes are serialised by a lease on a per-person guard document, so the overlap
  check (domain) and the insert cannot interleave with another request for that person;
- a booking is refused on the slot's counters before any other work, and waits at the slot's
  gate (admission.py) while as many bookings as there are places are on their way;
- a booking's state change, its audit record and its events are one update (the outbox).
"""
import datetime as dt
import logging

import eventlet

from services.common import outbox
from services.common.errors import Conflict, NotFound, ServiceError, Unavailable, UpstreamTimeout
from services.common.ids import new_id
from services.rehab_booking import domain, views
from services.rehab_booking.admission import GATE
from services.rehab_booking.capacity import free_places, reserve_released, slot_full_error
from services.rehab_booking.eligibility import no_show_times
from services.rehab_booking.events import events_for_transition, waitlist_offered
from services.rehab_booking.states import HELD, ORPHANED
from services.rehab_booking.util import ROLE_CITIZEN, local, utc

log = logging.getLogger(__name__)
SYSTEM = {"kind": "system"}
ADMISSION_WAIT_SECONDS = 4.0   # then a waiting booking goes on (the seat inserts decide)


def inst_doc(inst):
    """The stored institution as the domain wants it (``id``)."""
    return dict(inst, id=inst["_id"]) if inst else None


class Flows:
    def __init__(self, store, relay, identity):
        self.store, self.relay, self.identity = store, relay, identity

    # facts ------------------------------------------------------------------------------------
    def now(self):
        return self.store.clock.now()

    @staticmethod
    def policy(region, when):
        on = local(when).date() if isinstance(when, dt.datetime) else when
        return domain.policy_for(region, on)

    def institution(self, inst_id):
        inst = self.store.institution(inst_id)
        if inst is None:
            raise NotFound("没有找到该机构", {"institution_id": inst_id})
        return inst_doc(inst)

    def slot(self, slot_id):
        slot = self.store.slot(slot_id)
        if slot is None:
            raise NotFound("没有找到该时段", {"slot_id": slot_id}, code="SLOT_NOT_FOUND")
        return slot

    def booking(self, booking_id):
        b = self.store.booking(booking_id)
        if b is None:
            raise NotFound("没有找到该预约", {"booking_id": booking_id})
        return b

    def person_facts(self, person_id, asked=None):
        """Identity's facts (birth date, death) + the local copy of certificate and household.
        ``asked``: identity's reply to a call made earlier (ask_person_facts)."""
        facts = None
        for attempt in range(3):      # (an empty read under load, see store._by_id)
            try:
                with eventlet.Timeout(6):
                    facts = asked.result() if asked is not None else \
                        self.identity.person_facts(person_id)
                break
            except eventlet.Timeout:
                raise UpstreamTimeout()
            except NotFound:
                asked = None
                if attempt == 2:
                    raise NotFound("没有找到此人", {"person_id": person_id})
                eventlet.sleep(0.1)
        local_ = self.store.person(person_id) or {}
        return {"person_id": person_id, "birth_date": facts.get("birth_date"),
                "deceased": bool(facts.get("deceased_on") or local_.get("deceased")),
                "certificate": local_.get("certificate"),
                "household_status": local_.get("household_status") or "none",
                "suspected": bool(local_.get("suspected"))}

    def ask_person_facts(self, person_id):
        """Ask identity now; returns the function that waits for the facts (a booking reads
        the person guard and the person's bookings meanwhile)."""
        asked = self.identity.person_facts.call_async(person_id)
        return lambda: self.person_facts(person_id, asked)

    def extend_actor(self, actor, person_id):
        """A citizen token minted before a ward was added: confirm with identity once."""
        if (actor or {}).get("kind") == "citizen" and person_id not in actor.get("person_ids", []):
            try:
                with eventlet.Timeout(6):
                    ok = self.identity.may_act_for(actor["account_id"], person_id)
            except eventlet.Timeout:
                raise Unavailable()
            if ok:
                actor = dict(actor, person_ids=list(actor.get("person_ids", [])) + [person_id])
        return actor

    # seats ------------------------------------------------------------------------------------
    def claim(self, slot, claims, booking_id, seats, policy, first_seat=0, recount=True):
        """Take places (seat documents, unique ids) in the pools the domain's claims name, in
        order; none left -> SLOT_FULL. Returns the pool of the place taken."""
        if slot.get("status") != "open":
            raise slot_full_error(slot["_id"])
        pool = self.store.take_seats(slot, booking_id, [c["pool"] for c in claims], seats,
                                     reserve_released(slot, self.now(), policy), first_seat,
                                     recount)
        if pool is None:
            raise slot_full_error(slot["_id"])
        return pool

    # booking ----------------------------------------------------------------------------------
    def book(self, actor, data):
        slot = self.slot(data["slot_id"])
        actor = self.extend_actor(actor, data["person_id"])
        if actor.get("kind") == "citizen" and data["person_id"] not in actor["person_ids"]:
            raise domain_forbidden()
        slot, passage = self.admit(slot)
        ok = False
        try:
            facts = self.ask_person_facts(data["person_id"])
            inst = self.institution(slot["institution_id"])
            policy = self.policy(inst["region"], slot["start"])
            doc = self.create(actor, slot, inst, policy, data["person_id"], facts, new_id("bk"),
                              companion=data.get("companion"), escort=data.get("escort_needed"),
                              confirm_now=data.get("confirm", False), passage=passage)
            ok = True
        finally:
            if passage is not None:
                if passage.must_recount():
                    self.recount_slot(slot)
                elif passage.uncounted():   # the last to leave may be slow: the sweep meanwhile
                    self.mark_recount(slot)
                passage.leave(ok)
        return views.booking_view(doc, inst)

    def admit(self, slot):
        """Refuse on the slot's counters (recounted from the seats when places are taken or
        given back: a race's losers cost one read), else pass the slot's gate (admission.py),
        reading the counters again after each wait. Returns the slot as last read and the
        booking's way through the gate (admission.Passage; None for a closed or started slot:
        create() answers those)."""
        clock = eventlet.hubs.get_hub().clock
        deadline = clock() + ADMISSION_WAIT_SECONDS
        while True:
            free = free_places(slot, self.now())
            if free is None:
                return slot, None
            if free < 1:
                raise slot_full_error(slot["_id"])
            passage = GATE.try_enter(slot["_id"], free)
            if passage is None and clock() >= deadline:
                passage = GATE.enter(slot["_id"], free)
            if passage is not None:
                return slot, passage
            GATE.wait(slot["_id"], deadline - clock())
            slot = self.slot(slot["_id"])

    def recount_slot(self, slot):
        """Counters from the seats, for the bookings that passed the slot's gate (a crash
        before it leaves them low until the slot's next take or release: low counters only
        let bookings try the seats, and a failed try recounts)."""
        try:
            self.store.recount(slot["_id"], capacity=slot["capacity"])
        except Exception:  # noqa: BLE001 - stale counters only let bookings try the seats
            log.warning("slot %s not recounted", slot["_id"], exc_info=True)

    def mark_recount(self, slot):
        try:
            self.store.mark_recount(slot["_id"])
        except Exception:  # noqa: BLE001 - as recount_slot
            log.warning("slot %s not marked for a recount", slot["_id"], exc_info=True)

    def seat_taken(self, slot, passage, places):
        """A gated booking took its places: the one that took the last recounts for all."""
        if passage.took(places):
            self.recount_slot(slot)
            passage.recounted()

    def create(self, actor, slot, inst, policy, pid, facts, booking_id, companion=None,
               escort=False, confirm_now=False, hold_minutes=None, source=None, extra=None,
               entry=None, passage=None):
        """A booking of person ``pid`` whose ``facts`` (person_facts) are given or come from a
        function that waits for them; ``passage``: its way through the slot's gate."""
        token = self.store.acquire_person(pid)
        try:
            now = self.now()
            mine = self.store.person_bookings(pid)   # overlaps and no-shows: one read of them
            person = facts() if callable(facts) else facts
            # the slot's counters as read (recounted on every take and release) choose the
            # pools to try; the seat inserts decide, so a stale count costs a try, never a place
            plan = domain.plan_booking(
                booking_id, person, slot, inst, mine, no_show_times(mine), actor, now, policy,
                companion=companion, escort_needed=escort, confirm_now=confirm_now,
                hold_minutes=hold_minutes, source=source)
            doc = dict(plan["booking"], **(extra or {}))
            first = slot.get("booked", 0) + (passage.place if passage else 0)
            doc["seat_pool"] = self.claim(slot, plan["seat_claims"], booking_id, doc["seats"],
                                          policy, first, recount=passage is None)
            if passage is not None:
                self.seat_taken(slot, passage, doc["seats"])
            tr = {"from": None, "to": doc["status"], "action": "book",
                  "role": doc["created_by_role"], "reason": None, "update": {"$set": {}}}
            evs = events_for_transition(tr, doc, inst, policy) if doc["status"] != HELD else []
            if entry is not None:
                evs.append(waitlist_offered(doc, inst, entry))
            doc["_outbox"] = [outbox.audit(actor, booking_id, "book", None, doc["status"], now,
                                           data={"slot_id": slot["_id"],
                                                 "pool": doc["seat_pool"], "source": source})]
            doc["_outbox"] += views.outbox_entries(evs, now,
                                                   notify=tr["role"] != ROLE_CITIZEN)
            try:
                self.store.insert_booking(doc)
            except Exception:
                self.store.release_seats(booking_id, slot["_id"])
                raise
        finally:
            self.store.release_person(pid, token)
        self.relay.flush(self.store.db.bookings, booking_id)
        return doc

    def act(self, actor, booking_id, action, reason=None, data=None):
        """confirm / cancel / check_in / complete / mark_no_show / approve / reject / rate."""
        b = self.booking(booking_id)
        actor = self.extend_actor(actor, b["person_id"])
        inst = self.institution(b["institution_id"])
        policy = self.policy(b["region"], b["start"])
        if action == "confirm":
            action = domain.confirm_action(b)
        tr = domain.transition(b, action, actor, self.now(), policy, reason=reason, data=data)
        return views.booking_view(self.apply(b, tr, actor, inst, policy), inst)

    def apply(self, b, tr, actor, inst, policy, alternatives=(), notify=None, extra_set=None):
        now = tr["at"]
        if notify is None:
            notify = tr["role"] != ROLE_CITIZEN
        evs = events_for_transition(tr, b, inst, policy, alternatives)
        entries = [outbox.audit(actor, b["_id"], tr["action"], tr["from"], tr["to"], now,
                                tr["reason"], data={"slot_id": tr["update"]["$set"].get(
                                    "slot_id", b["slot_id"])})]
        entries += views.outbox_entries(evs, now, notify)
        update = {"$set": dict(tr["update"]["$set"], **(extra_set or {})),
                  "$push": {"_outbox": {"$each": entries}}}
        # one transition per state as read, whatever the concurrency (a unique claim: the
        # filtered update below is atomic on MongoDB but not on the embedded FerretDB)
        doc, key = None, "tr:%s:%s" % (b["_id"], utc(b["updated_at"]).isoformat())
        if self.store.claim(key):
            doc = self.store.apply_booking(tr["filter"], update)
            if doc is None:
                self.store.release(key)
        if doc is None:
            raise Conflict("预约状态已变化，请刷新后重试", {"booking_id": b["_id"]},
                           code="ILLEGAL_TRANSITION")
        self.relay.flush(self.store.db.bookings, b["_id"])
        if tr["releases_seat"]:
            self.store.release_seats(b["_id"], b["slot_id"])
        if b.get("waitlist_entry_id"):
            self.settle_offer(b["waitlist_entry_id"], doc["status"], now)
        if tr["releases_seat"]:
            self.offer_next(b["slot_id"])
        return doc

    def reschedule(self, actor, booking_id, slot_id):
        b = self.booking(booking_id)
        actor = self.extend_actor(actor, b["person_id"])
        self.slot(slot_id)
        new_slot = self.store.fresh_slot(slot_id)
        inst = self.institution(new_slot["institution_id"])
        policy = self.policy(inst["region"], new_slot["start"])
        action = "rebook" if b["status"] == ORPHANED else "reschedule"
        domain.transition(b, action, actor, self.now(), policy)   # refuse early: role, cut-off
        person = self.person_facts(b["person_id"])
        token = self.store.acquire_person(b["person_id"])
        try:
            now = self.now()
            plan = domain.plan_reschedule(b, new_slot, inst, person,
                                          self.store.person_active(b["person_id"]), actor, now,
                                          policy, action=action)
            tr = plan["transition"]
            pool = self.claim(new_slot, plan["seat_claims"], b["_id"], b.get("seats", 1),
                              policy)
            tr["update"]["$set"]["seat_pool"] = pool
            try:
                doc = self.apply(b, tr, actor, inst, policy)
            except Exception:
                self.store.release_seats(b["_id"], new_slot["_id"])
                raise
        finally:
            self.store.release_person(b["person_id"], token)
        self.store.release_seats(b["_id"], b["slot_id"])
        if plan["release"]:
            self.offer_next(b["slot_id"])
        return views.booking_view(doc, inst)

    # waitlist ---------------------------------------------------------------------------------
    def move_waitlist(self, flt, update, action, actor=None, reason=None):
        """A waitlist entry changes status (``flt`` guards the from-status): the change and its
        audit record in one update, then the relay copies the record. The updated entry or
        None when the guard did not hold."""
        now, frm = self.now(), flt.get("status")
        entry = outbox.audit(actor or SYSTEM, flt["_id"], action,
                             frm if isinstance(frm, str) else None, update["$set"]["status"],
                             now, reason)
        update = dict(update, **{"$push": dict(update.get("$push") or {}, _outbox=entry)})
        doc = self.store.update_waitlist(flt, update)
        if doc is not None:
            self.relay.flush(self.store.db.waitlist, doc["_id"])
        return doc

    def settle_offer(self, entry_id, booking_status, now):
        entry = self.store.waitlist_entry(entry_id)
        step = domain.waitlist.after_offer(entry, booking_status, now) if entry else None
        if step:
            self.move_waitlist(*step, action="settle_offer",
                               reason="候补预约：%s" % booking_status)

    def offer_next(self, slot_id):
        """Offer a freed place on the slot to the next waiting person (a held booking with the
        offer deadline). Claims the entry, then the seat, so replicas never offer one place twice.
        Returns the booking id offered, or None."""
        slot = self.store.fresh_slot(slot_id)
        if not slot or slot.get("status") != "open":
            return None
        inst = self.institution(slot["institution_id"])
        if not domain.is_bookable(inst):
            return None
        policy = self.policy(inst["region"], slot["start"])
        lock = self.store.try_lock("offering:" + slot_id)
        if lock is None:
            return None                  # someone is offering this slot now; the sweep returns
        try:
            return self._offer(slot, inst, policy)
        finally:
            self.store.release_person("offering:" + slot_id, lock)

    def _offer(self, slot, inst, policy):
        slot_id = slot["_id"]
        for _ in range(5):
            now = self.now()
            entries = self.store.waitlist({"status": "waiting",
                                           "institution_id": slot["institution_id"],
                                           "service": slot["service"],
                                           "date": views.local_day(slot["start"])})
            entry = domain.waitlist.next_offer(entries, slot, now, policy)
            if entry is None:
                return None
            bid = new_id("bk")
            hold = {"_id": bid, "hold_expires_at": min(now + policy.waitlist_offer,
                                                       utc(slot["start"]))}
            if not self.store.claim("offer:%s:%s" % (entry["_id"], slot["_id"])) or \
                    not self.move_waitlist(*domain.waitlist.offer_update(entry, slot, hold, now),
                                           action="offer"):
                continue                                    # another replica took this entry
            try:
                self.create(SYSTEM, slot, inst, policy, entry["person_id"],
                            self.ask_person_facts(entry["person_id"]), bid,
                            hold_minutes=policy.waitlist_offer_minutes, source="waitlist",
                            extra={"waitlist_entry_id": entry["_id"]}, entry=entry)
                return bid
            except ServiceError as exc:
                retry_later = exc.code in ("SLOT_FULL", "BOOKING_IN_PROGRESS") or exc.status >= 500
                self.move_waitlist(
                    {"_id": entry["_id"], "status": "offered", "offer_booking_id": bid},
                    {"$set": {"status": "waiting" if retry_later else "closed",
                              "closed_reason": None if retry_later else exc.code},
                     "$pull": {"offered_slot_ids": slot["_id"]}},
                    action="offer_failed", reason=exc.code)
                if retry_later:
                    self.store.release("offer:%s:%s" % (entry["_id"], slot["_id"]))
                    return None
                slot = self.store.fresh_slot(slot_id)
        return None


def domain_forbidden():
    from services.common.errors import Forbidden
    return Forbidden("您只能为本人或被监护人预约", code="FORBIDDEN")
