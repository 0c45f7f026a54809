const test = require('node:test');
const assert = require('node:assert/strict');
const home = require('../../logic/home');
const cert = require('../../logic/certificate');
const subsidy = require('../../logic/subsidy');
const rehab = require('../../logic/rehab');
const vol = require('../../logic/volunteer');
const idnumber = require('../../utils/idnumber');
const format = require('../../utils/format');
const subscribe = require('../../utils/subscribe');
const { freshWx, routes, json } = require('../helpers/fresh');

const NOW = new Date('2025-03-01T02:00:00Z');

// The person file as GET /people/{id}/file answers it: one section per service.
const FILE = {
  person: { id: 'p1', residence_region: '500113' },
  certificate: {
    current: { status: 'valid', category: 4, grade: 1, number: '50011319800101123X41', number_masked: false, valid_until: '2025-04-15' },
    applications: [
      { id: 'a1', type: 'new', status: 'assessment_scheduled', status_name: '已预约评定' },
      { id: 'a3', type: 'new', status: 'issued' }
    ]
  },
  subsidy: {
    suggestions: [{ id: 's1', policy_code: 'nursing_allowance', monthly_amount_fen: 10000 }],
    applications: [{ id: 'a2', policy_code: 'living_allowance', status: 'returned', current_step: null, history: [{ from: 'street_review', to: 'returned', reason: '缺少低保证明' }] }],
    entitlements: [{ id: 'e1', policy_code: 'nursing_allowance', status: 'active' }],
    payments: []
  },
  rehab: {
    bookings: [
      { id: 'b1', status: 'confirmed', service: 'speech_training', service_name: '言语训练', institution_name: '巴南康复中心', start: '2025-03-03T09:00:00+08:00' },
      { id: 'b2', status: 'held', service: 'movement_therapy', start: '2025-03-04T09:00:00+08:00' },
      { id: 'b3', status: 'cancelled', service: 'movement_therapy' }
    ],
    waitlist: []
  },
  volunteer: { requests: [{ id: 'v1', status: 'offering', skill: 'escort' }, { id: 'v2', status: 'completed', skill: 'escort' }] }
};

test('home: suggestions first, then returned applications, held bookings, expiry, pending, bookings, help', () => {
  const todos = home.todoList(FILE, NOW);
  assert.deepEqual(todos.map((t) => t.key), ['suggestion-s1', 'returned-a2', 'held-b2', 'cert-expiry', 'app-a1', 'booking-b1', 'help-v1']);
  assert.equal(todos[0].title, '可以申领：重度残疾人护理补贴');
  assert.equal(todos[0].suggestionId, 's1');
  assert.match(todos[0].detail, /每月100元/);
  assert.equal(todos[1].service, 'subsidy');
  assert.match(todos[1].detail, /缺少低保证明/);
  assert.match(todos[2].detail, /运动疗法/);
  assert.equal(todos[4].service, 'certificate');
  assert.match(todos[4].detail, /已安排评残/);
  assert.equal(todos[5].title, '康复预约：言语训练');
  assert.match(todos[6].detail, /正在找志愿者/);
  const view = home.homeView(FILE, NOW);
  assert.equal(view.certificate.category, '肢体残疾');
  assert.equal(view.certificate.grade, '一级');
  assert.equal(view.certificate.number, '50011319800101123X41');
  assert.equal(view.certificate.expiringSoon, true);
  assert.equal(view.bookingCount, 2);
  assert.equal(view.entitlementCount, 1);
  assert.equal(view.unavailableText, '');
});

test('home: a section whose service did not answer is named, the rest still shows', () => {
  const file = Object.assign({}, FILE, { subsidy: { unavailable: 'SERVICE_UNAVAILABLE' } });
  const view = home.homeView(file, NOW);
  assert.match(view.unavailableText, /补贴暂时查不到/);
  assert.ok(view.certificate);
  assert.equal(view.todos.some((t) => t.kind === 'suggestion'), false);
  assert.equal(home.returnReason({ return_reasons: [{ reason: '照片不清楚' }] }), '照片不清楚');
});

test('home: an empty or partial file gives no to-dos and no card', () => {
  assert.deepEqual(home.todoList({}, NOW), []);
  assert.deepEqual(home.todoList({ certificate: { current: null, applications: [] } }, NOW), []);
  assert.equal(home.homeView(null, NOW).certificate, null);
});

