// GET /admin/dashboard: the measures of DOMAIN.md §8 for the staff member's region, live.
// Headline rates as a bar chart against their targets (with the same numbers in a table),
// processing time per review step as a chart, and every figure of each service in tables.
import * as api from "../api.js";
import { el, field, table, label, STATUS, announce } from "../ui.js";
import { barChart } from "../chart.js";

const SERVICE_NAMES = { certificate: "残疾人证", subsidy: "补贴", rehab_booking: "康复预约", volunteer: "志愿服务" };
const pick = (o, path) => path.split(".").reduce((v, k) => (v == null ? v : v[k]), o);
const pct = (v) => (v == null ? "暂无数据" : (v * 100).toFixed(1) + "%");

// [name, service, path of the value, path of the target or a number, how to show, detail]
const HEADLINE = [
  ["困难残疾人生活补贴覆盖率", "subsidy", "living_allowance_coverage.rate", 1, "rate",
    (m) => "已享受 " + pick(m, "living_allowance_coverage.covered") + " 人 / 符合条件 " + pick(m, "living_allowance_coverage.eligible") + " 人"],
  ["重度残疾人护理补贴覆盖率", "subsidy", "nursing_allowance_coverage.rate", 1, "rate",
    (m) => "已享受 " + pick(m, "nursing_allowance_coverage.covered") + " 人 / 符合条件 " + pick(m, "nursing_allowance_coverage.eligible") + " 人"],
  ["康复服务率", "rehab_booking", "rehab_service_rate.value", "rehab_service_rate.target", "rate",
    (m) => "已服务 " + pick(m, "rehab_service_rate.served") + " 人 / 持证 " + pick(m, "rehab_service_rate.certificate_holders") + " 人"],
  ["辅具适配率", "rehab_booking", "assistive_device_fitting_rate.value", "assistive_device_fitting_rate.target", "rate", null],
  ["未成年残疾人康复覆盖率", "rehab_booking", "children_rehab_rate.value", "children_rehab_rate.target", "rate", null],
  ["预约利用率", "rehab_booking", "booking_utilisation.value", null, "rate",
    (m) => "已约 " + pick(m, "booking_utilisation.booked") + " / 号源 " + pick(m, "booking_utilisation.capacity")],
  ["爽约率", "rehab_booking", "no_show_rate.value", null, "rate",
    (m) => "爽约 " + pick(m, "no_show_rate.no_shows") + " 次 / 到场 " + pick(m, "no_show_rate.attended") + " 次"],
  ["注册志愿者占人口比（‰）", "volunteer", "volunteers_per_mille", "volunteers_per_mille_target", "number",
    (m) => "注册志愿者 " + m.registered_volunteers + " 人，人口约 " + m.registered_population + " 人"],
  ["志愿者响应时间中位数（分钟）", "volunteer", "response_time_minutes.median", null, "number",
    (m) => "近30天接单 " + pick(m, "response_time_minutes.accepted_last_30_days") + " 次"],
  ["有效残疾人证（张）", "certificate", "certificates.valid", null, "number", null],
  ["在办证件申请（件）", "certificate", "applications.open", null, "number", null],
  ["超期未办的补贴申请（件）", "subsidy", "overdue_applications", null, "number", null],
];

