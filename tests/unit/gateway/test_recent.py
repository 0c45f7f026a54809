from gateway.routes.admin import Recent


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def answer(value, keep=True):
    calls = []

    def compute():
        calls.append(1)
        return value, keep
    compute.calls = calls
    return compute


def test_an_answer_is_kept_for_its_seconds_then_computed_again():
    clock = Clock()
    recent = Recent(30, clock)
    first = answer({"measures": 1})
    assert recent.get("500113", first) == {"measures": 1}
    clock.now += 29.9
    assert recent.get("500113", answer({"measures": 2})) == {"measures": 1}
    other = answer({"measures": 3})
    assert recent.get("500112", other) == {"measures": 3} and other.calls   # kept by key
    clock.now += 0.2
    assert recent.get("500113", answer({"measures": 4})) == {"measures": 4}


def test_while_one_caller_computes_the_others_get_the_answer_kept():
    clock = Clock()
    recent = Recent(30, clock)
    recent.get("500113", answer("old"))
    clock.now += 31
    seen = []

    def slow():
        seen.append(recent.get("500113", answer("other caller")))   # arrives meanwhile
        return "new", True
    assert recent.get("500113", slow) == "new"
    assert seen == ["old"]


def test_an_incomplete_answer_or_zero_seconds_keeps_nothing():
    clock = Clock()
    partial = Recent(30, clock)
    partial.get("500113", answer("partial", keep=False))
    again = answer("complete")
    assert partial.get("500113", again) == "complete" and again.calls
    never = Recent(0, clock)
    never.get("500113", answer("a"))
    assert never.get("500113", answer("b")) == "b"
