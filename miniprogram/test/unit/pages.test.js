const test = require('node:test');
const assert = require('node:assert/strict');
const { freshWx, routes, json } = require('../helpers/fresh');
const { loadPage, tap, installApp } = require('../helpers/page-harness');
const state = require('../../utils/state');
const api = require('../../utils/api');

const ME = {
  account: { id: 'acc1', identity_bound: true },
  person: { id: 'p1', name_masked: '张*', residence_region: '500113' },
  wards: [{ person_id: 'w1', name_masked: '张**', relationship: 'parent' }]
};

function signedIn(table, opts) {
  const wx = freshWx(Object.assign({ handler: routes(table) }, opts));
  api.setRetryDelays([1, 1]);
  api.saveLogin({ access_token: 'T', refresh_token: 'R', expires_in: 3600 });
  state.setMe(ME);
  installApp();
  return wx;
}

test('sign-in: wx.login code goes to /auth/wechat-login, tokens are stored, /me fills the person switcher', async () => {
  const wx = freshWx({ loginCode: 'dev:alice', handler: routes({
    'POST /auth/wechat-login': (req) => {
      assert.deepEqual(json(req), { code: 'dev:alice' });
      return { statusCode: 200, data: { access_token: 'T1', refresh_token: 'R1', expires_in: 7200, account: { id: 'acc1', identity_bound: true } } };
    },
    'GET /me': (req) => ({ statusCode: 200, data: Object.assign({ seen: req.header.Authorization }, ME) })
  }) });
  const auth = require('../../utils/auth');
  const me = await auth.ensureSession();
  assert.equal(me.seen, 'Bearer T1');
  assert.equal(wx.getStorageSync('auth_tokens').refreshToken, 'R1');
  assert.deepEqual(state.state.people.map((p) => [p.personId, p.isSelf]), [['p1', true], ['w1', false]]);
  assert.equal(state.actingPerson().personId, 'p1');
});

