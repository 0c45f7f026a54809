// Buttons for queue rows that are acted on in place: rehab bookings and volunteers.
import * as api from "../api.js";
import { el, field, openDialog, announce, showError } from "../ui.js";

const BOOKING = [
  ["check-in", "签到", null],
  ["complete", "完成服务", { label: "服务记录", name: "notes", type: "textarea", hint: "本次服务内容，可不填" }],
  ["no-show", "标记未到", null],
];
const VOLUNTEER = [
  ["verify", "审核通过", null],
  ["suspend", "暂停", { label: "暂停原因", name: "reason", type: "textarea", required: true }],
];

export function rowActions(service, item, reload) {
  const spec = service === "rehab_booking" ? BOOKING : service === "volunteer" ? VOLUNTEER : [];
  const base = service === "rehab_booking" ? "/admin/rehab/bookings/" : "/admin/volunteers/";
  const who = item.person_name || item.name || item.id;
  const allowed = item.actions || item.available_actions;
  return el("div", { class: "button-row" }, spec
    .filter(([a]) => !allowed || allowed.includes(a) || allowed.includes(a.replace("-", "_")))
    .map(([action, text, extra]) => el("button", {
      type: "button", class: "button secondary", "data-action": action,
      onclick: () => run(base + encodeURIComponent(item.id) + "/" + action, text, who, extra, reload),
    }, text, el("span", { class: "visually-hidden" }, "：" + who))));
}

async function run(path, text, who, extra, reload) {
  const go = async (body) => {
    await api.post(path, body || {});
    announce(text + "成功：" + who);
    await reload();
  };
  if (!extra) {
    try { await go({}); } catch (err) { showError(err); }
    return;
  }
  openDialog({ title: text + "：" + who, body: [field(extra)], submitText: text, onSubmit: go });
}
