// Monthly payout batches: create (idempotent per region and month), totals, bank file, reconcile.
import * as api from "../api.js";
import { el, field, formData, markInvalid, table, yuan, STATUS, announce, showError, nextId } from "../ui.js";
import { TYPE_NAMES } from "../items.js";

const BASE = "/admin/subsidy/payout-batches";

export default async function payoutsPage(page, ctx, batchId) {
  if (batchId) return batchPage(page, ctx, decodeURIComponent(batchId));
  ctx.setTitle("发放批次");
  const staff = ctx.session.staff || {};
  const now = new Date();
  const month = now.getFullYear() + "-" + String(now.getMonth() + 1).padStart(2, "0");
  const form = el("form", { novalidate: true, "aria-labelledby": "new-batch-h" },
    el("h2", { id: "new-batch-h" }, "生成月度发放批次"),
    el("p", { class: "muted" }, "同一地区同一月份只生成一个批次；再次生成会打开已有批次。发放前会复核每位对象的资格。"),
    field({ label: "地区代码", name: "region", required: true, value: staff.region, pattern: "\\d{6}" }),
    field({ label: "发放月份", name: "month", type: "month", required: true, value: month, hint: "格式：年-月，例如 2026-05" }),
    el("div", { class: "button-row" }, el("button", { type: "submit", class: "button" }, "生成批次")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const batch = await api.post(BASE, formData(form));
      remember(batch);
      announce("批次已生成");
      ctx.navigate("/console/payouts/" + encodeURIComponent(idOf(batch)));
    } catch (err) { showError(err); markInvalid(form, err); }
  });
  const recent = JSON.parse(sessionStorage.getItem("console.batches") || "[]");
  page.replaceChildren(form, el("section", { "aria-labelledby": "recent-h" }, el("h2", { id: "recent-h" }, "本次登录处理过的批次"),
    recent.length ? el("ul", {}, recent.map((b) => el("li", {}, el("a", { href: "/console/payouts/" + encodeURIComponent(b.id) }, b.region + " · " + b.month + " · " + b.id))))
      : el("p", { class: "muted" }, "暂无。")));
}

const idOf = (b) => b.id || b.batch_id;

function remember(b) {
  const list = JSON.parse(sessionStorage.getItem("console.batches") || "[]").filter((x) => x.id !== idOf(b));
  list.unshift({ id: idOf(b), region: b.region, month: b.month });
  sessionStorage.setItem("console.batches", JSON.stringify(list.slice(0, 20)));
}

async function batchPage(page, ctx, id) {
  const batch = await api.get(BASE + "/" + encodeURIComponent(id));
  remember(batch);
  ctx.setTitle("发放批次 " + batch.region + " · " + batch.month);
  const t = batch.totals || {};
  const lines = batch.lines || batch.items || [];
  const byPolicy = Object.entries(t.by_policy || {}).map(([code, v]) => Object.assign({ code }, v));
  const summary = batch.summary || batch.reconciliation || null;
  const download = el("button", { type: "button", class: "button", onclick: () => bankFile(id, batch) }, "下载银行代发文件");
  page.replaceChildren(
    el("p", {}, el("a", { href: "/console/payouts" }, "返回发放批次")),
    el("section", { "aria-labelledby": "totals-h" }, el("h2", { id: "totals-h" }, "合计"),
      el("dl", { class: "facts" },
        el("dt", {}, "批次编号"), el("dd", {}, id),
        el("dt", {}, "状态"), el("dd", {}, STATUS[batch.status] || batch.status || "—"),
        el("dt", {}, "笔数"), el("dd", { "data-total-count": "" }, String(t.count ?? lines.length)),
        el("dt", {}, "金额"), el("dd", { "data-total-amount": "" }, yuan(t.amount_fen))),
      table({ caption: "按补贴项目", rows: byPolicy, empty: "本批次没有发放明细。", columns: [
        { label: "补贴项目", render: (r) => TYPE_NAMES[r.code] || r.code },
        { label: "笔数", num: true, render: (r) => String(r.count) },
        { label: "金额", num: true, render: (r) => yuan(r.amount_fen) }] }),
      summary ? el("div", {}, el("h3", {}, "对账结果"), table({ caption: "按支付状态", columns: [
        { label: "状态", render: (r) => STATUS[r[0]] || r[0] },
        { label: "笔数", num: true, render: (r) => String(r[1].count) },
        { label: "金额", num: true, render: (r) => yuan(r[1].amount_fen) }], rows: Object.entries(summary).filter(([, v]) => v && typeof v === "object") })) : null),
    el("div", { class: "button-row" }, download),
    reconcileForm(id, lines, () => batchPage(page, ctx, id)));
}