export default async function dashboardPage(page, ctx) {
  const staff = ctx.session.staff || {};
  const params = new URLSearchParams(location.search);
  const data = await api.get("/admin/dashboard", { region: params.get("region") || undefined });
  ctx.setTitle("数据看板 · " + (data.region_name || data.region));
  const m = data.measures || {};
  const parts = [];
  if ((staff.roles || []).includes("admin")) {
    const f = el("form", { class: "toolbar" }, field({ label: "地区代码", name: "region", value: data.region, pattern: "\\d{6}" }),
      el("button", { type: "submit", class: "button secondary" }, "切换地区"));
    f.addEventListener("submit", (e) => { e.preventDefault(); ctx.navigate("/console/dashboard?region=" + encodeURIComponent(new FormData(f).get("region"))); });
    parts.push(f);
  }
  parts.push(el("p", { class: "muted" }, "根据实时业务数据计算。地区：" + (data.region_name || "") + "（" + data.region + "）。"));
  const down = Object.entries(m).filter(([, v]) => !v || v.unavailable).map(([k]) => SERVICE_NAMES[k] || k);
  if (down.length) parts.push(el("p", { class: "notice" }, "暂不可用：" + down.join("、") + "。这些服务恢复后指标会自动显示。"));

  const rows = HEADLINE.filter(([, svc]) => m[svc] && !m[svc].unavailable)
    .map(([name, svc, path, target, kind, detail]) => {
      const value = pick(m[svc], path);
      const t = typeof target === "string" ? pick(m[svc], target) : target;
      return { name, value, target: t, kind, detail: detail && value !== undefined ? detail(m[svc]) : "" , present: value !== undefined };
    }).filter((r) => r.present);
  const rates = rows.filter((r) => r.kind === "rate" && typeof r.value === "number");
  const show = (r, v) => (r.kind === "rate" ? pct(v) : v == null ? "暂无数据" : String(Math.round(v * 100) / 100));
  parts.push(el("section", { "aria-labelledby": "key-h" }, el("h2", { id: "key-h" }, "主要指标"),
    rates.length ? barChart("比率类指标（%）", rates.map((r) => ({ label: r.name, value: r.value * 100, text: pct(r.value),
      target: typeof r.target === "number" ? r.target * 100 : null })), 100) : el("p", { class: "muted" }, "比率类指标暂无数据（尚无足够的业务数据）。"),
    table({ caption: "主要指标与目标", rows, columns: [
      { label: "指标", render: (r) => r.name },
      { label: "当前值", num: true, render: (r) => show(r, r.value) },
      { label: "目标", num: true, render: (r) => (r.target == null ? "—" : show(r, r.target)) },
      { label: "是否达标", render: (r) => (r.target == null || r.value == null ? "—" : r.value >= r.target ? "达标" : "未达标") },
      { label: "说明", render: (r) => r.detail || "—" }] })));

  const steps = [];
  for (const svc of ["certificate", "subsidy"]) {
    for (const [step, v] of Object.entries(pick(m[svc], "processing_time_per_step") || {})) {
      const hours = v.average_hours ?? (v.average_days != null ? v.average_days * 24 : null);
      if (hours != null) steps.push({ name: SERVICE_NAMES[svc] + " · " + (STATUS[step] || label(step)), hours, count: v.count });
    }
  }
  parts.push(el("section", { "aria-labelledby": "steps-h" }, el("h2", { id: "steps-h" }, "各审核环节平均办理时长"),
    steps.length ? barChart("各环节平均办理时长（小时）", steps.map((s) => ({ label: s.name, value: s.hours, text: s.hours.toFixed(1) + " 小时" }))) : null,
    table({ caption: "各环节平均办理时长", rows: steps, empty: "尚无已办结的审核环节。", columns: [
      { label: "环节", render: (s) => s.name },
      { label: "平均时长（小时）", num: true, render: (s) => s.hours.toFixed(1) },
      { label: "件数", num: true, render: (s) => String(s.count ?? "—") }] })));

  for (const [svc, v] of Object.entries(m)) {
    if (!v || v.unavailable) continue;
    parts.push(el("details", {}, el("summary", {}, SERVICE_NAMES[svc] + "：全部数据"),
      table({ caption: SERVICE_NAMES[svc] + "的全部数据", rows: flatten(v), columns: [
        { label: "项目", render: (r) => r.name }, { label: "数值", num: true, render: (r) => r.value }] })));
  }
  page.replaceChildren(...parts);
  announce("数据看板已更新");
}

function flatten(obj, prefix) {
  const out = [];
  for (const [k, v] of Object.entries(obj || {})) {
    const name = (prefix ? prefix + " · " : "") + (label(k) !== k ? label(k) : STATUS[k] || k);
    if (v && typeof v === "object" && !Array.isArray(v)) out.push(...flatten(v, name));
    else out.push({ name, value: v == null ? "暂无数据" : typeof v === "boolean" ? (v ? "是" : "否") : Array.isArray(v) ? v.join("、") : String(v) });
  }
  return out;
}