test('certificate: validation says what is missing, body carries only what was given', () => {
  assert.deepEqual(cert.validate({ type: 'new', residenceRegion: '' }), { residence_region: '请选择居住地' });
  assert.deepEqual(cert.validate({ type: 'replacement', residenceRegion: '500113', reason: ' ' }), { reason: '请说明办理原因' });
  assert.deepEqual(cert.validate({ type: 'bogus', residenceRegion: '500113' }), { type: '请选择要办理的事项' });
  assert.deepEqual(cert.requestBody({ type: 'new', residenceRegion: '500113', claimedCategory: '4', homeVisit: true, reason: '' }, 'p1'),
    { person_id: 'p1', type: 'new', residence_region: '500113', claimed_category: 4, home_visit: true });
  for (const t of ['new', 'renewal', 'replacement', 'change', 'transfer', 'cancellation']) {
    assert.deepEqual(cert.validate({ type: t, residenceRegion: '500113', reason: '原因' }), {});
  }
});

test('certificate: history rows keep the staff reason and say who acted; QR becomes an image src', () => {
  const rows = cert.historyRows({ history: [
    { from: null, to: 'submitted', action: 'submit', actor_kind: 'citizen', at: '2025-03-01T00:30:00+00:00' },
    { from: 'submitted', to: 'returned_for_correction', action: 'return', actor_role: 'street_officer', at: '2025-03-01T01:00:00+00:00', reason: '照片不清楚' }
  ] });
  assert.equal(rows[0].text, '提交申请 → 已提交，等待审核');
  assert.equal(rows[0].who, '申请人');
  assert.equal(rows[1].text, '已提交，等待审核 → 被退回，需要补正材料');
  assert.equal(rows[1].who, '街道（乡镇）经办人');
  assert.equal(rows[1].reason, '照片不清楚');
  assert.equal(rows[1].when, '2025年3月1日 09:00');
  assert.equal(cert.qrImageSrc({ qr_png_base64: 'iVBORw0KGgo=' }), 'data:image/png;base64,iVBORw0KGgo=');
  assert.equal(cert.qrImageSrc(null), '');
  assert.equal(cert.canWithdraw({ status: 'submitted' }), true);
  assert.equal(cert.canWithdraw({ status: 'assessed' }), false);
  assert.equal(cert.canWithdraw({ status: 'materials_accepted', available_actions: ['withdraw'] }), true);
  assert.equal(cert.canWithdraw({ status: 'public_notice', available_actions: [] }), false);
});

test('subsidy: reasons are shown for both verdicts; confirm body uses the suggested policy', () => {
  const rows = subsidy.eligibilityRows([
    { policy_code: 'living_allowance', eligible: false, reasons: ['家庭不是低保户'] },
    { policy_code: 'nursing_allowance', eligible: true, reasons: [{ message: '持证一级' }], monthly_amount_fen: 8050 }
  ]);
  assert.equal(rows[0].verdict, '暂不符合');
  assert.deepEqual(rows[0].reasons, ['家庭不是低保户']);
  assert.equal(rows[1].amount, '每月80.50元');
  assert.deepEqual(rows[1].reasons, ['持证一级']);
  assert.deepEqual(subsidy.confirmBody('nursing_allowance', 'p1', '500113'), { person_id: 'p1', policy_code: 'nursing_allowance', residence_region: '500113' });
  assert.equal(subsidy.paymentRows([{ month: '2025-02', amount_fen: 10000, status: 'paid', policy_code: 'living_allowance' }])[0].amount, '100元');
});

test('rehab: full slots offer the waitlist; cancel and reschedule stop 2 hours before', () => {
  const rows = rehab.slotRows([{ id: 's1', start: '2025-03-02T09:00:00+08:00', available: 2 }, { id: 's2', start: '2025-03-02T10:00:00+08:00', available: 0 }]);
  assert.equal(rows[0].full, false);
  assert.match(rows[0].label, /还剩2个名额/);
  assert.equal(rows[1].full, true);
  assert.match(rows[1].label, /已约满/);
  const soon = rehab.bookingRow({ id: 'b', status: 'confirmed', start: new Date(NOW.getTime() + 3600e3).toISOString() }, NOW);
  assert.equal(soon.canCancel, false);
  const later = rehab.bookingRow({ id: 'b', status: 'held', start: new Date(NOW.getTime() + 86400e3).toISOString() }, NOW);
  assert.equal(later.canCancel && later.canConfirm && later.canReschedule, true);
  assert.deepEqual(rehab.bookingBody('s1', 'p1', { escortNeeded: true, companion: ' 妈妈 ' }), { slot_id: 's1', person_id: 'p1', escort_needed: true, companion: '妈妈' });
  assert.deepEqual(rehab.slotWindow('2025-03-01'), { from: '2025-03-01T00:00:00+08:00', to: '2025-03-08T00:00:00+08:00' });
});

