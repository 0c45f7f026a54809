// Volunteer pages: registration body, offers (never with an address), tasks, hours and stars.
const labels = require('../config/labels');
const format = require('../utils/format');

// Star levels by logged hours (DOMAIN.md §5).
const STAR_HOURS = [100, 300, 600, 1000, 1500];

function starsFor(hours) {
  return STAR_HOURS.filter((h) => Number(hours || 0) >= h).length;
}

function nextStarHint(hours) {
  const next = STAR_HOURS.find((h) => Number(hours || 0) < h);
  return next ? `再服务${Math.ceil(next - Number(hours || 0))}小时可升到${starsFor(next)}星` : '已是最高星级';
}

// All week, in the hours the volunteer chose.
function registrationBody(form) {
  const days = form.weekdays && form.weekdays.length ? form.weekdays : [1, 2, 3, 4, 5, 6, 7];
  return {
    skills: form.skills,
    languages: form.languages && form.languages.length ? form.languages : ['普通话'],
    availability: days.map((d) => ({ weekday: Number(d), start: form.start || '09:00', end: form.end || '18:00' })),
    home_region: form.region,
    location: form.location
  };
}

function validateRegistration(form) {
  const errors = {};
  if (!form.skills || !form.skills.length) errors.skills = '请至少选一项能提供的帮助';
  if (!/^\d{6}$/.test(form.region || '')) errors.home_region = '请选择所在地区';
  if (!form.location) errors.location = '请允许获取大致位置，或手动选择位置';
  if ((form.start || '09:00') >= (form.end || '18:00')) errors.availability = '结束时间要晚于开始时间';
  return errors;
}

// An offer shows what, when, how long and the district only; the address comes after accepting.
function offerRow(o) {
  return {
    id: o.id,
    requestId: o.request_id,
    title: labels.skillName(o.skill),
    when: format.dateTimeText(o.when),
    duration: `${o.duration_minutes || 0}分钟`,
    district: o.district || '',
    expires: o.expires_at ? `请在${format.dateTimeText(o.expires_at)}前答复` : ''
  };
}

// A volunteer's own status (services/volunteer/profile.py) reads differently from a request's.
const VOLUNTEER_STATUS = {
  pending: '已提交，等待协调员审核',
  active: '已通过审核，可以接单',
  suspended: '暂停服务',
  rejected: '未通过审核',
  withdrawn: '已退出'
};

// GET /volunteers/me: {status, logged_minutes, service_hours: {stars, hours, next_stars,
// minutes_to_next}, rating: {average, count}, ...}. Hours are floored to one decimal by the service.
function profileView(me) {
  const p = me || {};
  const sh = p.service_hours || {};
  const hours = typeof sh.hours === 'number' ? sh.hours : Math.floor(Number(p.logged_minutes || 0) / 6) / 10;
  const stars = typeof sh.stars === 'number' ? sh.stars : starsFor(hours);
  let next = nextStarHint(hours);
  if (typeof sh.minutes_to_next === 'number' && sh.next_stars) {
    next = `再服务${Math.ceil(sh.minutes_to_next / 60)}小时可升到${sh.next_stars}星`;
  } else if (sh.next_stars === null && typeof sh.stars === 'number') {
    next = '已是最高星级';
  }
  return {
    status: VOLUNTEER_STATUS[p.status] || labels.statusText(p.status),
    statusCode: p.status || '',
    hours,
    stars: '★'.repeat(stars) || '暂无星级',
    next,
    rating: p.rating && p.rating.count ? `评分${p.rating.average}（${p.rating.count}次）` : ''
  };
}

// A task (GET /volunteers/me/tasks, and the answers of accept/check-in/check-out) is the help
// request as the volunteer may see it: its id is the request's id (request_id).
function taskRow(t) {
  const status = t.status || 'accepted';
  return {
    id: t.id || t.request_id,
    requestId: t.request_id || t.id,
    statusCode: status,
    title: labels.skillName(t.skill),
    when: format.dateTimeText(t.when),
    address: t.address || '',
    contact: t.contact_phone || t.phone || '',
    status: labels.statusText(status),
    canCheckIn: status === 'accepted' || status === 'assigned',
    canCheckOut: status === 'in_progress' || status === 'checked_in',
    // 出发: tells the citizen the volunteer is on the way (once; the task stays accepted)
    canSetOut: status === 'accepted' && !t.on_the_way_at,
    onTheWay: status === 'accepted' && t.on_the_way_at ? `已告知对方您已出发（${format.dateTimeText(t.on_the_way_at)}）` : ''
  };
}

// A help request as its requester follows it (GET /volunteer/requests/{id}); what they may do
// follows services/volunteer/tasks.py (cancel until done) and execution.py (rate once after
// completion; complain once a volunteer was assigned).
const CANCELLABLE = ['open', 'offering', 'unmatched', 'accepted'];
const COMPLAINABLE = ['accepted', 'in_progress', 'completed', 'cancelled'];
function helpRequestView(r) {
  const v = r.volunteer || {};
  const rated = r.ratings && r.ratings.by_citizen;
  const assigned = Boolean(v.name_masked || v.name || r.accepted_at);
  return {
    skill: labels.skillName(r.skill),
    when: format.dateTimeText(r.when),
    statusCode: r.status || '',
    statusText: labels.statusText(r.status),
    volunteerName: v.name_masked || v.name || '',
    volunteerPhone: v.phone || v.contact_phone || r.volunteer_contact || '',
    onTheWay: r.status === 'accepted' && r.on_the_way_at ? `志愿者已出发（${format.dateTimeText(r.on_the_way_at)}）` : '',
    credited: r.status === 'completed' && r.credited_minutes ? `服务了${r.credited_minutes}分钟` : '',
    canCancel: CANCELLABLE.includes(r.status),
    canRate: r.status === 'completed' && !rated,
    rated: rated ? `您的评价：${'★'.repeat(rated.stars)}` : '',
    canComplain: assigned && COMPLAINABLE.includes(r.status)
  };
}

function helpRequestBody(form, personId) {
  return {
    person_id: personId,
    skill: form.skill,
    when: form.when,
    duration_minutes: Number(form.durationMinutes || 60),
    region: form.region,
    location: form.location,
    address: (form.address || '').trim(),
    notes: (form.notes || '').trim()
  };
}

function validateHelpRequest(form) {
  const errors = {};
  if (!form.skill) errors.skill = '请选择需要什么帮助';
  if (!form.when) errors.when = '请选择日期和时间';
  if (!(form.address || '').trim()) errors.address = '请填写地址，志愿者接单后才能看到';
  if (!/^\d{6}$/.test(form.region || '')) errors.region = '请选择所在地区';
  return errors;
}

module.exports = {
  starsFor, nextStarHint, profileView, VOLUNTEER_STATUS, registrationBody, validateRegistration, offerRow, taskRow,
  helpRequestBody, validateHelpRequest, helpRequestView, STAR_HOURS
};
