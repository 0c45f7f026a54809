// Small DOM helpers: element builder, live announcements, errors, dialogs, formatting.
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false)
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

let uid = 0;
export const nextId = (p) => (p || "f") + "-" + (++uid);

export function announce(text) {
  const live = document.getElementById("live");
  live.textContent = "";
  setTimeout(() => { live.textContent = text; }, 30);
}

export function showError(err) {
  const box = document.getElementById("alert");
  if (!err) { box.textContent = ""; return; }
  const msg = err.message || String(err);
  box.textContent = "出错了：" + msg + (err.requestId ? "（请求编号 " + err.requestId + "）" : "");
}

export function clearError() { showError(null); }

// A labelled form field: {label, name, type, required, hint, options:[[value,text]], value}
export function field(spec) {
  const id = nextId(spec.name);
  const hintId = spec.hint ? id + "-hint" : null;
  let control;
  const common = { id, name: spec.name, required: spec.required || null,
    "aria-describedby": hintId, autocomplete: spec.autocomplete || null };
  if (spec.options) {
    control = el("select", common, spec.options.map(([v, t]) => el("option", { value: v, selected: String(v) === String(spec.value ?? "") || null }, t)));
  } else if (spec.type === "textarea") {
    control = el("textarea", Object.assign(common, { maxlength: spec.maxlength || 500 }));
    if (spec.value) control.value = spec.value;
  } else {
    control = el("input", Object.assign(common, { type: spec.type || "text", value: spec.value ?? null,
      min: spec.min ?? null, max: spec.max ?? null, pattern: spec.pattern || null,
      step: spec.type === "number" ? "any" : null }));
  }
  return el("div", { class: "field" },
    el("label", { for: id }, spec.label, spec.required ? el("span", { class: "hint" }, "（必填）") : null),
    hintId ? el("span", { id: hintId, class: "hint" }, spec.hint) : null,
    control);
}

export function formData(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) if (String(v).trim() !== "") out[k] = String(v).trim();
  return out;
}

// Mark the fields the gateway named in error.details as invalid, and move focus to the first.
export function markInvalid(form, err) {
  form.querySelectorAll(".field-error").forEach((n) => n.remove());
  form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  const details = (err && err.details) || {};
  let first = null;
  for (const [name, msgs] of Object.entries(details)) {
    const control = form.querySelector('[name="' + CSS.escape(name) + '"]');
    if (!control) continue;
    const mid = control.id + "-err";
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", ((control.getAttribute("aria-describedby") || "") + " " + mid).trim());
    control.insertAdjacentElement("afterend", el("span", { id: mid, class: "field-error" }, [].concat(msgs).join("；")));
    first = first || control;
  }
  if (first) first.focus();
}

// A modal dialog: focus moves in, Tab is trapped (by <dialog> showModal + our wrap-around),
// Escape closes, and focus returns to the control that opened it.
export function openDialog({ title, body, submitText, onSubmit, danger }) {
  const opener = document.activeElement;
  const titleId = nextId("dlg-title");
  const form = el("form", { method: "dialog", novalidate: true });
  const cancel = el("button", { type: "button", class: "button secondary" }, "取消");
  const submit = el("button", { type: "submit", class: "button" + (danger ? " danger" : "") }, submitText || "确定");
  const error = el("div", { class: "alert", role: "alert" });
  form.append(error, ...[].concat(body), el("div", { class: "button-row" }, submit, cancel));
  const dlg = el("dialog", { "aria-labelledby": titleId }, el("h2", { id: titleId }, title), form);
  document.body.append(dlg);
  const close = () => { dlg.close(); };
  dlg.addEventListener("close", () => {
    dlg.remove();
    if (opener && document.contains(opener)) opener.focus();
  });
  cancel.addEventListener("click", close);
  dlg.addEventListener("keydown", (e) => {
    if (e.key !== "Tab") return;
    const f = [...dlg.querySelectorAll("button, input, select, textarea, a[href]")].filter((n) => !n.disabled);
    if (!f.length) return;
    if (e.shiftKey && document.activeElement === f[0]) { e.preventDefault(); f[f.length - 1].focus(); }
    else if (!e.shiftKey && document.activeElement === f[f.length - 1]) { e.preventDefault(); f[0].focus(); }
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    for (const c of form.querySelectorAll("[required]")) {
      if (!String(c.value).trim()) {
        markInvalid(form, { details: { [c.name]: ["请填写此项"] } });
        error.textContent = "请填写必填项。";
        return;
      }
    }
    submit.disabled = true;
    try {
      await onSubmit(formData(form));
      close();
    } catch (err) {
      error.textContent = err.message || String(err);
      markInvalid(form, err);
    } finally { submit.disabled = false; }
  });
  dlg.showModal();
  const first = form.querySelector("input, select, textarea") || submit;
  first.focus();
  return dlg;
}

