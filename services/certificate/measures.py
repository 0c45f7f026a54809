"""The certificate part of the dashboard (DOMAIN.md §8), from live records (pure).

``processing time per review step``: for every application, the time spent in each state is the
gap between the history entry that entered it and the one that left it; reported per state as
count, mean and median hours (open steps are not counted until they end).
"""
import statistics

from services.certificate import domain, workflow


def certificate_counts(rows, valid_until_rows, today_iso):
    by_status, by_category, severe = {}, {}, 0
    for r in rows:
        by_status[r["status"]] = by_status.get(r["status"], 0) + r["n"]
    expired = sum(1 for c in valid_until_rows if c["valid_until"] < today_iso)
    for c in valid_until_rows:
        if c["valid_until"] >= today_iso:
            name = domain.CATEGORIES.get(c["category"], str(c["category"]))
            by_category[name] = by_category.get(name, 0) + 1
            severe += 1 if c["grade"] in domain.SEVERE_GRADES else 0
    valid = by_status.get(domain.CERT_VALID, 0) - expired
    return {"valid": valid, "expired": expired,
            "cancelled": by_status.get(domain.CERT_CANCELLED, 0),
            "replaced": by_status.get(domain.CERT_REPLACED, 0),
            "valid_by_category": by_category, "valid_severe": severe}


def application_counts(apps):
    by_status, by_type = {}, {}
    for a in apps:
        by_status[a["status"]] = by_status.get(a["status"], 0) + 1
        by_type[a["type"]] = by_type.get(a["type"], 0) + 1
    open_ = sum(n for s, n in by_status.items() if s not in workflow.TERMINAL)
    return {"open": open_, "by_status": by_status, "by_type": by_type,
            "cross_province": sum(1 for a in apps if a.get("cross_province"))}


def step_times(apps):
    spans = {}
    for a in apps:
        history = a.get("history") or []
        for prev, cur in zip(history, history[1:]):
            hours = (cur["at"] - prev["at"]).total_seconds() / 3600.0
            spans.setdefault(cur["from"], []).append(hours)
    return {state: {"name": workflow.STATUS_NAMES.get(state, state), "count": len(v),
                    "mean_hours": round(statistics.fmean(v), 2),
                    "median_hours": round(statistics.median(v), 2)}
            for state, v in sorted(spans.items())}