test('volunteer: stars by hours, offers never carry an address', () => {
  assert.deepEqual([0, 99, 100, 300, 599, 1000, 1500, 5000].map(vol.starsFor), [0, 0, 1, 2, 2, 4, 5, 5]);
  assert.equal(vol.nextStarHint(90), '再服务10小时可升到1星');
  const offer = vol.offerRow({ id: 'o1', request_id: 'r1', skill: 'escort', when: '2025-03-02T02:00:00Z', duration_minutes: 60, district: '巴南区', expires_at: '2025-03-01T03:00:00Z', address: '不该出现' });
  assert.equal(offer.title, '陪同出行');
  assert.equal(Object.values(offer).some((v) => String(v).includes('不该出现')), false);
  const body = vol.registrationBody({ skills: ['escort'], region: '500113', location: { lat: 1, lng: 2 }, start: '08:00', end: '21:00' });
  assert.equal(body.availability.length, 7);
  assert.deepEqual(body.availability[0], { weekday: 1, start: '08:00', end: '21:00' });
  assert.deepEqual(Object.keys(vol.validateRegistration({ skills: [], region: '', start: '18:00', end: '09:00' })).sort(), ['availability', 'home_region', 'location', 'skills']);
});

test('ID numbers: mod 11-2 check character', () => {
  assert.equal(idnumber.make('11010519491231002'), '11010519491231002X');
  assert.equal(idnumber.problem('11010519491231002X'), '');
  assert.match(idnumber.problem('110105194912310021'), /最后一位不对/);
  assert.match(idnumber.problem('12345'), /18位/);
  assert.match(idnumber.problem(idnumber.make('11010519490231002')), /出生日期/);
});

test('format: fen to yuan, China time', () => {
  assert.equal(format.yuan(12345), '123.45元');
  assert.equal(format.yuan(10000), '100元');
  assert.equal(format.dateTimeText('2025-03-01T16:30:00Z'), '2025年3月2日 00:30');
  assert.equal(format.dayString(new Date('2025-03-01T16:30:00Z')), '2025-03-02');
});

test('subscribe: maps WeChat answers back to template keys and reports them', async () => {
  const ids = { application_status: 'TID-A', certificate_expiry: 'TID-E', appointment_reminder: '', volunteer_offer: '', payment: '' };
  assert.deepEqual(subscribe.resultsByKey(['application_status', 'certificate_expiry'], { 'TID-A': 'accept', 'TID-E': 'filter' }, ids),
    { application_status: 'accept', certificate_expiry: 'reject' });
  assert.deepEqual(subscribe.configuredKeys('booking_made', ids), [], 'unconfigured templates are not asked for');

  let reported = null;
  const wx = freshWx({ handler: routes({ 'POST /me/subscriptions': (req) => { reported = json(req); return { statusCode: 200, data: {} }; } }) });
  wx.subscribeResult = { 'TID-A': 'accept', 'TID-E': 'ban' };
  const out = await subscribe.offerAfterSubmit('certificate_submitted', '申请已提交', ids);
  assert.deepEqual(reported, { results: { application_status: 'accept', certificate_expiry: 'ban' } });
  assert.deepEqual(out, reported.results);
  assert.deepEqual(wx.calls.find((c) => c[0] === 'requestSubscribeMessage')[1], ['TID-A', 'TID-E']);

  wx.modalConfirm = false;
  reported = null;
  assert.deepEqual(await subscribe.offerAfterSubmit('certificate_submitted', '申请已提交', ids), {});
  assert.equal(reported, null, 'saying no in the modal asks nothing and reports nothing');
});

test('applications: resubmit after a return, with the reason staff gave; subsidy withdraw until a decision', () => {
  const returned = { status: 'returned', history: [{ from: 'street_review', to: 'returned', reason: '缺少低保证明' }] };
  assert.deepEqual(cert.applicantActions('subsidy', returned), { canWithdraw: true, canResubmit: true, returnReason: '缺少低保证明' });
  assert.deepEqual(cert.applicantActions('subsidy', { status: 'approved', history: returned.history }), { canWithdraw: false, canResubmit: false, returnReason: '' });
  assert.equal(cert.applicantActions('subsidy', { status: 'county_review' }).canWithdraw, true);
  const capp = { status: 'returned_for_correction', available_actions: ['resubmit', 'withdraw'], history: [{ to: 'returned_for_correction', reason: '照片不清楚' }] };
  assert.deepEqual(cert.applicantActions('certificate', capp), { canWithdraw: true, canResubmit: true, returnReason: '照片不清楚' });
  // the service's list decides for certificates (staff may see none for this citizen)
  assert.equal(cert.applicantActions('certificate', Object.assign({}, capp, { available_actions: [] })).canResubmit, false);
});

