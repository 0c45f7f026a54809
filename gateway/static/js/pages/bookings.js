// Today's bookings of the institution (GET /admin/rehab/bookings?date=): check-in, completion,
// no-show, in the order of the day.
import * as api from "../api.js";
import { el, field, table, STATUS, announce, showError } from "../ui.js";
import { rowActions } from "./row_actions.js";

const time = (iso) => iso ? new Date(iso).toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hour12: false }) : "—";

export default async function bookingsPage(page, ctx) {
  ctx.setTitle("今日预约");
  const today = new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
  const date = field({ label: "日期", name: "date", type: "date", value: today });
  const results = el("div", {});
  const reload = async () => {
    let data;
    try { data = await api.get("/admin/rehab/bookings", { date: date.querySelector("input").value }); }
    catch (err) { showError(err); results.replaceChildren(el("p", {}, "预约暂时无法读取。")); return; }
    const items = (data.items || []).slice().sort((a, b) => String(a.start).localeCompare(String(b.start)));
    results.replaceChildren(table({ caption: (data.date || "") + " 的预约（共 " + items.length + " 个）", rows: items, empty: "这一天没有预约。", columns: [
      { label: "时间", render: (b) => time(b.start) + "–" + time(b.end) },
      { label: "服务项目", render: (b) => b.service_name || b.service },
      { label: "预约人", render: (b) => b.person_name || b.person_id },
      { label: "陪同/助残", render: (b) => [b.companion ? "有陪同人" : "", b.escort_needed ? "需志愿者护送" : ""].filter(Boolean).join("，") || "—" },
      { label: "状态", render: (b) => STATUS[b.status] || b.status },
      { label: "操作", render: (b) => rowActions("rehab_booking", Object.assign({ title: b.service_name }, b), reload) }] }));
    announce("共 " + items.length + " 个预约");
  };
  date.querySelector("input").addEventListener("change", reload);
  page.replaceChildren(el("div", { class: "toolbar" }, date,
    el("button", { type: "button", class: "button secondary", onclick: reload }, "刷新")), results);
  await reload();
}
