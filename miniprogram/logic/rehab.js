// Rehab pages: which slots can be booked, what one may do with a booking.
const format = require('../utils/format');
const labels = require('../config/labels');

const CUTOFF_MS = 2 * 3600 * 1000; // cancel/reschedule up to 2 h before (DOMAIN.md §4 default)

function slotRows(slots) {
  return (slots || []).map((s) => {
    const start = s.start || s.starts_at;
    const free = Number(s.available || 0);
    const what = s.service ? ` ${labels.rehabServiceName(s.service, s.service_name)}` : '';
    const when = format.dateTimeText(start);
    return {
      id: s.id,
      when: `${when}${what}`,
      free,
      full: free <= 0,
      label: free > 0 ? `${when}${what}，还剩${free}个名额` : `${when}${what}，已约满，可排队`
    };
  });
}

function bookingRow(b, now = new Date()) {
  const start = b.start || b.starts_at || (b.slot && b.slot.start);
  const beforeCutoff = start ? new Date(start).getTime() - now.getTime() > CUTOFF_MS : true;
  const live = b.status === 'held' || b.status === 'confirmed';
  return {
    id: b.id,
    title: `${b.institution_name || ''} ${labels.rehabServiceName(b.service, b.service_name)}`.trim() || '康复预约',
    when: format.dateTimeText(start),
    status: labels.statusText(b.status),
    statusCode: b.status || '',
    escort: b.escort_needed ? '已申请志愿者陪同' : '',
    canConfirm: b.status === 'held',
    holdUntil: b.status === 'held' && b.hold_expires_at ? `请在${format.dateTimeText(b.hold_expires_at)}前确认` : '',
    canCancel: live && beforeCutoff,
    canReschedule: live && beforeCutoff,
    institutionId: b.institution_id || (b.slot && b.slot.institution_id) || '',
    service: b.service || '',
    // services/rehab_booking/booking.py: a completed session is rated once (1–5)
    canRate: b.status === 'completed' && !b.rating,
    rated: b.rating ? `您的评价：${'★'.repeat(Number(b.rating))}` : ''
  };
}

// Waitlist entries (the person file's rehab.waitlist): which day and service, and whether a
// freed place is on offer now.
function waitlistRow(e) {
  const offered = e.status === 'offered' && e.offer_booking_id;
  return {
    id: e.id,
    title: labels.rehabServiceName(e.service, e.service_name),
    day: e.date || '',
    status: offered ? `有空位了，请在${format.dateTimeText(e.offer_expires_at)}前确认` : '排队中，有空位会通知您',
    offerBookingId: offered ? e.offer_booking_id : ''
  };
}

function bookingBody(slotId, personId, form = {}) {
  const body = { slot_id: slotId, person_id: personId };
  if ((form.companion || '').trim()) body.companion = form.companion.trim();
  if (form.escortNeeded) body.escort_needed = true;
  return body;
}

// Query window for free slots: from the chosen day for 7 days, in China time.
function slotWindow(day) {
  const from = `${day}T00:00:00+08:00`;
  const end = new Date(new Date(from).getTime() + 7 * 86400000);
  return { from, to: `${format.dayString(end)}T00:00:00+08:00` };
}

module.exports = { slotRows, bookingRow, waitlistRow, bookingBody, slotWindow, CUTOFF_MS };
