// A work queue: GET /admin/queues?service=…, sortable by waiting time, overdue marked in words.
import * as api from "../api.js";
import { el, fmtAge, fmtTime, ageDays, table, STATUS, announce, showError, field } from "../ui.js";
import { QUEUES } from "../menu.js";
import { since, deadline, isOverdue, what, ACTION_NAMES, QUEUE_STATUSES } from "../items.js";
import { rowActions } from "./row_actions.js";

export default async function queuePage(page, ctx, service) {
  const q = QUEUES[service];
  if (!q) throw new Error("没有这个待办类别");
  ctx.setTitle(q.title + " · 待办");
  let order = "oldest";
  const status = field({ label: "状态筛选", name: "status", options: [["", "全部"], ...(QUEUE_STATUSES[service] || []).map((k) => [k, STATUS[k] || k])] });
  const results = el("div", {});
  const summary = el("p", { class: "muted" });
  const reload = async () => {
    const statusValue = status.querySelector("select").value;
    let data;
    try {
      data = await api.get("/admin/queues", { service, sort: order, status: statusValue, limit: 200 });
    } catch (err) {
      results.replaceChildren(el("p", {}, "待办暂时无法读取。"));
      showError(err);
      return;
    }
    const items = (data && data.items) || [];
    items.sort((a, b) => (ageDays(since(b)) || 0) - (ageDays(since(a)) || 0));
    if (order === "newest") items.reverse();
    const overdue = items.filter(isOverdue).length;
    summary.textContent = "共 " + items.length + " 件待办，其中 " + overdue + " 件已超期。";
    results.replaceChildren(renderTable(items, service, order, (o) => { order = o; reload(); }, reload));
    announce(summary.textContent);
  };
  status.querySelector("select").addEventListener("change", reload);
  page.replaceChildren(
    el("div", { class: "toolbar" }, status,
      el("button", { type: "button", class: "button secondary", onclick: reload }, "刷新")),
    summary, results);
  await reload();
}

function renderTable(items, service, order, setOrder, reload) {
  const sortLabel = order === "oldest" ? "等待时长（最久在前）" : "等待时长（最新在前）";
  const sortButton = el("button", { type: "button", class: "button secondary",
    onclick: () => setOrder(order === "oldest" ? "newest" : "oldest") }, sortLabel, "，点击切换排序");
  const detail = service === "certificate" || service === "subsidy";
  const columns = [
    { label: "编号", render: (it) => detail
        ? el("a", { href: "/console/applications/" + service + "/" + encodeURIComponent(it.id) }, "办理 " + it.id)
        : it.id },
    { label: "事项", render: (it) => [what(it), it.person_name ? "（" + it.person_name + "）" : ""].join("") },
    { label: "状态", render: (it) => it.status_name || STATUS[it.status] || STATUS[it.kind] || it.status || "—" },
    { label: "等待时长", render: (it) => el("span", { title: fmtTime(since(it)) }, fmtAge(since(it))) },
    { label: "时限", render: (it) => isOverdue(it)
        ? el("span", { class: "overdue" }, el("span", { "aria-hidden": "true" }, "⚠ "), "已超期", deadline(it) ? "（" + fmtTime(deadline(it)) + "）" : "")
        : deadline(it) ? "未超期，" + fmtTime(deadline(it)) + " 前" : "未超期" },
    { label: detail ? "可办操作" : "操作", render: (it) => detail
        ? ((it.available_actions || it.actions || []).map((a) => ACTION_NAMES[a] || a).join("、") || "—")
        : rowActions(service, it, reload) },
  ];
  const wrap = table({ caption: "待办列表", columns, rows: items, empty: "当前没有待办事项。" });
  const th = wrap.querySelector && wrap.querySelectorAll("th[scope=col]")[3];
  if (th) th.setAttribute("aria-sort", order === "oldest" ? "descending" : "ascending");
  return el("div", {}, el("div", { class: "button-row" }, sortButton), wrap);
}
