import datetime as dt

import pytest

from services.common.errors import Conflict, Forbidden
from services.volunteer import events, waves

from .factories import NOW, apply_update, make_task

MIN = dt.timedelta(minutes=1)


def test_plan_waves_chunks_the_ranking():
    ranked = [{"volunteer_id": v} for v in "abcdefg"]
    plan = waves.plan_waves(ranked, 3, 2)
    assert plan == [{"number": 1, "kind": "general", "volunteer_ids": ["a", "b", "c"]},
                    {"number": 2, "kind": "general", "volunteer_ids": ["d", "e", "f"]}]   # g is never asked
    assert waves.plan_waves(list("ab"), 3, 5) == [{"number": 1, "kind": "general", "volunteer_ids": ["a", "b"]}]
    assert waves.plan_waves([], 3, 3) == []


def test_pair_gets_a_wave_of_one_first_and_is_not_repeated():
    plan = waves.plan_waves(list("abcd"), 2, 2, pair_volunteer_id="c")
    assert [(w["kind"], w["volunteer_ids"]) for w in plan] == [
        ("pair", ["c"]), ("general", ["a", "b"]), ("general", ["d"])]


def test_plan_waves_rejects_nonsense_sizes():
    with pytest.raises(ValueError):
        waves.plan_waves(["a"], 0, 3)


class Sweep:
    """Drives a task doc through the decisions like the service's timer would (two replicas)."""

    def __init__(self, task):
        self.task = task

    def apply(self, decision):
        if decision["action"] in ("none", "wait", "already_yours"):
            return False
        ok = apply_update(self.task, decision["guard"], decision["set"])
        if ok and decision.get("expire_wave"):
            wave = next(w for w in self.task["wave_plan"] if w["number"] == decision["expire_wave"])
            late = [v for v in wave["volunteer_ids"] if v not in self.task.get("declined_ids", [])]
            self.task.setdefault("timed_out_ids", []).extend(late)
        return ok


def test_wave_escalation_with_an_injected_clock():
    task = make_task(when=NOW + dt.timedelta(hours=25))
    plan = waves.plan_waves(list("abcdefg"), 3, 2, pair_volunteer_id="p")
    sweep = Sweep(task)

    first = waves.start_matching(task, plan, NOW)
    assert (first["action"], first["kind"], first["volunteer_ids"]) == ("send_wave", "pair", ["p"])
    assert first["expires_at"] == NOW + 10 * MIN
    assert sweep.apply(first) and task["status"] == "offering" and task["current_wave"] == 1
    assert [o["volunteer_id"] for o in waves.make_offers("t1", first, NOW)] == ["p"]

    assert waves.next_wave_due(task, NOW + 9 * MIN) == {"action": "wait", "until": NOW + 10 * MIN}

    second = waves.next_wave_due(task, NOW + 10 * MIN)
    assert (second["wave"], second["volunteer_ids"], second["expire_wave"]) == (2, ["a", "b", "c"], 1)
    assert second["expires_at"] == NOW + 20 * MIN
    assert sweep.apply(second)
    assert not sweep.apply(second), "a second replica applying the same decision must miss"
    assert task["timed_out_ids"] == ["p"]

    third = waves.next_wave_due(task, NOW + 21 * MIN)
    assert (third["wave"], third["volunteer_ids"]) == (3, ["d", "e", "f"])
    assert sweep.apply(third)

    assert waves.next_wave_due(task, NOW + 30 * MIN)["action"] == "wait"
    last = waves.next_wave_due(task, NOW + 31 * MIN)
    assert (last["action"], last["alert_coordinator"], last["reason"]) == ("unmatched", True, "no_more_waves")
    assert last["audit"]["from"] == "offering" and last["audit"]["to"] == "unmatched"
    assert sweep.apply(last) and task["status"] == "unmatched"
    assert waves.next_wave_due(task, NOW + 40 * MIN) == {"action": "none"}

    name, payload = events.task_unmatched(task, last["reason"], {"distance": 4})
    assert name == "volunteer.task_unmatched" and payload["waves_sent"] == 3 and payload["offered_count"] == 7
    assert {"role": "volunteer_coordinator", "region": "500113"} in payload["notify"]


def test_when_everyone_in_a_wave_declines_the_next_goes_out_at_once():
    task = make_task(when=NOW + dt.timedelta(hours=25))
    sweep = Sweep(task)
    sweep.apply(waves.start_matching(task, waves.plan_waves(list("abcd"), 2, 2), NOW))
    task["declined_ids"] = ["a"]
    assert waves.next_wave_due(task, NOW + 2 * MIN)["action"] == "wait"
    task["declined_ids"] = ["a", "b"]
    due = waves.next_wave_due(task, NOW + 2 * MIN)
    assert (due["action"], due["volunteer_ids"]) == ("send_wave", ["c", "d"])


