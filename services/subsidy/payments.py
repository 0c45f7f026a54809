"""Monthly payout (资金发放): batch lines, bank payment file, reconciliation. Pure.

Entitlement dict read here: ``{id, person_id, policy_code, region, start_month "YYYY-MM",
end_month "YYYY-MM"|None (last month paid, inclusive), status "active"|"phase_out"|"suspended"|
"ended", grade 1-4|None, phase_out_until "YYYY-MM"|None}``.

Rules: monthly benefits pay every month from ``start_month`` (= month of application);
yearly ones in ``start_month`` and each anniversary month; one-off ones in ``start_month`` only.
A month's amount is the version in force on the **first day of that month** (so a change from
2024-07-15 first pays in August). Line id ``{entitlement_id}:{YYYY-MM}`` is deterministic:
a unique index on it makes double payment impossible; ``paid_line_ids`` and the ledger
``paid_through`` let arrears be added without repeating what was paid. Supervision lives in
supervision.py (re-exported here).
"""
import csv
import datetime as dt
import io
import re

from services.common.clock import SHANGHAI
from services.common.errors import ValidationFailed
from services.subsidy import policy as policy_mod
from services.subsidy.supervision import detect_overpayments, supervise  # noqa: F401 re-export

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
PAYABLE = ("active", "phase_out")
LINE_STATUSES = ("pending", "paid", "failed", "returned")
_RECONCILE = {("pending", "paid"), ("pending", "failed"), ("failed", "paid"),
              ("paid", "returned"), ("pending", "returned")}
EXPORT_COLUMNS = ("line_id", "person_id", "payee_name", "bank_name", "account_number",
                  "amount_fen", "amount_yuan", "policy_code", "month")


def parse_month(month, field="month"):
    """'YYYY-MM' -> (year, month) or ValidationFailed."""
    m = _MONTH.match(str(month or ""))
    if not m:
        raise ValidationFailed("月份格式应为 YYYY-MM：%s" % month, {field: ["格式不正确"]})
    return int(m.group(1)), int(m.group(2))


def month_index(month):
    y, m = parse_month(month)
    return y * 12 + m - 1


