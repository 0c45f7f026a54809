// Buttons for rows acted on in place: rehab bookings and volunteer registrations.
import * as api from "../api.js";
import { el, field, openDialog, announce, showError } from "../ui.js";

const REASON = { label: "原因", name: "reason", type: "textarea", required: true };
const RECORD = { label: "服务记录", name: "notes", type: "textarea", required: true, hint: "本次服务的内容与效果" };

// by item status (rehab) or kind (volunteer): [path action, button text, extra field or null]
const BOOKING = {
  pending_staff_confirmation: [["approve", "批准预约", null], ["reject", "驳回预约", REASON]],
  confirmed: [["check-in", "签到", null], ["no-show", "登记爽约", null]],
  checked_in: [["complete", "完成服务", RECORD]],
};
const VOLUNTEER = {
  pending_verification: [["verify", "审核通过", null], ["reject", "不通过", REASON]],
  active: [["suspend", "暂停服务", REASON]],
};

export function rowActions(service, item, reload) {
  const rehab = service === "rehab_booking";
  const spec = (rehab ? BOOKING[item.status] : VOLUNTEER[item.kind || item.status]) || [];
  const base = rehab ? "/admin/rehab/bookings/" : "/admin/volunteers/";
  const who = [item.title || item.service_name, item.start ? new Date(item.start).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", hour12: false }) : "", item.id].filter(Boolean).join(" ");
  if (!spec.length) return el("span", { class: "muted" }, "—");
  return el("div", { class: "button-row" }, spec.map(([action, text, extra]) => el("button", {
    type: "button", class: "button secondary", "data-action": action,
    onclick: () => run(base + encodeURIComponent(item.id) + "/" + action, action, text, who, extra, reload),
  }, text, el("span", { class: "visually-hidden" }, "：" + who))));
}

async function run(path, action, text, who, extra, reload) {
  const go = async (data) => {
    const body = action === "complete" ? { service_record: { summary: data.notes || "" } } : (data || {});
    await api.post(path, body);
    await reload();
    announce(text + "成功：" + who);
  };
  if (!extra) {
    try { await go({}); } catch (err) { showError(err); }
    return;
  }
  openDialog({ title: text + "：" + who, body: [field(extra)], submitText: text, onSubmit: go, danger: action === "reject" });
}
