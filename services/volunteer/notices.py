"""From the domain events of ``events.py`` to outbox entries (pure, no I/O).

Each domain event becomes:

- ``notify`` events for the notifier (docs/events.md): a ``{"person_id"}`` recipient is notified
  by person id (the notifier reaches the person's own account and their guardians'); a
  ``{"volunteer_id"}`` recipient by the volunteer's WeChat ``account_id`` (``accounts`` maps
  volunteer id → account id); a ``{"role", "region"}`` recipient (a coordinator alert) is not a
  WeChat message: the task carries ``alert`` and heads the coordinator's queue and need board.
- the domain event itself (type without the ``volunteer.`` prefix) only when its type is listed
  under ``publish_events`` in config/volunteer.yml: the outbox publishes with ``mandatory=True``,
  so an event no service consumes yet would sit in the retry loop. No service consumes any today.

Templates: ``volunteer_offer`` for offers, ``application_status`` for everything else.
"""
import datetime as dt

from services.common import outbox, pages
from services.common.clock import SHANGHAI
from services.volunteer import events as ev
from services.volunteer.profile import skill_name
from services.volunteer.settings import load_settings

CITIZEN_STATUS = {
    ev.TASK_ACCEPTED: "已有志愿者接单",
    ev.TASK_ON_THE_WAY: "志愿者已出发",
    ev.TASK_STARTED: "服务已开始",
    ev.TASK_COMPLETED: "服务已完成",
    ev.TASK_CANCELLED: "需求已取消",
    ev.TASK_UNMATCHED: "正在人工协调",
}
CITIZEN_NOTE = {
    ev.TASK_ACCEPTED: "志愿者%s将按约定时间提供服务",
    ev.TASK_ON_THE_WAY: "志愿者%s正在前往",
    ev.TASK_COMPLETED: "请为志愿者%s的服务评价",
    ev.TASK_UNMATCHED: "暂未匹配到志愿者，协调员会尽快联系您",
}


def local_time(value):
    """ISO string or datetime → "YYYY-MM-DD HH:MM" in Asia/Shanghai (WeChat time fields)."""
    if not value:
        return "-"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def published_types(settings=None):
    return set((settings or load_settings()).get("publish_events") or ())


def _message(name, payload, target, now):
    """The notify body (template, data, page) for one recipient, or None."""
    if name == ev.OFFER_SENT:
        return {"template": "volunteer_offer", "page": pages.offer(payload["id"]),
                "data": {"title": "志愿服务邀请：%s" % payload["skill_name"], "time": local_time(payload["when"]),
                         "place": payload["district"], "note": "请于%s前接单" % local_time(payload["expires_at"])}}
    if name in CITIZEN_STATUS and "person_id" in target:
        note = CITIZEN_NOTE.get(name, "")
        if "%s" in note:
            note = note % (payload.get("volunteer_name_masked") or "")
        if name == ev.TASK_CANCELLED:
            note = payload.get("reason") or ""
        return {"template": "application_status", "page": pages.help_request(payload.get("task_id")),
                "data": {"title": "志愿服务：%s" % skill_name(payload.get("skill", "")),
                         "status": CITIZEN_STATUS[name], "time": local_time(payload.get("when")), "note": note}}
    if name == ev.TASK_CANCELLED and "volunteer_id" in target:
        return {"template": "application_status", "page": pages.VOLUNTEER_DESK,
                "data": {"title": "志愿服务任务", "status": "任务已取消", "time": local_time(now),
                         "note": payload.get("reason") or ""}}
    if name == ev.VOLUNTEER_VERIFIED:
        return {"template": "application_status", "page": pages.VOLUNTEER_DESK,
                "data": {"title": "志愿者注册", "status": "审核通过", "time": local_time(now),
                         "note": "可以开始接收服务邀请"}}
    if name == ev.VOLUNTEER_SUSPENDED and "volunteer_id" in target:
        return {"template": "application_status", "page": pages.VOLUNTEER_DESK,
                "data": {"title": "志愿者资格", "status": "暂停服务", "time": local_time(now),
                         "note": payload.get("reason") or ""}}
    if name == ev.STAR_LEVEL_REACHED:
        return {"template": "application_status", "page": pages.VOLUNTEER_DESK,
                "data": {"title": "志愿服务星级", "status": "%d星志愿者" % payload["stars"],
                         "time": local_time(now), "note": "累计服务%s小时" % payload["hours"]}}
    return None


def entries(name, payload, now, accounts=None, settings=None):
    """Outbox entries for one domain event ``(name, payload)``; ``accounts``: {volunteer_id: account_id}."""
    out = []
    short = name.split(".", 1)[-1]
    if short in published_types(settings):
        out.append(outbox.event(short, {k: v for k, v in payload.items() if k != "notify"}, now))
    for target in payload.get("notify") or ():
        msg = _message(name, payload, target, now)
        if msg is None:
            continue
        if target.get("person_id"):
            msg["person_id"] = target["person_id"]
        elif target.get("volunteer_id") and (accounts or {}).get(target["volunteer_id"]):
            msg["account_id"] = accounts[target["volunteer_id"]]
        else:
            continue  # a coordinator alert: the task's ``alert`` flag (queue and need board)
        out.append(outbox.event("notify", msg, now))
    return out
