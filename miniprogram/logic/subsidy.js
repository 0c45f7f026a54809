// Subsidy page: eligibility with reasons, suggestions waiting for one tap, entitlements, payments.
const labels = require('../config/labels');
const format = require('../utils/format');

function eligibilityRows(items) {
  return (items || []).map((e) => ({
    policyCode: e.policy_code,
    name: labels.policyName(e.policy_code, e.policy_name),
    eligible: Boolean(e.eligible),
    verdict: e.eligible ? '符合条件' : '暂不符合',
    amount: e.monthly_amount_fen ? `每月${format.yuan(e.monthly_amount_fen)}` : '',
    reasons: (e.reasons || []).map((r) => (typeof r === 'string' ? r : (r.message || r.text || '')))
  }));
}

function suggestionRows(items) {
  return (items || []).map((s) => ({
    id: s.id,
    policyCode: s.policy_code,
    name: labels.policyName(s.policy_code, s.policy_name),
    amount: s.monthly_amount_fen ? `每月${format.yuan(s.monthly_amount_fen)}` : ''
  }));
}

function entitlementRows(items) {
  return (items || []).map((e) => ({
    key: e.id || `${e.policy_code}-${e.status}`,
    name: labels.policyName(e.policy_code, e.policy_name),
    status: labels.statusText(e.status, e.status_name),
    amount: e.monthly_amount_fen ? `每月${format.yuan(e.monthly_amount_fen)}` : '',
    reason: e.reason || (e.reasons || []).join('；')
  }));
}

function paymentRows(items) {
  return (items || []).map((p) => ({
    key: p.line_id || p.id || `${p.month}-${p.policy_code}`,
    month: p.month,
    name: labels.policyName(p.policy_code, p.policy_name),
    amount: format.yuan(p.amount_fen),
    status: labels.statusText(p.status)
  }));
}

// The region's policies in force (GET /subsidy/policies), for someone not yet bound to a
// person: what exists and how much, before asking for the real name. amounts_fen is
// {default: fen} or {by_grade: {"1": fen, ...}}; kind is monthly, yearly or one_off.
const PER = { monthly: '每月', yearly: '每年', one_off: '一次性' };
function amountText(kind, amounts) {
  const a = amounts || {};
  const per = PER[kind] || '';
  if (a.by_grade) {
    return Object.keys(a.by_grade).sort().map((g) => `${labels.GRADES[g] || `${g}级`}${per}${format.yuan(a.by_grade[g])}`).join('，');
  }
  return a.default ? `${per}${format.yuan(a.default)}` : '';
}

function policyRows(items) {
  return (items || []).map((p) => ({
    policyCode: p.code,
    name: labels.policyName(p.code, p.name),
    amount: amountText(p.kind, p.amounts_fen),
    applyNeeded: p.application_required ? '需要申请' : '符合条件自动发放'
  }));
}

// A suggestion is confirmed by an ordinary application with the suggested policy code.
function confirmBody(policyCode, personId, residenceRegion, payee) {
  return Object.assign({ person_id: personId, policy_code: policyCode, residence_region: residenceRegion }, payeeFields(payee));
}

// The account monthly payments go to (社保卡 or bank card). Optional when applying, but a
// payment cannot be sent without one: the bank file leaves such a line out until it is known.
const accountOf = (payee) => ((payee && payee.bankAccount) || '').replace(/\s+/g, '');

function payeeFields(payee) {
  const account = accountOf(payee);
  if (!account) return {};
  const out = { bank_account: account };
  if ((payee.bankName || '').trim()) out.bank_name = payee.bankName.trim();
  return out;
}

function payeeProblem(payee) {
  const account = accountOf(payee);
  if (account && !/^\d{10,30}$/.test(account)) return '收款账号应为10到30位数字（可以不填，以后再补）';
  return '';
}

module.exports = { eligibilityRows, suggestionRows, entitlementRows, paymentRows, policyRows, confirmBody, payeeFields, payeeProblem };
