// GET /admin/dashboard: the measures of DOMAIN.md §8 per service, live, for the staff region.
import * as api from "../api.js";
import { el, field, table, label, announce } from "../ui.js";
import { barChart } from "../chart.js";

const SERVICE_NAMES = { certificate: "残疾人证", subsidy: "补贴", rehab_booking: "康复预约", volunteer: "志愿服务" };
const MEASURE_NAMES = {
  living_allowance_coverage: "困难残疾人生活补贴覆盖率", nursing_allowance_coverage: "重度残疾人护理补贴覆盖率",
  rehab_service_rate: "康复服务率", assistive_device_fitting_rate: "辅具适配率", children_rehab_rate: "未成年残疾人康复覆盖率",
  volunteers_per_thousand: "注册志愿者占人口比（‰）", booking_utilisation: "预约利用率", utilisation: "利用率",
  no_show_rate: "爽约率", response_time_minutes: "志愿者响应时间（分钟）", median_response_minutes: "响应时间中位数（分钟）",
  processing_days: "各环节办理时长（天）", overdue: "超期件数", pending: "待办件数", issued: "已发证",
};
const mname = (k) => MEASURE_NAMES[k] || label(k);
const isRate = (k, v) => /(rate|coverage|ratio|utili[sz]ation|share)/.test(k) && v >= 0 && v <= 1.5;

// Flatten {a: 1, b: {value: .8, target: 1}, c: {x: 2}} into rows.
function rows(measures, prefix) {
  const out = [];
  for (const [k, v] of Object.entries(measures || {})) {
    const name = prefix ? prefix + " · " + mname(k) : mname(k);
    if (typeof v === "number") out.push({ key: k, name, value: v });
    else if (v && typeof v === "object" && typeof (v.value ?? v.rate) === "number")
      out.push({ key: k, name, value: v.value ?? v.rate, target: v.target, extra: v });
    else if (v && typeof v === "object" && !Array.isArray(v) && !prefix) out.push(...rows(v, mname(k)));
    else if (v !== null && v !== undefined && typeof v !== "object") out.push({ key: k, name, value: v });
  }
  return out;
}

function fmt(r) {
  if (typeof r.value !== "number") return String(r.value);
  if (isRate(r.key, r.value)) return (r.value * 100).toFixed(1) + "%";
  return Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(2);
}

export default async function dashboardPage(page, ctx) {
  const staff = ctx.session.staff || {};
  const params = new URLSearchParams(location.search);
  const data = await api.get("/admin/dashboard", { region: params.get("region") || undefined });
  ctx.setTitle("数据看板 · " + (data.region_name || data.region));
  const parts = [];
  if ((staff.roles || []).includes("admin")) {
    const f = el("form", { class: "toolbar", method: "get", action: "/console/dashboard" },
      field({ label: "地区代码", name: "region", value: data.region, pattern: "\\d{6}" }),
      el("button", { type: "submit", class: "button secondary" }, "切换地区"));
    f.addEventListener("submit", (e) => { e.preventDefault(); ctx.navigate("/console/dashboard?region=" + encodeURIComponent(new FormData(f).get("region"))); });
    parts.push(f);
  }
  parts.push(el("p", { class: "muted" }, "根据实时业务数据计算，地区：" + (data.region_name || "") + "（" + data.region + "）。"));
  const grid = el("div", { class: "card-grid dashboard" });
  for (const [svc, m] of Object.entries(data.measures || {})) {
    const hid = "dash-" + svc;
    const card = el("section", { class: "card", "aria-labelledby": hid }, el("h2", { id: hid }, SERVICE_NAMES[svc] || svc));
    if (!m || m.unavailable) {
      card.append(el("p", {}, "暂不可用（" + ((m && m.unavailable) || "无数据") + "）。该服务恢复后自动显示。"));
    } else {
      const rs = rows(m);
      const rates = rs.filter((r) => typeof r.value === "number" && isRate(r.key, r.value));
      if (rates.length) card.append(barChart(SERVICE_NAMES[svc] + "：比率类指标", rates.map((r) => ({
        label: r.name, value: r.value * 100, text: fmt(r), target: typeof r.target === "number" ? r.target * 100 : null })), 100));
      card.append(table({ caption: (SERVICE_NAMES[svc] || svc) + "指标", rows: rs, empty: "暂无指标。", columns: [
        { label: "指标", render: (r) => r.name },
        { label: "数值", num: true, render: (r) => fmt(r) },
        { label: "目标", num: true, render: (r) => typeof r.target === "number" ? fmt({ key: r.key, value: r.target }) : "—" }] }));
    }
    grid.append(card);
  }
  parts.push(grid);
  page.replaceChildren(...parts);
  announce("数据看板已更新");
}
