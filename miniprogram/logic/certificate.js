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
  // the service takes the category as an integer (strict): choices arrive as strings from data-*
  if (form.claimedCategory) body.claimed_category = Number(form.claimedCategory);
  if (form.homeVisit) body.home_visit = true;
  if ((form.reason || '').trim()) body.reason = form.reason.trim();
  return body;
}

// History entries as the services keep them: certificate {from, to, action, actor_role,
// actor_kind, at, reason}; subsidy {from, to, action, role, at, reason}. The first entry has no
// "from" (the submission).
function historyRows(application) {
  const rows = (application && application.history) || [];
  return rows.map((h, i) => ({
    key: `h${i}`,
    when: format.dateTimeText(h.at || h.when),
    text: `${h.from ? labels.statusText(h.from) : '提交申请'} → ${labels.statusText(h.to)}`,
    who: labels.roleName(h.actor_role || h.role || (h.actor_kind === 'citizen' ? 'applicant' : '')),
    reason: h.reason || ''
  }));
}

// The credential's PNG as something <image src> accepts.
function qrImageSrc(credential) {
  const b64 = credential && credential.qr_png_base64;
  if (!b64) return '';
  return b64.startsWith('data:') ? b64 : `data:image/png;base64,${b64}`;
}

// Withdrawing is possible before the assessment (services/certificate/workflow.py); the service
// lists what the caller may do in available_actions.
const WITHDRAWABLE = ['submitted', 'returned_for_correction', 'materials_accepted', 'assessment_scheduled'];
function canWithdraw(application) {
  if (!application) return false;
  if (Array.isArray(application.available_actions)) return application.available_actions.includes('withdraw');
  return WITHDRAWABLE.includes(application.status);
}

// What the applicant may do on the application page. Certificate applications list it
// (available_actions); subsidy applications follow services/subsidy/workflow.py: resubmit after
// a return, withdraw until a decision.
const RETURNED = ['returned_for_correction', 'returned'];
const SUBSIDY_DONE = ['approved', 'rejected', 'withdrawn'];
function applicantActions(service, application) {
  if (!application) return { canWithdraw: false, canResubmit: false, returnReason: '' };
  const returned = RETURNED.includes(application.status);
  const last = ((application.history || []).filter((h) => RETURNED.includes(h.to)).pop()) || {};
  const returnReason = returned ? last.reason || '' : '';
  if (service === 'subsidy') return { canWithdraw: !SUBSIDY_DONE.includes(application.status), canResubmit: returned, returnReason };
  const listed = application.available_actions;
  return { canWithdraw: canWithdraw(application), canResubmit: Array.isArray(listed) ? listed.includes('resubmit') : returned, returnReason };
}

module.exports = { validate, requestBody, historyRows, qrImageSrc, canWithdraw, applicantActions, NEEDS_REASON };