def test_excluded_volunteers_are_skipped_and_an_empty_wave_is_skipped():
    task = make_task(when=NOW + dt.timedelta(hours=25), released_ids=["c", "d"])
    plan = waves.plan_waves(list("abcde"), 2, 3)
    sweep = Sweep(task)
    sweep.apply(waves.start_matching(task, plan, NOW))
    due = waves.next_wave_due(task, NOW + 10 * MIN)
    assert (due["wave"], due["volunteer_ids"]) == (3, ["e"])


def test_deadline_never_passes_the_task_time():
    task = make_task(when=NOW + 15 * MIN)
    sweep = Sweep(task)
    first = waves.start_matching(task, waves.plan_waves(list("abcd"), 2, 2), NOW + 8 * MIN)
    assert first["expires_at"] == NOW + 15 * MIN
    sweep.apply(first)
    late = waves.next_wave_due(task, NOW + 15 * MIN)
    assert (late["action"], late["reason"]) == ("unmatched", "time_passed")


def test_nobody_to_ask_means_unmatched_at_once():
    task = make_task(when=NOW + dt.timedelta(hours=25))
    d = waves.start_matching(task, [], NOW)
    assert (d["action"], d["reason"], d["alert_coordinator"]) == ("unmatched", "no_candidates", True)
    assert d["guard"] == {"status": "open"} and d["set"]["status"] == "unmatched"


def offering_task():
    task = make_task(when=NOW + dt.timedelta(hours=25))
    Sweep(task).apply(waves.start_matching(task, waves.plan_waves(["a", "b"], 5, 1), NOW))
    offers = {o["volunteer_id"]: dict(o, id="o-" + o["volunteer_id"])
              for o in waves.make_offers("t1", {"wave": 1, "volunteer_ids": ["a", "b"],
                                                "expires_at": NOW + 10 * MIN}, NOW)}
    return task, offers


def test_first_accept_wins_and_the_second_gets_task_taken():
    task, offers = offering_task()
    stale_copy = dict(task)                        # b read the task before a's update landed
    a = waves.accept_offer(task, offers["a"], "a", NOW + MIN)
    b = waves.accept_offer(stale_copy, offers["b"], "b", NOW + MIN)
    assert apply_update(task, a["guard"], a["set"])
    assert not apply_update(task, b["guard"], b["set"])
    assert task["volunteer_id"] == "a" and task["status"] == "accepted"
    with pytest.raises(Conflict) as e:
        waves.explain_failed_accept(task, "b")
    assert e.value.code == "TASK_TAKEN"
    # once the other offers are closed, b's offer itself says so
    with pytest.raises(Conflict) as e:
        waves.accept_offer(task, dict(offers["b"], **a["others_set"]), "b", NOW + 2 * MIN)
    assert e.value.code == "TASK_TAKEN"
    # a retrying is harmless
    assert waves.explain_failed_accept(task, "a") == "already_yours"
    assert waves.accept_offer(task, dict(offers["a"], **a["offer_set"]), "a", NOW + 2 * MIN) == {"action": "already_yours"}


def test_accepting_someone_elses_offer_is_forbidden():
    task, offers = offering_task()
    with pytest.raises(Forbidden):
        waves.accept_offer(task, offers["b"], "a", NOW + MIN)


@pytest.mark.parametrize("offer_change,at", [({}, 10), ({"status": "expired"}, 1)])
def test_accepting_an_expired_offer(offer_change, at):
    task, offers = offering_task()
    with pytest.raises(Conflict) as e:
        waves.accept_offer(task, dict(offers["a"], **offer_change), "a", NOW + at * MIN)
    assert e.value.code == "OFFER_EXPIRED"


@pytest.mark.parametrize("status,code", [("cancelled", "TASK_CANCELLED"), ("unmatched", "OFFER_EXPIRED")])
def test_accept_after_the_task_moved_on(status, code):
    task, offers = offering_task()
    task["status"] = status
    with pytest.raises(Conflict) as e:
        waves.accept_offer(task, offers["a"], "a", NOW + MIN)
    assert e.value.code == code


def test_decline_keeps_you_out_of_this_task_only():
    task, offers = offering_task()
    d = waves.decline_offer(offers["a"], "a", NOW + MIN, reason="临时有事")
    assert d["add_to_declined"] == "a" and d["offer_set"]["status"] == "declined"
    with pytest.raises(Conflict) as e:
        waves.accept_offer(task, dict(offers["a"], **d["offer_set"]), "a", NOW + 2 * MIN)
    assert e.value.code == "OFFER_DECLINED"
    with pytest.raises(Forbidden):
        waves.decline_offer(offers["b"], "a", NOW + MIN)
    with pytest.raises(Conflict):
        waves.decline_offer(offers["b"], "b", NOW + 11 * MIN)
    assert waves.exclusions(dict(task, declined_ids=["a"], timed_out_ids=["x"])) == {"a", "x"}