test('messages: said whether WeChat delivered it and why not; the page it opens', () => {
  const messages = require('../../logic/messages');
  const rows = messages.messageRows([
    { id: 'n1', status: 'sent', data: { title: '残疾人证新办', status: '已发证', note: '电子证照已可出示' }, page: 'pages/cert-card/index', created_at: '2025-03-01T02:00:00+00:00' },
    { id: 'n2', status: 'skipped', reason: 'no_consent', data: { title: '补贴发放' }, page: null, created_at: '2025-03-01T03:00:00+00:00' },
    { id: 'n3', status: 'dead', data: {}, created_at: '2025-03-01T03:00:00+00:00' }
  ]);
  assert.deepEqual(rows.map((r) => [r.title, r.delivery, r.delivered, r.hasPage]), [
    ['残疾人证新办', '已推送到微信', true, true],
    ['补贴发放', '没有推送到微信：您没有订阅这类消息', false, false],
    ['消息', '没能推送到微信', false, false]]);
  assert.equal(rows[0].when, '2025年3月1日 10:00');
  assert.equal(messages.target(''), null);
});

test('help request: cancel until done, rate once after completion, complain once assigned', () => {
  const open = vol.helpRequestView({ status: 'offering', skill: 'escort', when: '2025-03-02T02:00:00Z' });
  assert.deepEqual([open.canCancel, open.canRate, open.canComplain, open.volunteerName], [true, false, false, '']);
  const going = vol.helpRequestView({ status: 'accepted', skill: 'escort', accepted_at: '2025-03-01T02:00:00Z', on_the_way_at: '2025-03-02T01:30:00Z', volunteer: { name_masked: '李*', phone: '13800000000' } });
  assert.deepEqual([going.canCancel, going.canComplain, going.onTheWay, going.volunteerPhone], [true, true, '志愿者已出发（2025年3月2日 09:30）', '13800000000']);
  const done = vol.helpRequestView({ status: 'completed', skill: 'escort', credited_minutes: 80, accepted_at: 'x', volunteer: { name_masked: '李*' }, ratings: { by_citizen: null, by_volunteer: null } });
  assert.deepEqual([done.canCancel, done.canRate, done.rated, done.credited], [false, true, '', '服务了80分钟']);
  const rated = vol.helpRequestView({ status: 'completed', ratings: { by_citizen: { stars: 4 } } });
  assert.deepEqual([rated.canRate, rated.rated], [false, '您的评价：★★★★']);
  const task = vol.taskRow({ id: 't1', status: 'accepted', skill: 'escort' });
  assert.equal(task.canSetOut, true);
  assert.equal(vol.taskRow({ id: 't1', status: 'accepted', on_the_way_at: '2025-03-02T01:30:00Z' }).canSetOut, false);
});

test('rehab: a completed session is rated once; waitlist entries say whether a place is offered', () => {
  assert.equal(rehab.bookingRow({ id: 'b', status: 'completed' }, NOW).canRate, true);
  assert.deepEqual([rehab.bookingRow({ id: 'b', status: 'completed', rating: 5 }, NOW).canRate, rehab.bookingRow({ id: 'b', status: 'completed', rating: 5 }, NOW).rated], [false, '您的评价：★★★★★']);
  assert.equal(rehab.bookingRow({ id: 'b', status: 'confirmed' }, NOW).canRate, false);
  const waiting = rehab.waitlistRow({ id: 'w1', status: 'waiting', service: 'speech_training', date: '2025-03-04' });
  assert.deepEqual([waiting.title, waiting.day, waiting.status], ['言语训练', '2025-03-04', '排队中，有空位会通知您']);
  const offered = rehab.waitlistRow({ id: 'w1', status: 'offered', offer_booking_id: 'b9', service: 'speech_training', offer_expires_at: '2025-03-01T04:00:00Z' });
  assert.equal(offered.status, '有空位了，请在2025年3月1日 12:00前确认');
});

test('subsidy policies for someone not yet bound: amounts per grade and per period', () => {
  assert.deepEqual(subsidy.policyRows([
    { code: 'nursing_allowance', kind: 'monthly', amounts_fen: { by_grade: { 1: 10000, 2: 8000 } }, application_required: true },
    { code: 'home_modification', kind: 'one_off', amounts_fen: { default: 1200000 }, application_required: false }
  ]).map((p) => [p.name, p.amount, p.applyNeeded]), [
    ['重度残疾人护理补贴', '一级每月100元，二级每月80元', '需要申请'],
    ['家庭无障碍改造', '一次性12000元', '符合条件自动发放']]);
});