def month_from_index(i):
    return "%04d-%02d" % (i // 12, i % 12 + 1)


def month_of(day):
    return "%04d-%02d" % (day.year, day.month)


def first_day(month):
    y, m = parse_month(month)
    return dt.date(y, m, 1)


def check_batch_month(month, now):
    """Refuse a month after the current Asia/Shanghai month (ValidationFailed FUTURE_MONTH)."""
    parse_month(month)
    current = month_of(now.astimezone(SHANGHAI).date())
    if month_index(month) > month_index(current):
        raise ValidationFailed("不能为未来月份（%s）生成发放批次" % month,
                               {"month": ["晚于当前月份 %s" % current]}, code="FUTURE_MONTH")
    return month


def due_months(entitlement, kind, up_to_month):
    """Months (oldest first) for which the entitlement is due, up to ``up_to_month``."""
    start = month_index(entitlement["start_month"])
    last = month_index(up_to_month)
    for bound in ("end_month", "phase_out_until"):
        if entitlement.get(bound):
            last = min(last, month_index(entitlement[bound]))
    months = []
    for i in range(start, last + 1):
        if kind == "monthly" or (kind == "yearly" and (i - start) % 12 == 0) \
                or (kind == "one_off" and i == start):
            months.append(month_from_index(i))
    return months


def line_id(entitlement_id, month):
    return "%s:%s" % (entitlement_id, month)


def line_months(entitlement, up_to_month):
    """The months for which a line of ``entitlement`` may exist, up to ``up_to_month``: its due
    months without the end bounds (a line paid before a death became known stays on file, as a
    recovery). Reading these ids one by one is how a person's payments are found by ``_id``."""
    return due_months(dict(entitlement, end_month=None, phase_out_until=None),
                      entitlement.get("kind") or "monthly", up_to_month)


def chunked(items, size):
    """``items`` in consecutive lists of at most ``size``."""
    items = list(items)
    return [items[k:k + size] for k in range(0, len(items), size)]


def compute_batch(region, month, entitlements, region_policies, now, paid_line_ids=(),
                  include_arrears=True, paid_through=None):
    """Lines for ``region`` and ``month``. Returns ``{batch_id, region, month, lines, skipped,
    totals, paid_through}`` with lines ``{line_id, batch_id, entitlement_id, person_id,
    policy_code, month, amount_fen, status: "pending"}`` sorted by line_id; totals ``{count,
    amount_fen, by_policy: {code: {count, amount_fen}}}``; skipped ``[{entitlement_id, month,
    reason}]``.

    What is already paid: ``paid_line_ids``, and ``paid_through`` (the batch ledger,
    ``{entitlement_id: "YYYY-MM"}``: every due month up to that month has a line, so only later
    months are candidates). A candidate that turns out to exist is refused by its unique id when
    written, so a ledger that lags only costs a refused insert, never a second payment. The
    result's ``paid_through`` is the ledger once ``lines`` are written: for each payable
    entitlement, ``month`` — or the month before its first skipped month (no amount in force:
    tried again next time); an entitlement whose policy is missing keeps what it had; one that
    is not payable is left out."""
    check_batch_month(month, now)
    batch_id = "%s:%s" % (region, month)
    paid = set(paid_line_ids)
    through_in, through_out = paid_through or {}, {}
    lines, skipped = [], []
    for ent in entitlements:
        if ent.get("region") != region or ent.get("status") not in PAYABLE:
            continue
        known = through_in.get(ent["id"])
        pol = region_policies.get(ent["policy_code"])
        if pol is None:
            skipped.append({"entitlement_id": ent["id"], "month": month,
                            "reason": "该地区没有此项补贴"})
            if known:
                through_out[ent["id"]] = known
            continue
        months = due_months(ent, pol["kind"], month)
        if known:
            months = [m for m in months if month_index(m) > month_index(known)]
        if not include_arrears:
            months = [m for m in months if m == month]
        first_skip = None
        for m in months:
            lid = line_id(ent["id"], m)
            if lid in paid:
                continue
            version = policy_mod.version_on(pol, first_day(m))
            amount = version and policy_mod.amount_fen(version, ent.get("grade"))
            if amount is None:
                skipped.append({"entitlement_id": ent["id"], "month": m,
                                "reason": "该月没有适用的补贴标准"})
                first_skip = first_skip or m
                continue
            lines.append({"line_id": lid, "batch_id": batch_id, "entitlement_id": ent["id"],
                          "person_id": ent["person_id"], "policy_code": ent["policy_code"],
                          "month": m, "amount_fen": amount, "status": "pending"})
        if include_arrears:
            done = month if first_skip is None else month_from_index(month_index(first_skip) - 1)
            through_out[ent["id"]] = max(done, known or done, key=month_index)
        elif known:
            through_out[ent["id"]] = known
    lines.sort(key=lambda x: x["line_id"])
    return {"batch_id": batch_id, "region": region, "month": month, "lines": lines,
            "skipped": skipped, "totals": totals(lines), "paid_through": through_out}


def totals(lines):
    by_policy = {}
    for ln in lines:
        t = by_policy.setdefault(ln["policy_code"], {"count": 0, "amount_fen": 0})
        t["count"] += 1
        t["amount_fen"] += ln["amount_fen"]
    return {"count": len(lines), "amount_fen": sum(ln["amount_fen"] for ln in lines),
            "by_policy": by_policy}


def add_totals(a, b):
    """The sum of two ``totals()`` results (a batch run adds its lines to the earlier runs')."""
    out = {"count": a["count"] + b["count"], "amount_fen": a["amount_fen"] + b["amount_fen"],
           "by_policy": {}}
    for part in (a, b):
        for code, t in part["by_policy"].items():
            o = out["by_policy"].setdefault(code, {"count": 0, "amount_fen": 0})
            o["count"] += t["count"]
            o["amount_fen"] += t["amount_fen"]
    return out


def fen_to_yuan(fen):
    return "%s%d.%02d" % ("-" if fen < 0 else "", abs(fen) // 100, abs(fen) % 100)


def mask_account(account):
    account = str(account)
    return "*" * max(len(account) - 4, 0) + account[-4:]


def _cell(value):
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_bank_file(lines, payees, full_accounts=False):
    """Bank payment file (CSV, UTF-8, CRLF, header row EXPORT_COLUMNS, one row per line) →
    ``(content, exported_lines, missing_line_ids)``.

    ``payees``: ``{person_id: {name, bank_name, account}}``. Accounts are masked (all but the
    last 4 digits) unless ``full_accounts``. Cells starting with = + - @ are prefixed with '
    (spreadsheet formula injection). A line whose person has no bank account is left out and
    listed: it stays pending for the next export, and one citizen without an account does not
    hold up the payment of everyone else."""
    ready, missing = [], []
    for ln in lines:
        if (payees.get(ln["person_id"]) or {}).get("account"):
            ready.append(ln)
        else:
            missing.append(ln["line_id"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for ln in ready:
        p = payees[ln["person_id"]]
        account = str(p["account"]) if full_accounts else mask_account(p["account"])
        writer.writerow([_cell(ln["line_id"]), _cell(ln["person_id"]), _cell(p.get("name")),
                         _cell(p.get("bank_name")), account, ln["amount_fen"],
                         fen_to_yuan(ln["amount_fen"]), ln["policy_code"], ln["month"]])
    return out.getvalue(), ready, missing


def reconcile(lines, results):
    """Apply bank results ``[{line_id, status: paid|failed|returned, amount_fen?, reason?}]``.

    Returns ``{lines: [updated copies], changed: [{line_id, from, to, reason}],
    refused: [{line_id, reason}], summary: {status: {count, amount_fen}}}``. Allowed moves:
    pending→paid|failed|returned, failed→paid, paid→returned; anything else is refused."""
    by_id = {ln["line_id"]: dict(ln) for ln in lines}
    changed, refused = [], []
    for r in results:
        lid, status = r.get("line_id"), r.get("status")
        ln = by_id.get(lid)
        if ln is None:
            refused.append({"line_id": lid, "reason": "未知的发放明细"})
        elif status not in LINE_STATUSES[1:]:
            refused.append({"line_id": lid, "reason": "未知的银行回执状态：%s" % status})
        elif r.get("amount_fen") is not None and r["amount_fen"] != ln["amount_fen"]:
            refused.append({"line_id": lid, "reason": "金额不符：明细%d分，回执%s分"
                            % (ln["amount_fen"], r["amount_fen"])})
        elif ln["status"] == status:
            continue  # the same receipt twice: idempotent
        elif (ln["status"], status) not in _RECONCILE:
            refused.append({"line_id": lid, "reason": "状态不能从%s变为%s" % (ln["status"], status)})
        else:
            changed.append({"line_id": lid, "from": ln["status"], "to": status,
                            "reason": r.get("reason")})
            ln["status"] = status
            if r.get("reason"):
                ln["bank_reason"] = r["reason"]
    updated = [by_id[ln["line_id"]] for ln in lines]
    summary = {s: {"count": 0, "amount_fen": 0} for s in LINE_STATUSES}
    for ln in updated:
        summary[ln["status"]]["count"] += 1
        summary[ln["status"]]["amount_fen"] += ln["amount_fen"]
    return {"lines": updated, "changed": changed, "refused": refused, "summary": summary}
