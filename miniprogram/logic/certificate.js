// Certificate pages: form checks, the request body, the status history, the QR image.
const labels = require('../config/labels');
const format = require('../utils/format');

const NEEDS_REASON = ['replacement', 'change', 'transfer', 'cancellation'];

// form: {type, residenceRegion, claimedCategory, homeVisit, reason} → {field: message}
function validate(form) {
  const errors = {};
  if (!labels.CERT_TYPES.some((t) => t.value === form.type)) errors.type = '请选择要办理的事项';
  if (!/^\d{6}$/.test(form.residenceRegion || '')) errors.residence_region = '请选择居住地';
  if (NEEDS_REASON.includes(form.type) && !(form.reason || '').trim()) errors.reason = '请说明办理原因';
  return errors;
}

function requestBody(form, personId) {
  const body = { person_id: personId, type: form.type, residence_region: form.residenceRegion };
  if (form.claimedCategory) body.claimed_category = form.claimedCategory;
  if (form.homeVisit) body.home_visit = true;
  if ((form.reason || '').trim()) body.reason = form.reason.trim();
  return body;
}

// history entries: {who|actor, role?, when|at, from, to, reason}
function historyRows(application) {
  const rows = (application && application.history) || [];
  return rows.map((h, i) => ({
    key: `h${i}`,
    when: format.dateTimeText(h.when || h.at),
    text: `${labels.statusText(h.from) || '提交'} → ${labels.statusText(h.to)}`,
    who: h.who_name || h.role_name || h.role || h.who || h.actor || '',
    reason: h.reason || ''
  }));
}

// The credential's PNG as something <image src> accepts.
function qrImageSrc(credential) {
  const b64 = credential && credential.qr_png_base64;
  if (!b64) return '';
  return b64.startsWith('data:') ? b64 : `data:image/png;base64,${b64}`;
}

function canWithdraw(application) {
  return Boolean(application) && ['submitted', 'accepted', 'returned'].includes(application.status);
}

module.exports = { validate, requestBody, historyRows, qrImageSrc, canWithdraw, NEEDS_REASON };