async function bankFile(id, batch) {
  try {
    const r = await api.request("GET", BASE + "/" + encodeURIComponent(id) + "/export", { raw: true });
    let text = r.text;
    let name = "bank-" + (batch.region || "") + "-" + (batch.month || "") + ".csv";
    let left = "";
    if (r.type.includes("json")) {
      const body = JSON.parse(text);
      text = body.content || body.csv || body.file || body.text || "";
      name = body.filename || name;
      const missing = body.missing_payee || {};
      if (missing.count) left = "；" + missing.count + "笔缺少收款账户，未写入文件（明细：" + (missing.line_ids || []).slice(0, 5).join("、") + (missing.count > 5 ? " 等" : "") + "），补齐账户后再导出";
    }
    const a = el("a", { href: URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" })), download: name, class: "visually-hidden" }, name);
    document.body.append(a);
    a.click();
    a.remove();
    announce("银行代发文件已下载：" + name + left);
  } catch (err) { showError(err); }
}

function reconcileForm(id, lines, reload) {
  const form = el("form", { novalidate: true, "aria-labelledby": "rec-h" }, el("h2", { id: "rec-h" }, "对账（录入银行回执）"));
  if (!lines.length) { form.append(el("p", { class: "muted" }, "没有可对账的明细。")); return form; }
  const rows = lines.slice(0, 200).map((ln) => {
    const lid = ln.line_id || ln.id;
    const sel = el("select", { id: nextId("rec"), name: "status:" + lid, "aria-label": "回执状态：明细 " + lid },
      el("option", { value: "" }, "不变（" + (STATUS[ln.status] || ln.status) + "）"),
      ["paid", "failed", "returned"].map((s) => el("option", { value: s }, STATUS[s] || s)));
    return Object.assign({ sel }, ln, { lid });
  });
  form.append(table({ caption: "发放明细", rows, columns: [
    { label: "明细编号", render: (r) => r.lid },
    { label: "人员", render: (r) => r.person_name || r.person_id },
    { label: "项目", render: (r) => TYPE_NAMES[r.policy_code] || r.policy_code },
    { label: "金额", num: true, render: (r) => yuan(r.amount_fen) },
    { label: "当前状态", render: (r) => STATUS[r.status] || r.status },
    { label: "银行回执", render: (r) => r.sel }] }),
  el("div", { class: "button-row" },
    el("button", { type: "button", class: "button secondary", onclick: () => rows.forEach((r) => { if (r.status === "pending") r.sel.value = "paid"; }) }, "待支付的全部标记为已支付"),
    el("button", { type: "submit", class: "button" }, "提交对账")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const results = rows.filter((r) => r.sel.value).map((r) => ({ line_id: r.lid, status: r.sel.value, amount_fen: r.amount_fen }));
    if (!results.length) { showError(new Error("请至少选择一条回执状态")); return; }
    try {
      const out = await api.post(BASE + "/" + encodeURIComponent(id) + "/reconcile", { results });
      const refused = (out && out.refused) || [];
      await reload();
      announce("对账已提交：更新 " + ((out && out.changed) || results).length + " 条，拒绝 " + refused.length + " 条");
    } catch (err) { showError(err); }
  });
  return form;
}
