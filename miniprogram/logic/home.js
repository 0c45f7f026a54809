// The home page is the person file (一人一档, GET /people/{id}/file) turned into "what to do first".
// Assumed file shape (fields beyond API.md are read defensively; see docs/miniprogram.md):
//   {person, certificate: {status, category, grade, valid_until, number_masked}|null,
//    applications: [{id, kind: certificate|subsidy, type?, policy_code?, status, current_step?, updated_at?}],
//    suggestions: [{id, policy_code, policy_name?, monthly_amount_fen?, reasons[]}],
//    entitlements: [...], payments: [...],
//    bookings: [{id, status, institution_name, service, start}],
//    volunteer_requests: [{id, status, skill, when}]}
const labels = require('../config/labels');
const format = require('../utils/format');

const DONE_APPLICATION = ['issued', 'rejected', 'withdrawn', 'approved_final', 'completed', 'cancelled'];
const LIVE_BOOKING = ['held', 'confirmed'];
const EXPIRY_WARNING_DAYS = 90;

function list(x) {
  return Array.isArray(x) ? x : ((x && Array.isArray(x.items)) ? x.items : []);
}

function applicationKind(a) {
  if (a.kind || a.service) return a.kind || a.service;
  return a.policy_code ? 'subsidy' : 'certificate';
}

function applicationTitle(a) {
  return applicationKind(a) === 'subsidy'
    ? labels.policyName(a.policy_code, a.policy_name)
    : labels.certTypeName(a.type || 'new');
}

function certificateCard(cert, now) {
  if (!cert) return null;
  const daysLeft = cert.valid_until ? format.daysBetween(now.toISOString(), cert.valid_until) : null;
  return {
    status: cert.status || 'valid',
    statusText: labels.statusText(cert.status || 'valid'),
    category: labels.CATEGORIES[cert.category] || cert.category_name || '',
    grade: labels.GRADES[cert.grade] || cert.grade_name || '',
    number: cert.number_masked || cert.number || '',
    validUntil: cert.valid_until ? format.dateText(cert.valid_until) : '',
    expiringSoon: daysLeft !== null && daysLeft >= 0 && daysLeft <= EXPIRY_WARNING_DAYS,
    daysLeft
  };
}

// Ordered: things only the citizen can unblock first, then things to keep an eye on.
function todoList(file, now = new Date()) {
  const todos = [];
  const suggestions = list(file && (file.suggestions || file.subsidy_suggestions));
  suggestions.forEach((s) => todos.push({
    key: `suggestion-${s.id || s.policy_code}`,
    kind: 'suggestion',
    priority: 1,
    title: `可以申领：${labels.policyName(s.policy_code, s.policy_name)}`,
    detail: s.monthly_amount_fen ? `每月${format.yuan(s.monthly_amount_fen)}，点一下就能申请` : '点一下就能申请',
    policyCode: s.policy_code,
    suggestionId: s.id || ''
  }));

  const apps = list(file && file.applications);
  apps.filter((a) => a.status === 'returned').forEach((a) => todos.push({
    key: `returned-${a.id}`, kind: 'application', priority: 2, id: a.id, service: applicationKind(a),
    title: `${applicationTitle(a)}：需要补正材料`,
    detail: a.reason || a.last_reason || '请查看退回原因'
  }));

  const bookings = list(file && (file.bookings || file.rehab_bookings));
  bookings.filter((b) => b.status === 'held').forEach((b) => todos.push({
    key: `held-${b.id}`, kind: 'booking', priority: 3, id: b.id,
    title: '康复预约待确认', detail: `${b.institution_name || ''} ${b.service || ''} ${format.dateTimeText(b.start || b.starts_at)}`.trim()
  }));

  const card = certificateCard(file && file.certificate, now);
  if (card && card.expiringSoon) {
    todos.push({ key: 'cert-expiry', kind: 'certificate', priority: 4, title: '残疾人证快到期了', detail: `还有${card.daysLeft}天到期，可以申请换领` });
  }

  apps.filter((a) => a.status !== 'returned' && !DONE_APPLICATION.includes(a.status)).forEach((a) => todos.push({
    key: `app-${a.id}`, kind: 'application', priority: 5, id: a.id, service: applicationKind(a),
    title: applicationTitle(a),
    detail: `当前：${a.current_step_name || labels.statusText(a.current_step || a.status)}`
  }));

  bookings.filter((b) => b.status === 'confirmed').forEach((b) => todos.push({
    key: `booking-${b.id}`, kind: 'booking', priority: 6, id: b.id,
    title: `康复预约：${b.service || ''}`.trim(), detail: `${b.institution_name || ''} ${format.dateTimeText(b.start || b.starts_at)}`.trim()
  }));

  list(file && (file.volunteer_requests || file.volunteer_help)).filter((v) => !['completed', 'cancelled'].includes(v.status)).forEach((v) => todos.push({
    key: `help-${v.id}`, kind: 'help', priority: 7, id: v.id,
    title: `志愿帮助：${labels.skillName(v.skill)}`, detail: labels.statusText(v.status)
  }));

  return todos.sort((a, b) => a.priority - b.priority);
}

function homeView(file, now = new Date()) {
  return {
    certificate: certificateCard(file && file.certificate, now),
    todos: todoList(file, now),
    entitlementCount: list(file && file.entitlements).filter((e) => e.status === 'active').length,
    bookingCount: list(file && (file.bookings || file.rehab_bookings)).filter((b) => LIVE_BOOKING.includes(b.status)).length
  };
}

module.exports = { todoList, certificateCard, homeView, applicationTitle };