// formatting ------------------------------------------------------------------------------------
export function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (isNaN(d)) return String(iso);
  return d.toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
}

export function ageDays(iso) {
  const d = new Date(iso);
  return isNaN(d) ? null : Math.max(0, (Date.now() - d.getTime()) / 86400000);
}

export function fmtAge(iso) {
  const days = ageDays(iso);
  if (days === null) return "—";
  if (days < 1) return Math.max(1, Math.round(days * 24)) + " 小时";
  return Math.floor(days) + " 天";
}

export function yuan(fen) {
  if (fen === null || fen === undefined || isNaN(fen)) return "—";
  return "¥" + (Number(fen) / 100).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

export function table({ caption, columns, rows, empty }) {
  if (!rows.length) return el("p", { class: "muted" }, empty || "暂无记录。");
  // focusable and named, so a table wider than the screen can be scrolled by keyboard
  return el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption || "表格" }, el("table", {},
    caption ? el("caption", {}, caption) : null,
    el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col", class: c.num ? "num" : null }, c.label)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, columns.map((c, i) => {
      const v = c.render ? c.render(r) : r[c.key];
      const cell = i === 0 && c.header !== false ? "th" : "td";
      return el(cell, cell === "th" ? { scope: "row" } : { class: c.num ? "num" : null }, v ?? "—");
    }))))));
}

// Any JSON value as readable HTML (for parts whose exact shape the services own).
export function render(value, depth = 0) {
  if (value === null || value === undefined || value === "") return el("span", { class: "muted" }, "—");
  if (Array.isArray(value)) {
    if (!value.length) return el("span", { class: "muted" }, "无");
    if (value.every((v) => v && typeof v === "object" && !Array.isArray(v))) {
      const keys = [...new Set(value.flatMap((v) => Object.keys(v)))].filter((k) => k !== "_outbox").slice(0, 8);
      return table({ columns: keys.map((k) => ({ label: label(k), key: k, header: false, render: (r) => scalar(r[k], k) })), rows: value });
    }
    return el("span", {}, value.map((v) => scalar(v)).join("、"));
  }
  if (typeof value === "object") {
    if (depth > 2) return el("span", {}, JSON.stringify(value));
    return el("dl", { class: "facts" }, Object.entries(value).filter(([k]) => k !== "_outbox").map(([k, v]) =>
      [el("dt", {}, label(k)), el("dd", {}, typeof v === "object" && v !== null ? render(v, depth + 1) : scalar(v, k))]));
  }
  return scalar(value);
}

function scalar(v, key) {
  if (v === null || v === undefined || v === "") return "—";
  if (typeof v === "object") return JSON.stringify(v);
  if (typeof v === "boolean") return v ? "是" : "否";
  if (key && /_fen$/.test(key)) return yuan(v);
  if (typeof v === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v)) return fmtTime(v);
  if (typeof v === "string" && STATUS[v]) return STATUS[v];
  return String(v);
}

