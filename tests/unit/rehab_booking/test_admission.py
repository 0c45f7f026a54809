"""The slot gate (admission.py): how many bookings of a slot do the expensive work at once."""
import eventlet

from services.rehab_booking.admission import SlotGate


def test_admits_as_many_as_free_places_then_waits():
    gate = SlotGate()
    passages = [gate.try_enter("s", 2), gate.try_enter("s", 2)]
    assert [p.place for p in passages] == [0, 1]
    assert gate.try_enter("s", 2) is None
    assert gate.try_enter("other", 1) is not None        # slots do not share a gate


def test_places_taken_count_until_the_path_is_empty():
    gate = SlotGate()
    a, b = gate.try_enter("s", 3), gate.try_enter("s", 3)
    assert not a.took()
    a.leave(ok=True)
    # a's place is taken but the counters as read (3 free) do not show it yet
    c = gate.try_enter("s", 3)
    assert c.place == 2 and gate.try_enter("s", 3) is None
    assert not b.must_recount()
    b.leave(ok=False)
    c.took()
    assert c.must_recount()                               # last on the path, places taken
    c.leave(ok=True)
    assert gate.try_enter("s", 1).place == 0              # empty path: the counters say it all


def test_the_booking_that_takes_the_last_place_recounts():
    gate = SlotGate()
    a, b = gate.try_enter("s", 2), gate.try_enter("s", 2)
    assert a.took() is False
    assert b.took() is True
    b.recounted()
    a.leave(ok=True)
    assert not b.must_recount()                # the recount saw both places


def test_a_place_no_recount_has_seen_is_uncounted():
    gate = SlotGate()
    a, b, c = gate.try_enter("s", 3), gate.try_enter("s", 3), gate.try_enter("s", 3)
    assert not a.uncounted()                   # nothing taken
    a.took()
    assert a.uncounted()                       # b and c are still on the path
    b.took()
    assert c.took() is True
    c.recounted()
    assert not a.uncounted() and not b.uncounted()


def test_a_place_taken_after_the_recount_is_recounted_by_the_last_to_leave():
    gate = SlotGate()
    a, b = gate.try_enter("s", 1), gate.enter("s", 1)   # b: a wait ran out
    assert a.took() is True
    assert b.took() is True                    # taken during a's recount, maybe unseen
    a.recounted()
    a.leave(ok=True)
    assert b.must_recount()


def test_a_booking_with_a_companion_counts_both_places():
    gate = SlotGate()
    a = gate.try_enter("s", 3)
    assert not a.took(places=2)
    assert gate.try_enter("s", 3).took() is True          # the third and last place


def test_waiters_wake_when_a_booking_fails_not_when_one_succeeds():
    gate = SlotGate()
    a, b = gate.try_enter("s", 2), gate.try_enter("s", 2)
    woke = []

    def waiter():
        gate.wait("s", 5)
        woke.append(True)

    eventlet.spawn(waiter)
    eventlet.sleep(0)
    a.took()
    a.leave(ok=True)
    eventlet.sleep(0.01)
    assert woke == []                                     # a success took the place
    b.leave(ok=False)
    eventlet.sleep(0.01)
    assert woke == [True]                                 # a failure may have left it free


def test_waiters_wake_when_the_slot_fills_and_when_the_path_empties():
    gate = SlotGate()
    a = gate.try_enter("s", 1)
    woke = []
    eventlet.spawn(lambda: (gate.wait("s", 5), woke.append(1)))
    eventlet.sleep(0)
    assert a.took()
    a.recounted()
    eventlet.sleep(0.01)
    assert woke == [1]
    eventlet.spawn(lambda: (gate.wait("s", 5), woke.append(2)))
    eventlet.sleep(0)
    a.leave(ok=True)
    eventlet.sleep(0.01)
    assert woke == [1, 2]


def test_a_wait_runs_out():
    gate = SlotGate()
    gate.try_enter("s", 1)
    started = eventlet.hubs.get_hub().clock()
    gate.wait("s", 0.05)
    assert eventlet.hubs.get_hub().clock() - started < 1
