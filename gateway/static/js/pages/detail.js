// An application: its facts, the documents, the history, the person file, and the actions the
// role may take now (each asking for a reason where the rule needs one).
import * as api from "../api.js";
import { el, render, table, fmtTime, STATUS, label, openDialog, field, announce } from "../ui.js";
import { what, ACTION_NAMES, isOverdue } from "../items.js";
import { actionFields, fallbackActions } from "./action_forms.js";

export default async function detailPage(page, ctx, service, id) {
  const routes = await api.routeTable();
  const staffPath = "/admin/" + service + "/applications/{application_id}";
  const app = await api.get((routes["GET " + staffPath] ? "/admin/" : "/") + service + "/applications/" + encodeURIComponent(id));
  ctx.setTitle((service === "certificate" ? "残疾人证申请 " : "补贴申请 ") + id);
  const roles = (ctx.session.staff || {}).roles || [];
  const actions = app.available_actions || app.actions || fallbackActions(service, app.status, roles);
  const facts = {
    status: app.status_name || STATUS[app.status] || app.status, type: what(app), person_id: app.person_id,
    handling_region: app.handling_region, filed_region: app.filed_region || app.filing_region,
    cross_province: app.cross_province, claimed_category: app.claimed_category, home_visit: app.home_visit,
    estimated_amount_fen: app.estimated_amount_fen, start_month: app.start_month,
    return_reasons: (app.return_reasons || []).join("；") || null, rejection_reason: app.rejection_reason,
    submitted_at: app.submitted_at || app.created_at,
    step_deadline: app.step_deadline || app.deadline,
  };
  const actionBox = el("section", { "aria-labelledby": "actions-h" }, el("h2", { id: "actions-h" }, "办理"));
  if (isOverdue(app)) actionBox.append(el("p", { class: "overdue" }, el("span", { "aria-hidden": "true" }, "⚠ "), "本环节已超过办理时限。"));
  if (!actions.length) actionBox.append(el("p", { class: "muted" }, "当前环节没有您可以进行的操作。"));
  else actionBox.append(el("div", { class: "button-row" }, actions.map((a) => el("button", {
    type: "button", class: "button" + (a === "reject" ? " danger" : a === "return" ? " secondary" : ""),
    "data-action": a, onclick: () => act(service, app, a, ctx, page, id),
  }, ACTION_NAMES[a] || a))));
  const history = app.history || [];
  page.replaceChildren(
    el("p", {}, el("a", { href: "/console/queue/" + service }, "返回待办列表")),
    el("section", { "aria-labelledby": "facts-h" }, el("h2", { id: "facts-h" }, "申请信息"), render(facts)),
    actionBox,
    docs(app),
    app.assessment_result ? el("section", { "aria-labelledby": "result-h" }, el("h2", { id: "result-h" }, "评残结果"), render(app.assessment_result)) : null,
    el("section", { "aria-labelledby": "history-h" }, el("h2", { id: "history-h" }, "办理记录"),
      table({ caption: "办理记录（按时间先后）", rows: history, empty: "暂无办理记录。", columns: [
        { label: "时间", render: (h) => fmtTime(h.at) },
        { label: "操作", render: (h) => ACTION_NAMES[h.action] || h.action || "—" },
        { label: "状态变化", render: (h) => (STATUS[h.from] || h.from || "—") + " → " + (STATUS[h.to] || h.to || "—") },
        { label: "经办", render: (h) => [h.actor_role, h.actor_id].filter(Boolean).join(" ") || "—" },
        { label: "原因", render: (h) => h.reason || "—" },
      ] })),
    await personFile(app.person_id));
}

function docs(app) {
  const list = app.documents || app.materials || app.attachments || [];
  return el("section", { "aria-labelledby": "docs-h" }, el("h2", { id: "docs-h" }, "申请材料"),
    list.length ? render(list) : el("p", { class: "muted" }, "未上传电子材料（以窗口收取的纸质材料为准）。"),
    app.assessment ? el("div", {}, el("h3", {}, "评残安排"), render(app.assessment)) : null);
}

async function personFile(personId) {
  const box = el("section", { "aria-labelledby": "file-h" }, el("h2", { id: "file-h" }, "一人一档"));
  if (!personId) return box;
  try {
    const file = await api.get("/people/" + encodeURIComponent(personId) + "/file");
    for (const [k, v] of Object.entries(file)) {
      box.append(el("details", { open: k === "person" ? true : null },
        el("summary", {}, label(k), v && v.unavailable ? "（暂不可用）" : ""), render(v)));
    }
  } catch (err) {
    box.append(el("p", {}, "无法读取此人的档案：" + err.message));
  }
  return box;
}

function act(service, app, action, ctx, page, id) {
  const name = ACTION_NAMES[action] || action;
  openDialog({
    title: name + " · 申请 " + app.id,
    body: actionFields(action, service === "subsidy" ? 200 : 500).map(field),
    submitText: "确认" + name,
    danger: action === "reject",
    onSubmit: async (data) => {
      if (data.scheduled_at && !/[+-]\d\d:\d\d$|Z$/.test(data.scheduled_at)) data.scheduled_at += ":00+08:00";
      for (const k of ["category", "grade"]) if (data[k]) data[k] = Number(data[k]);
      await api.post("/admin/" + service + "/applications/" + encodeURIComponent(app.id) + "/actions",
        Object.assign({ action }, data), { idempotencyKey: crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) });
      await detailPage(page, ctx, service, id);
      announce(name + "已完成");
      const status = document.querySelector("#facts-h");
      if (status) { status.setAttribute("tabindex", "-1"); status.focus(); }
    },
  });
}
