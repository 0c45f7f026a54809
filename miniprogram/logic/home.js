// The home page is the person file (一人一档, GET /people/{id}/file) turned into "what to do first".
// The file has one section per service (gateway/routes/*.py PERSON_FILE_SECTIONS):
//   {person: {id, name, id_number_masked, household_region, residence_region, ...},
//    certificate: {current: {status, category, grade, number, number_masked: bool, valid_until}|null,
//                  applications: [{id, type, status, status_name, return_reasons[], history[]}]},
//    subsidy: {suggestions: [{id, policy_code, policy_name, monthly_amount_fen, reasons[]}],
//              applications: [{id, policy_code, policy_name, status, status_name, current_step, history[]}],
//              entitlements: [{status, ...}], payments: [...]},
//    rehab: {bookings: [{id, status, institution_name, service, service_name, start}], waitlist: [...]},
//    volunteer: {requests: [{id, status, skill, when}]}}
// A section whose service did not answer is {"unavailable": code}: it is listed in `unavailable`
// and the rest of the page still shows.
const labels = require('../config/labels');
const format = require('../utils/format');

const DONE = {
  certificate: ['issued', 'certificate_cancelled', 'rejected', 'withdrawn'],
  subsidy: ['approved', 'rejected', 'withdrawn']
};
const RETURNED = ['returned_for_correction', 'returned'];
const LIVE_BOOKING = ['held', 'pending_staff_confirmation', 'confirmed'];
const EXPIRY_WARNING_DAYS = 90;
const SECTION_NAMES = { certificate: '残疾人证', subsidy: '补贴', rehab: '康复预约', volunteer: '志愿帮助' };

function list(x) {
  return Array.isArray(x) ? x : ((x && Array.isArray(x.items)) ? x.items : []);
}

function section(file, key) {
  const s = file && file[key];
  return s && typeof s === 'object' && !s.unavailable ? s : {};
}

// The file's sections flattened into what the page shows.
function fileParts(file) {
  const cert = section(file, 'certificate');
  const sub = section(file, 'subsidy');
  const rehab = section(file, 'rehab');
  const vol = section(file, 'volunteer');
  return {
    certificate: cert.current || null,
    applications: list(cert.applications).map((a) => Object.assign({ kind: 'certificate' }, a))
      .concat(list(sub.applications).map((a) => Object.assign({ kind: 'subsidy' }, a))),
    suggestions: list(sub.suggestions),
    entitlements: list(sub.entitlements),
    payments: list(sub.payments),
    bookings: list(rehab.bookings),
    helpRequests: list(vol.requests),
    unavailable: Object.keys(SECTION_NAMES).filter((k) => file && file[k] && file[k].unavailable)
  };
}

function applicationTitle(a) {
  return a.kind === 'subsidy'
    ? labels.policyName(a.policy_code, a.policy_name)
    : labels.certTypeName(a.type || 'new');
}

// Why an application came back: the certificate service lists return_reasons, the subsidy
// service keeps the reason on the last history entry.
function returnReason(a) {
  const reasons = (a.return_reasons || []).map((r) => (typeof r === 'string' ? r : (r && (r.reason || r.text)) || '')).filter(Boolean);
  if (reasons.length) return reasons[reasons.length - 1];
  const last = (a.history || []).filter((h) => h && h.reason).pop();
  return (last && last.reason) || '';
}

function certificateCard(cert, now) {
  if (!cert) return null;
  const daysLeft = cert.valid_until ? format.daysBetween(now.toISOString(), cert.valid_until) : null;
  return {
    status: cert.status || 'valid',
    statusText: labels.statusText(cert.status || 'valid'),
    category: labels.CATEGORIES[cert.category] || cert.category_name || '',
    grade: labels.GRADES[cert.grade] || cert.grade_name || '',
    // number is the full number for the holder and their guardian (number_masked: false), else masked
    number: typeof cert.number === 'string' ? cert.number : '',
    validUntil: cert.valid_until ? format.dateText(cert.valid_until) : '',
    expiringSoon: daysLeft !== null && daysLeft >= 0 && daysLeft <= EXPIRY_WARNING_DAYS,
    daysLeft
  };
}

