// Designated institutions and their weekly schedules (institution staff, county 残联).
import * as api from "../api.js";
import { el, field, formData, markInvalid, table, announce, showError, nextId } from "../ui.js";

const WEEKDAYS = [["1", "星期一"], ["2", "星期二"], ["3", "星期三"], ["4", "星期四"], ["5", "星期五"], ["6", "星期六"], ["7", "星期日"]];
const ACCESS = { step_free: "无台阶", accessible_toilet: "无障碍卫生间", elevator: "电梯", sign_language: "手语服务", parking: "无障碍停车位", braille: "盲文标识" };

export default async function rehabPage(page, ctx) {
  ctx.setTitle("机构与排班");
  const staff = ctx.session.staff || {};
  const [data, cat] = await Promise.all([api.get("/rehab/institutions", { region: staff.region }), api.get("/rehab/services")]);
  const catalogue = Array.isArray(cat) ? cat : (cat.items || []);
  const list = (data.items || []).filter((i) => !staff.institution_id || i.id === staff.institution_id);
  const today = new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
  const in4w = new Date(Date.now() + 27 * 86400000).toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
  const sched = el("form", { novalidate: true, "aria-labelledby": "sched-h" },
    el("h2", { id: "sched-h" }, "按周排班生成号源"),
    field({ label: "机构", name: "institution_id", required: true, options: [["", "请选择"], ...list.map((i) => [i.id, i.name || i.id])], value: list.length === 1 ? list[0].id : "" }),
    field({ label: "服务项目", name: "service", required: true, options: [["", "请选择"], ...catalogue.map((s) => [s.code, s.name])] }),
    field({ label: "星期", name: "weekday", required: true, options: WEEKDAYS }),
    field({ label: "开始时间", name: "start", type: "time", required: true, value: "09:00" }),
    field({ label: "时长（分钟）", name: "duration_minutes", type: "number", required: true, value: "60", min: 10, max: 480 }),
    field({ label: "名额", name: "capacity", type: "number", required: true, value: "4", min: 1, max: 100 }),
    field({ label: "开始日期", name: "from", type: "date", required: true, value: today }),
    field({ label: "结束日期", name: "to", type: "date", required: true, value: in4w }),
    el("div", { class: "button-row" }, el("button", { type: "submit", class: "button" }, "生成号源")));
  sched.addEventListener("submit", async (e) => {
    e.preventDefault();
    const d = formData(sched);
    const body = { institution_id: d.institution_id, from: d.from, to: d.to, templates: [{
      service: d.service, weekday: Number(d.weekday), start: d.start, duration_minutes: Number(d.duration_minutes), capacity: Number(d.capacity) }] };
    try {
      const out = await api.post("/admin/rehab/schedules", body);
      const n = out && (out.created ?? out.slots_created ?? (out.slots || []).length);
      showResult(sched, "排班已保存" + (n !== undefined ? "，生成号源 " + n + " 个" : ""));
    } catch (err) { showError(err); markInvalid(sched, err); }
  });
  page.replaceChildren(
    el("p", {}, "签到、完成服务和登记爽约，请在", el("a", { href: "/console/bookings" }, "今日预约"), "中办理。"),
    el("section", { "aria-labelledby": "inst-h" }, el("h2", { id: "inst-h" }, "定点康复机构"),
      table({ caption: "本辖区定点康复机构", rows: list, empty: "本辖区暂无定点康复机构。", columns: [
        { label: "名称", render: (i) => i.name || i.id },
        { label: "地址", render: (i) => i.address || "—" },
        { label: "服务项目", render: (i) => (i.service_names || i.services || []).join("、") || "—" },
        { label: "无障碍设施", render: (i) => Object.entries(i.accessibility || {}).filter(([, v]) => v).map(([k]) => ACCESS[k] || k).join("、") || "未登记" },
        { label: "电话", render: (i) => i.phone || "—" }] })),
    sched,
    (staff.roles || []).some((r) => r === "county_dpf" || r === "admin") ? institutionForm(catalogue, staff, () => rehabPage(page, ctx)) : null);
}

function showResult(form, text) {
  form.querySelectorAll(".notice").forEach((n) => n.remove());
  form.append(el("p", { class: "notice", role: "status" }, text));
  announce(text);
}

function institutionForm(catalogue, staff, reload) {
  const gid = nextId("svc");
  const form = el("form", { novalidate: true, "aria-labelledby": "inst-new-h" },
    el("h2", { id: "inst-new-h" }, "新增定点康复机构"),
    field({ label: "机构名称", name: "name", required: true }),
    field({ label: "地址", name: "address", required: true }),
    field({ label: "电话", name: "phone", type: "tel" }),
    field({ label: "纬度", name: "lat", type: "number", required: true, hint: "用于为市民推荐就近机构，例如 29.38" }),
    field({ label: "经度", name: "lng", type: "number", required: true, hint: "例如 106.54" }),
    el("fieldset", {}, el("legend", {}, "提供的服务（至少一项）"),
      catalogue.map((s) => { const id = gid + "-" + s.code; return el("div", {}, el("input", { type: "checkbox", id, name: "services", value: s.code }), " ", el("label", { for: id }, s.name)); })),
    el("fieldset", {}, el("legend", {}, "无障碍设施"),
      Object.entries(ACCESS).map(([k, v]) => { const id = gid + "-a-" + k; return el("div", {}, el("input", { type: "checkbox", id, name: "access", value: k }), " ", el("label", { for: id }, v)); })),
    el("div", { class: "button-row" }, el("button", { type: "submit", class: "button" }, "保存机构")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    const body = { name: fd.get("name"), address: fd.get("address"), region: staff.region,
      location: { lat: Number(fd.get("lat")), lng: Number(fd.get("lng")) }, services: fd.getAll("services"), accessibility: Object.fromEntries(fd.getAll("access").map((k) => [k, true])) };
    if (fd.get("phone")) body.phone = fd.get("phone");
    try { await api.post("/admin/rehab/institutions", body); announce("机构已保存"); await reload(); }
    catch (err) { showError(err); markInvalid(form, err); }
  });
  return form;
}