test('sign-in: in develop a stored stand-in login name replaces the wx.login code; never in release', async () => {
  const auth = require('../../utils/auth');
  const env = require('../../config/env');
  const codes = [];
  const table = {
    'POST /auth/wechat-login': (req) => { codes.push(json(req).code); return { statusCode: 200, data: { access_token: 'T', refresh_token: 'R', expires_in: 900, account: { id: 'a', identity_bound: true } } }; }
  };
  const wx = freshWx({ loginCode: 'real-wechat-code', handler: routes(table) });
  wx.setStorageSync(env.DEV_LOGIN_KEY, 'zhangsan');
  await auth.login();
  await auth.login();
  assert.match(codes[0], /^dev:zhangsan#\w+$/);
  assert.notEqual(codes[0], codes[1], 'each code is new (the stand-in takes a code once)');
  assert.equal(wx.calls.some((c) => c[0] === 'login'), false);

  const release = freshWx({ loginCode: 'real-wechat-code', envVersion: 'release', handler: routes(table) });
  release.setStorageSync(env.DEV_LOGIN_KEY, 'zhangsan');
  await auth.login();
  assert.equal(codes[2], 'real-wechat-code');
});

test('home: shows the person file and confirms a suggestion with one tap', async () => {
  let confirmed = null;
  const wx = signedIn({
    'GET /people/p1/file': {
      person: { id: 'p1', residence_region: '500113' },
      certificate: { current: { status: 'valid', category: 4, grade: 1, number: '50011319800101123X41', number_masked: false }, applications: [] },
      subsidy: { suggestions: [{ id: 'ssug_1', policy_code: 'nursing_allowance' }], applications: [], entitlements: [], payments: [] },
      rehab: { bookings: [], waitlist: [] },
      volunteer: { requests: [] }
    },
    'POST /people/p1/subsidy/suggestions/ssug_1/confirm': (req) => { confirmed = json(req); return { statusCode: 201, data: { id: 'sapp_1', status: 'street_review' } }; }
  });
  const page = loadPage('home');
  await page.onLoad({});
  assert.equal(page.data.certificate.category, '肢体残疾');
  assert.equal(page.data.certificate.number, '50011319800101123X41');
  assert.equal(page.data.todos[0].kind, 'suggestion');
  await page.confirmSuggestion(tap({ policy: 'nursing_allowance', suggestion: page.data.todos[0].suggestionId }));
  assert.deepEqual(confirmed, { residence_region: '500113' });
  assert.ok(wx.requests.some((r) => r.url.endsWith('/suggestions/ssug_1/confirm') && r.header['Idempotency-Key']));
  assert.equal(page.data.errorText, '');
});

test('guardian mode: switching to a ward reloads the page for the ward', async () => {
  const empty = { certificate: { current: null, applications: [] }, subsidy: { suggestions: [], applications: [] } };
  signedIn({
    'GET /people/p1/file': empty,
    'GET /people/w1/file': Object.assign({}, empty, { certificate: { current: null, applications: [{ id: 'wa', type: 'new', status: 'submitted' }] } })
  });
  const page = loadPage('home');
  await page.onLoad({});
  assert.equal(page.data.todos.length, 0);
  assert.equal(page.data.acting.isSelf, true);
  state.setActingPerson('w1');
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(page.data.acting.personId, 'w1');
  assert.equal(page.data.acting.isSelf, false);
  assert.equal(page.data.todos[0].id, 'wa');
  page.onUnload();
});

test('home: no bound person yet → asks for real-name binding, makes no file request', async () => {
  const wx = signedIn({});
  state.setMe({ account: { id: 'a', identity_bound: false }, person: null, wards: [] });
  const page = loadPage('home');
  await page.onLoad({});
  assert.equal(page.data.needsIdentity, true);
  assert.equal(wx.requests.length, 0);
});

test('certificate apply: missing fields are said in words and nothing is sent', async () => {
  const wx = signedIn({});
  const page = loadPage('cert-apply');
  page.onLoad({ type: 'replacement' });
  assert.equal(page.data.needsReason, true);
  await page.submit();
  assert.equal(page.data.fieldErrors.residence_region, '请选择居住地');
  assert.equal(page.data.fieldErrors.reason, '请说明办理原因');
  assert.match(page.data.errorText, /请按提示/);
  assert.equal(wx.requests.length, 0);
});

test('certificate apply: a second tap after a network failure reuses the same Idempotency-Key', async () => {
  let down = true;
  const wx = signedIn({
    'POST /certificate/applications': () => (down ? { fail: 'request:fail' } : { statusCode: 201, data: { id: 'c1', status: 'submitted' } })
  });
  const page = loadPage('cert-apply');
  page.onLoad({ type: 'new' });
  page.chooseRegion(tap({ value: '500113' }));
  assert.equal(await page.submit(), null);
  assert.match(page.data.errorText, /网络/);
  down = false;
  const created = await page.submit();
  assert.equal(created.id, 'c1');
  const keys = new Set(wx.requests.map((r) => r.header['Idempotency-Key']));
  assert.equal(wx.requests.length, 4, '3 tries on the first tap, 1 on the second');
  assert.equal(keys.size, 1);
  assert.deepEqual(wx.requests[3].data, { person_id: 'p1', type: 'new', residence_region: '500113' });
  assert.deepEqual(wx.calls.find((c) => c[0] === 'redirectTo'), ['redirectTo', '/pages/application/index?service=certificate&id=c1']);
  assert.notEqual(page.data.idemKey, [...keys][0], 'a new form gets a new key');
});

test('application page: shows status, who acted and the reasons staff gave', async () => {
  signedIn({ 'GET /certificate/applications/c1': { id: 'c1', type: 'new', status: 'returned_for_correction', available_actions: ['resubmit', 'withdraw'], history: [
    { from: null, to: 'submitted', action: 'submit', actor_kind: 'citizen', at: '2025-03-01T00:30:00+00:00' },
    { from: 'submitted', to: 'returned_for_correction', action: 'return', actor_role: 'street_officer', reason: '缺少照片', at: '2025-03-01T01:00:00+00:00' }
  ] } });
  const page = loadPage('application');
  await page.onLoad({ service: 'certificate', id: 'c1' });
  assert.equal(page.data.statusText, '被退回，需要补正材料');
  assert.equal(page.data.rows[1].reason, '缺少照片');
  assert.equal(page.data.rows[1].who, '街道（乡镇）经办人');
  assert.equal(page.data.canWithdraw, true);
});

test('identity: binding keeps the new tokens the answer carries (they list the bound person)', async () => {
  let meCalls = 0;
  const wx = signedIn({
    'POST /me/identity': { account: { id: 'acc1', identity_bound: true }, person: { id: 'p9' }, wards: [], tokens: { access_token: 'T-WITH-PERSON', refresh_token: 'R2', expires_in: 900 } },
    'GET /me': (req) => { meCalls += 1; return { statusCode: 200, data: { seen: req.header.Authorization, account: { id: 'acc1', identity_bound: true }, person: { id: 'p9' }, wards: [] } }; }
  });
  const auth = require('../../utils/auth');
  installApp({ reloadSession: () => auth.ensureSession() });
  const page = loadPage('identity');
  page.onLoad({});
  page.onName({ detail: { value: '张三' } });
  page.onIdNumber({ detail: { value: '11010519491231002X' } });
  assert.equal(await page.submit(), true);
  assert.equal(wx.getStorageSync('auth_tokens').accessToken, 'T-WITH-PERSON');
  assert.equal(meCalls, 1);
  assert.equal(state.actingPerson().personId, 'p9');
});

test('identity: a wrong check character is caught before sending', async () => {
  const wx = signedIn({});
  const page = loadPage('identity');
  page.onLoad({});
  page.onName({ detail: { value: '张三' } });
  page.onIdNumber({ detail: { value: '110105194912310021' } });
  assert.equal(await page.submit(), false);
  assert.match(page.data.fieldErrors.id_number, /最后一位不对/);
  assert.equal(wx.requests.length, 0);
});

test('identity: phone binding sends the getPhoneNumber code; a refusal is explained', async () => {
  let sent = null;
  signedIn({
    'POST /me/phone': (req) => { sent = json(req); return { statusCode: 200, data: { phone_masked: '138****0000' } }; },
    'GET /me': Object.assign({}, ME, { account: Object.assign({}, ME.account, { phone_masked: '138****0000' }) })
  });
  installApp({ reloadSession: () => require('../../utils/auth').ensureSession() });
  const page = loadPage('identity');
  page.onLoad({});
  await page.onPhone({ detail: { errMsg: 'getPhoneNumber:fail user deny' } });
  assert.match(page.data.errorText, /没有获得手机号授权/);
  await page.onPhone({ detail: { code: 'dev-phone:13800000000' } });
  assert.deepEqual(sent, { code: 'dev-phone:13800000000' });
  assert.equal(page.data.phoneMasked, '138****0000');
  assert.equal(state.state.me.account.phone_masked, '138****0000', 'the account in app state is read again');
});

test('certificate card: 404 means no certificate; otherwise the QR image and a consent code', async () => {
  signedIn({
    'GET /people/p1/certificate': { status: 'valid', category: 1, grade: 2, number_masked: '500***' },
    'GET /people/p1/certificate/credential': { token: 't', qr_png_base64: 'iVBORw0KGgo=', expires_at: '2025-03-01T03:00:00Z' },
    'POST /people/p1/certificate/disclosure-codes': { code: '482913', expires_at: '2025-03-01T02:05:00Z' }
  });
  const page = loadPage('cert-card');
  await page.onLoad({});
  assert.equal(page.data.qrSrc, 'data:image/png;base64,iVBORw0KGgo=');
  assert.equal(page.data.card.category, '视力残疾');
  await page.makeCode();
  assert.equal(page.data.code, '482913');

  signedIn({});
  const empty = loadPage('cert-card');
  await empty.onLoad({});
  assert.equal(empty.data.missing, true);
  assert.equal(empty.data.errorText, '');
});

test('rehab slots: SLOT_FULL is said in words and the slots are refreshed', async () => {
  let slotCalls = 0;
  signedIn({
    'GET /rehab/slots': () => { slotCalls += 1; return { statusCode: 200, data: { items: [{ id: 's1', start: '2030-01-01T09:00:00+08:00', available: slotCalls > 1 ? 0 : 1 }] } }; },
    'POST /rehab/bookings': () => ({ statusCode: 409, data: { error: { code: 'SLOT_FULL', message: '这个时段已经约满了', details: {}, request_id: 'r1' } } })
  });
  const page = loadPage('rehab-slots');
  await page.onLoad({ institution_id: 'i1', service: '言语训练', name: '康复中心' });
  assert.equal(page.data.slots[0].full, false);
  assert.equal(await page.book(tap({ id: 's1' })), null);
  assert.match(page.data.errorText, /约满/);
  assert.equal(page.data.slots[0].full, true);
});

test('volunteer desk: TASK_TAKEN is explained; accept and check in/out call the API', async () => {
  const posted = [];
  let taken = true;
  signedIn({
    'GET /volunteers/me': { status: 'active', logged_minutes: 7200, service_hours: { stars: 1, hours: 120, next_stars: 2, minutes_to_next: 10800 } },
    'GET /volunteers/me/offers': { items: [{ id: 'o1', request_id: 'r1', skill: 'escort', when: '2030-01-01T02:00:00Z', duration_minutes: 60, district: '巴南区' }] },
    // a task is the request as the volunteer sees it: its id is request_id
    'GET /volunteers/me/tasks': { items: [{ request_id: 't1', skill: 'escort', status: 'accepted', assigned: true, address: '某路1号' }] },
    'POST /volunteer/offers/o1/accept': () => (taken
      ? { statusCode: 409, data: { error: { code: 'TASK_TAKEN', message: '这个任务已经被其他志愿者接走了', details: {}, request_id: 'r' } } }
      : { statusCode: 200, data: { request_id: 't1', status: 'accepted' } }),
    'POST /volunteer/tasks/t1/check-in': (req) => { posted.push(req.url); return { statusCode: 200, data: {} }; },
    'POST /volunteer/tasks/t1/check-out': (req) => { posted.push(req.url); return { statusCode: 200, data: {} }; }
  });
  const page = loadPage('volunteer-work');
  await page.onShow();
  assert.equal(page.data.profile.stars, '★');
  assert.equal(page.data.profile.hours, 120);
  assert.equal(page.data.profile.next, '再服务180小时可升到2星');
  assert.equal(page.data.tasks[0].id, 't1');
  assert.equal(page.data.offers[0].district, '巴南区');
  await page.accept(tap({ id: 'o1' }));
  assert.match(page.data.errorText, /被其他志愿者接走/);
  taken = false;
  await page.accept(tap({ id: 'o1' }));
  assert.match(page.data.notice, /接单成功/);
  await page.checkIn(tap({ id: 't1' }));
  await page.checkOut(tap({ id: 't1' }));
  assert.equal(posted.length, 2);
});

test('me: whether the account volunteers comes from GET /volunteers/me (404 = not yet)', async () => {
  let registered = false;
  signedIn({
    'GET /volunteers/me': () => (registered
      ? { statusCode: 200, data: { id: 'vol_1', status: 'active' } }
      : { statusCode: 404, data: { error: { code: 'NOT_A_VOLUNTEER', message: '您还没有注册为志愿者', details: {}, request_id: 'r' } } })
  });
  const page = loadPage('me');
  page.onLoad({});
  await page.onShow();
  assert.equal(page.data.isVolunteer, false);
  assert.equal(page.data.errorText, '');
  registered = true;
  await page.onShow();
  assert.equal(page.data.isVolunteer, true);
});

test('display preferences: follow the system font size on first run; classes on the page root', () => {
  freshWx({ fontSizeSetting: 22 });
  assert.equal(state.loadPrefs().largeText, true);
  state.setPref('highContrast', true);
  assert.equal(state.displayClass(), 'large-text high-contrast');
  freshWx({ fontSizeSetting: 16 });
  assert.equal(state.loadPrefs().largeText, false);
});

test('application page: after a return the applicant says what was put right and sends it back', async () => {
  const sent = [];
  let status = 'returned_for_correction';
  signedIn({
    'GET /certificate/applications/c1': () => ({ statusCode: 200, data: { id: 'c1', type: 'new', status, available_actions: status === 'submitted' ? ['withdraw'] : ['resubmit', 'withdraw'], history: [
      { from: 'submitted', to: 'returned_for_correction', action: 'return', actor_role: 'street_officer', reason: '缺少照片' }] } }),
    'POST /certificate/applications/c1/resubmit': (req) => { sent.push(json(req)); status = 'submitted'; return { statusCode: 200, data: { id: 'c1', status } }; }
  });
  const page = loadPage('application');
  await page.onLoad({ service: 'certificate', id: 'c1' });
  assert.equal(page.data.canResubmit, true);
  assert.equal(page.data.returnReason, '缺少照片');
  page.onNote({ detail: { value: ' 已补交照片 ' } });
  assert.equal(await page.resubmit(), true);
  assert.deepEqual(sent, [{ reason: '已补交照片' }]);
  assert.equal(page.data.statusText, '已提交，等待审核');
  assert.equal(page.data.canResubmit, false);
});

test('application page: withdrawing a subsidy application asks first; "不撤回" sends nothing', async () => {
  const sent = [];
  const wx = signedIn({
    'GET /subsidy/applications/s1': { id: 's1', policy_code: 'nursing_allowance', status: 'street_review', current_step: 'street_review', history: [] },
    'POST /subsidy/applications/s1/actions': (req) => { sent.push(json(req)); return { statusCode: 200, data: { id: 's1', status: 'withdrawn' } }; }
  }, { modalConfirm: false });
  const page = loadPage('application');
  await page.onLoad({ service: 'subsidy', id: 's1' });
  assert.deepEqual([page.data.canWithdraw, page.data.canResubmit], [true, false]);
  assert.equal(await page.withdraw(), false);
  assert.deepEqual(sent, []);
  wx.modalConfirm = true;
  assert.equal(await page.withdraw(), true);
  assert.deepEqual(sent, [{ action: 'withdraw' }]);
  assert.ok(wx.calls.some((c) => c[0] === 'showModal' && c[1] === '撤回申请'));
});

test('help status: rate the volunteer once done; a complaint needs words and is sent once', async () => {
  const sent = [];
  signedIn({
    'GET /volunteer/requests/r1': { id: 'r1', status: 'completed', skill: 'escort', accepted_at: '2025-03-01T02:00:00Z', volunteer: { name_masked: '李*' }, ratings: { by_citizen: null } },
    'POST /volunteer/tasks/r1/rate': (req) => { sent.push(['rate', json(req)]); return { statusCode: 200, data: {} }; },
    'POST /volunteer/tasks/r1/complain': (req) => { sent.push(['complain', json(req)]); return { statusCode: 201, data: { id: 'cp1' } }; }
  });
  const page = loadPage('help-status');
  await page.onLoad({ id: 'r1' });
  assert.deepEqual([page.data.request.canRate, page.data.request.canComplain, page.data.request.canCancel], [true, true, false]);
  assert.equal(await page.rate(tap({ stars: '4' })), true);
  page.onComplaint({ detail: { value: '太短' } });
  assert.equal(await page.complain(), false);
  assert.match(page.data.fieldErrors.reason, /至少5个字/);
  page.onComplaint({ detail: { value: '志愿者迟到了一个小时' } });
  assert.equal(await page.complain(), true);
  assert.equal(page.data.complaintSent, true);
  assert.deepEqual(sent, [['rate', { stars: 4 }], ['complain', { reason: '志愿者迟到了一个小时' }]]);
});

test('messages: the record lists every notice; a tab page opens with switchTab, others with navigateTo', async () => {
  const wx = signedIn({ 'GET /me/notifications': { items: [
    { id: 'n1', status: 'sent', template: 'application_status', data: { title: '补贴申请', status: '已退回' }, page: 'pages/application/index?service=subsidy&id=s1', created_at: '2025-03-01T02:00:00+00:00' },
    { id: 'n2', status: 'skipped', reason: 'no_consent', template: 'payment', data: { title: '补贴发放' }, page: 'pages/home/index', created_at: '2025-03-01T02:00:00+00:00' }
  ] } });
  const page = loadPage('messages');
  page.onLoad({});
  await page.onShow();
  assert.deepEqual(page.data.messages.map((m) => m.delivery), ['已推送到微信', '没有推送到微信：您没有订阅这类消息']);
  page.open(tap({ page: page.data.messages[0].page }));
  page.open(tap({ page: page.data.messages[1].page }));
  assert.deepEqual(wx.calls.filter((c) => c[0] === 'navigateTo' || c[0] === 'switchTab'), [
    ['navigateTo', '/pages/application/index?service=subsidy&id=s1'], ['switchTab', '/pages/home/index']]);
});

test('subsidy page before real-name binding: the region\'s public policies, no personal request', async () => {
  const wx = signedIn({ 'GET /subsidy/policies': (req, url) => ({ statusCode: 200, data: { region: url.searchParams.get('region'), items: [
    { code: 'nursing_allowance', kind: 'monthly', amounts_fen: { default: 10000 }, application_required: true }] } }) });
  state.setMe({ account: { id: 'acc1', identity_bound: false }, person: null, wards: [] });
  const page = loadPage('subsidy');
  await page.onLoad({});
  assert.equal(page.data.needsIdentity, true);
  assert.deepEqual(page.data.policies, [], 'no region chosen yet');
  await page.chooseRegion(tap({ value: '500113' }));
  assert.deepEqual(page.data.policies.map((p) => [p.name, p.amount]), [['重度残疾人护理补贴', '每月100元']]);
  assert.deepEqual(wx.requests.map((r) => new URL(r.url).pathname), ['/api/v1/subsidy/policies']);
});

test('my bookings opened from a reminder: that booking first, even a ward\'s; leaving the waitlist asks first', async () => {
  const sent = [];
  const wx = signedIn({
    'GET /people/p1/rehab/bookings': { items: [{ id: 'b1', status: 'confirmed', service: 'speech_training', start: '2099-03-03T09:00:00+08:00' }] },
    'GET /people/p1/file': { person: { id: 'p1' }, rehab: { bookings: [], waitlist: [{ id: 'w1', status: 'waiting', service: 'movement_therapy', date: '2099-03-05' }] } },
    'GET /rehab/bookings/b7': { id: 'b7', person_id: 'w1', status: 'completed', service: 'movement_therapy', start: '2025-03-01T09:00:00+08:00' },
    'POST /rehab/bookings/b7/rate': (req) => { sent.push(json(req)); return { statusCode: 200, data: {} }; },
    'POST /rehab/waitlist/w1/withdraw': (req) => { sent.push('withdraw w1'); return { statusCode: 200, data: { id: 'w1', status: 'withdrawn' } }; }
  });
  const page = loadPage('rehab-bookings');
  page.onLoad({ id: 'b7' });
  await page.onShow();
  assert.deepEqual(page.data.bookings.map((b) => [b.id, b.focused, b.canRate]), [['b7', true, true], ['b1', false, false]]);
  assert.deepEqual(page.data.waitlist.map((w) => [w.id, w.status]), [['w1', '排队中，有空位会通知您']]);
  await page.rate(tap({ id: 'b7', stars: 5 }));
  wx.modalConfirm = false;
  await page.leaveWaitlist(tap({ id: 'w1' }));
  wx.modalConfirm = true;
  await page.leaveWaitlist(tap({ id: 'w1' }));
  assert.deepEqual(sent, [{ rating: 5 }, 'withdraw w1']);
});

test('subsidy page: the payment account goes with the application; a wrong one is said in words and nothing is sent', async () => {
  const sent = [];
  signedIn({
    'GET /people/p1/subsidy/eligibility': { items: [{ policy_code: 'living_allowance', eligible: true, reasons: [] }] },
    'GET /people/p1/subsidy/suggestions': { items: [] },
    'GET /people/p1/subsidy/entitlements': { items: [] },
    'GET /people/p1/subsidy/payments': { items: [] },
    'POST /subsidy/applications': (req) => { sent.push(json(req)); return { statusCode: 201, data: { id: 's9', status: 'street_review' } }; }
  });
  const page = loadPage('subsidy');
  await page.onLoad({});
  page.onBankAccount({ detail: { value: '6222 02' } });
  assert.equal(await page.apply(tap({ policy: 'living_allowance' })), null);
  assert.match(page.data.fieldErrors.bank_account, /10到30位数字/);
  page.onBankAccount({ detail: { value: '6222 0202 0011 2233' } });
  page.onBankName({ detail: { value: ' 重庆农村商业银行 ' } });
  assert.ok(await page.apply(tap({ policy: 'living_allowance' })));
  assert.deepEqual(sent, [{ person_id: 'p1', policy_code: 'living_allowance', residence_region: '500113', bank_account: '6222020200112233', bank_name: '重庆农村商业银行' }]);
});