function bookingText(b) {
  return `${b.institution_name || ''} ${labels.rehabServiceName(b.service, b.service_name)}`.trim();
}

// Ordered: things only the citizen can unblock first, then things to keep an eye on.
function todoList(file, now = new Date()) {
  const parts = fileParts(file);
  const todos = [];
  parts.suggestions.forEach((s) => todos.push({
    key: `suggestion-${s.id || s.policy_code}`,
    kind: 'suggestion',
    priority: 1,
    title: `可以申领：${labels.policyName(s.policy_code, s.policy_name)}`,
    detail: s.monthly_amount_fen ? `每月${format.yuan(s.monthly_amount_fen)}，点一下就能申请` : '点一下就能申请',
    policyCode: s.policy_code,
    suggestionId: s.id || ''
  }));

  const apps = parts.applications;
  apps.filter((a) => RETURNED.includes(a.status)).forEach((a) => todos.push({
    key: `returned-${a.id}`, kind: 'application', priority: 2, id: a.id, service: a.kind,
    title: `${applicationTitle(a)}：需要补正材料`,
    detail: returnReason(a) || '请查看退回原因'
  }));

  const bookings = parts.bookings;
  bookings.filter((b) => b.status === 'held').forEach((b) => todos.push({
    key: `held-${b.id}`, kind: 'booking', priority: 3, id: b.id,
    title: '康复预约待确认', detail: `${bookingText(b)} ${format.dateTimeText(b.start || b.starts_at)}`.trim()
  }));

  const card = certificateCard(parts.certificate, now);
  if (card && card.expiringSoon) {
    todos.push({ key: 'cert-expiry', kind: 'certificate', priority: 4, title: '残疾人证快到期了', detail: `还有${card.daysLeft}天到期，可以申请换领` });
  }

  apps.filter((a) => !RETURNED.includes(a.status) && !(DONE[a.kind] || []).includes(a.status)).forEach((a) => todos.push({
    key: `app-${a.id}`, kind: 'application', priority: 5, id: a.id, service: a.kind,
    title: applicationTitle(a),
    detail: `当前：${labels.statusText(a.current_step || a.status, a.status_name)}`
  }));

  bookings.filter((b) => b.status === 'confirmed').forEach((b) => todos.push({
    key: `booking-${b.id}`, kind: 'booking', priority: 6, id: b.id,
    title: `康复预约：${labels.rehabServiceName(b.service, b.service_name)}`.trim(),
    detail: `${b.institution_name || ''} ${format.dateTimeText(b.start || b.starts_at)}`.trim()
  }));

  parts.helpRequests.filter((v) => !['completed', 'cancelled'].includes(v.status)).forEach((v) => todos.push({
    key: `help-${v.id}`, kind: 'help', priority: 7, id: v.id,
    title: `志愿帮助：${labels.skillName(v.skill)}`, detail: labels.statusText(v.status)
  }));

  return todos.sort((a, b) => a.priority - b.priority);
}

function homeView(file, now = new Date()) {
  const parts = fileParts(file);
  return {
    certificate: certificateCard(parts.certificate, now),
    todos: todoList(file, now),
    entitlementCount: parts.entitlements.filter((e) => e.status === 'active').length,
    bookingCount: parts.bookings.filter((b) => LIVE_BOOKING.includes(b.status)).length,
    unavailableText: parts.unavailable.length
      ? `${parts.unavailable.map((k) => SECTION_NAMES[k]).join('、')}暂时查不到，请稍后下拉刷新`
      : ''
  };
}

module.exports = { todoList, certificateCard, homeView, applicationTitle, fileParts, returnReason };