export const STATUS = {
  submitted: "已提交", returned_for_correction: "退回补正", returned: "已退回", materials_accepted: "材料已受理",
  assessment_scheduled: "已预约评定", assessed: "已评定", public_notice: "公示中", approved: "已批准",
  issued: "已发证", rejected: "未通过", withdrawn: "已撤回", certificate_cancelled: "已注销",
  street_review: "街道初审", county_review: "残联审核", civil_affairs_review: "民政审批",
  pending: "待处理", paid: "已支付", failed: "支付失败", held: "待确认", confirmed: "已确认",
  checked_in: "已签到", completed: "已完成", no_show: "未到", cancelled: "已取消", active: "在册",
  suspended: "暂停", valid: "有效", expired: "已过期", orphaned: "机构停诊，待改约",
  pending_staff_confirmation: "待机构确认", pending_verification: "待审核", unmatched: "未匹配",
  complaint: "投诉待处理", overdue: "已超期", routed_out: "已转外地办理",
};

const LABELS = {
  id: "编号", person_id: "人员编号", status: "状态", type: "业务类型", policy_code: "补贴项目",
  created_at: "创建时间", updated_at: "更新时间", submitted_at: "提交时间", at: "时间", from: "原状态",
  to: "新状态", action: "操作", reason: "原因", actor_role: "岗位", actor_id: "经办人", region: "地区",
  name: "姓名", id_number: "身份证号", id_number_masked: "身份证号", category: "残疾类别", grade: "等级",
  amount_fen: "金额", month: "月份", valid_until: "有效期至", number: "证号", handling_region: "办理地",
  filed_region: "受理地", residence_region: "居住地", household_region: "户籍地", overdue: "是否超期",
  count: "笔数", phone_masked: "手机号", birth_date: "出生日期", sex: "性别", skills: "技能",
  certificate: "残疾人证", applications: "申请", entitlements: "待遇", payments: "发放记录",
  bookings: "康复预约", volunteer: "志愿服务", subsidy: "补贴", rehab_booking: "康复预约",
  person: "个人信息", history: "办理记录", deadline: "办理时限", step_deadline: "本环节时限",
  current_step: "当前环节", cross_province: "跨省通办", claimed_category: "申报类别", home_visit: "上门办理",
  estimated_amount_fen: "预计月发放金额", start_month: "起始月份", return_reasons: "退回原因", rejection_reason: "不予通过原因",
  filing_region: "受理地", status_name: "状态", type_name: "业务类型", policy_name: "补贴项目", rehab: "康复",
  current: "当前证件", assessment_result: "评残结果", certificates: "残疾人证", valid: "有效", expired: "已过期",
  cancelled: "已注销", replaced: "已换发", valid_by_category: "按类别", valid_severe: "重度（一、二级）",
  open: "在办", by_status: "按状态", by_type: "按类型", living_allowance_coverage: "生活补贴覆盖",
  nursing_allowance_coverage: "护理补贴覆盖", eligible: "符合条件人数", covered: "已享受人数", rate: "比率",
  processing_time_per_step: "各环节办理时长", overdue_applications: "超期申请", open_recoveries: "待追回款项",
  booking_utilisation: "预约利用率", no_show_rate: "爽约率", rehab_service_rate: "康复服务率", value: "数值",
  booked: "已预约", capacity: "号源", window_days: "统计天数", no_shows: "爽约", attended: "到场", served: "已服务",
  certificate_holders: "持证人数", target: "目标", upcoming_bookings: "即将到来的预约",
  registered_volunteers: "注册志愿者", active_volunteers: "在岗志愿者", pending_verification: "待审核",
  registered_population: "户籍人口", volunteers_per_mille: "志愿者占人口比（‰）", volunteers_per_mille_target: "目标（‰）",
  volunteers_target_met: "是否达标", response_time_minutes: "响应时间（分钟）", median: "中位数", mean: "平均",
  accepted_last_30_days: "近30天接单", open_needs: "待服务需求", unmatched_needs: "未匹配需求",
  population_is_approximate: "人口为估算值", average_hours: "平均小时", current_role: "当前岗位", household_status: "家庭经济状况",
};
export const label = (k) => LABELS[k] || k;
