// End-to-end: the mini-program's own API client, page logic and pages against a running gateway.
//
//   GATEWAY_URL=http://127.0.0.1:8000 CLOCK_OFFSET_FILE=../.data/dev/clock_offset npm run test:e2e
//
// Each "phone" is a wx shim (test/helpers/wx-shim.js) whose wx.request does real HTTP; the pages
// run through test/helpers/page-harness.js exactly as WeChat would call them (onLoad, taps).
// Staff act through the same API client with the demo staff logins (<role>.<region>).
// The certificate's public-notice period and the volunteer's check-in window need the stack's
// clock moved: CLOCK_OFFSET_FILE is the file every service process reads its offset from
// (tools/stack.py sets it; services/common/clock.py). The offset found at the start is put back.
//
// Environment: GATEWAY_URL (without it the file is skipped), CLOCK_OFFSET_FILE, E2E_REGION
// (default 500113), DEMO_PASSWORD (default demo12345), E2E_WAIT_MS (polling limit, default 60000).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');

const GATEWAY = (process.env.GATEWAY_URL || '').replace(/\/+$/, '');
if (!GATEWAY) {
  console.log('\n*** e2e journey SKIPPED: set GATEWAY_URL (e.g. GATEWAY_URL=http://127.0.0.1:8000 npm run test:e2e) ***\n');
  test('citizen and volunteer journeys against a gateway', { skip: 'GATEWAY_URL is not set' }, () => {});
  return; // eslint-disable-line no-useless-return
}

const { createWx } = require('./helpers/wx-shim');
const { loadPage, tap, installApp } = require('./helpers/page-harness');
const { decodeQrPng } = require('./helpers/qr-decode');
const api = require('../utils/api');
const { memoryStore } = require('../utils/token-store');
const env = require('../config/env');
const state = require('../utils/state');
const auth = require('../utils/auth');
const account = require('../services/account');
const certificate = require('../services/certificate');
const subsidy = require('../services/subsidy');
const rehab = require('../services/rehab');
const volunteer = require('../services/volunteer');
const idnumber = require('../utils/idnumber');
const format = require('../utils/format');

const BASE = `${GATEWAY}/api/v1`;
const REGION = process.env.E2E_REGION || '500113';
const PASSWORD = process.env.DEMO_PASSWORD || 'demo12345';
const CLOCK_FILE = process.env.CLOCK_OFFSET_FILE || '';
const WAIT_MS = Number(process.env.E2E_WAIT_MS || 60000);
const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const pad = (n, w = 2) => String(n).padStart(w, '0');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const DAY = 86400e3;

// ---- the stack's clock ------------------------------------------------------------------------
function clockOffset() {
  try { return Number(fs.readFileSync(CLOCK_FILE, 'utf8').trim() || 0); } catch (e) { return 0; }
}
const ORIGINAL_OFFSET = CLOCK_FILE ? clockOffset() : 0;
// Like services.common.clock.set_offset: write aside, then rename (processes see a new mtime).
function setClockOffset(seconds) {
  assert.ok(CLOCK_FILE, 'CLOCK_OFFSET_FILE must name the stack clock file (e.g. .data/dev/clock_offset) to move past the notice period');
  fs.writeFileSync(`${CLOCK_FILE}.tmp`, String(seconds));
  fs.renameSync(`${CLOCK_FILE}.tmp`, CLOCK_FILE);
}
// The stack's "now" in ms, and moving it so that it reads `atMs`.
const stackNow = () => Date.now() + clockOffset() * 1000;
function moveClockTo(atMs) { setClockOffset((atMs - Date.now()) / 1000); }
function restoreClock() { if (CLOCK_FILE && clockOffset() !== ORIGINAL_OFFSET) setClockOffset(ORIGINAL_OFFSET); }
test.after(restoreClock);

// ---- people -----------------------------------------------------------------------------------
// A valid GB 11643 number born in the region (mod 11-2 check character computed, not guessed),
// with a random adult birth date so that numbers of different runs do not collide.
function makeIdNumber(birth = new Date(Date.UTC(1960, 0, 1) + Math.floor(Math.random() * 35 * 365) * DAY)) {
  const ymd = `${birth.getUTCFullYear()}${pad(birth.getUTCMonth() + 1)}${pad(birth.getUTCDate())}`;
  return idnumber.make(`${REGION}${ymd}${pad(Math.floor(Math.random() * 1000), 3)}`);
}
function makeName() {
  const given = '明华丽芳伟强军静敏燕杰涛';
  const pick = () => given[Math.floor(Math.random() * given.length)];
  return `测${pick()}${pick()}`;
}

// The place both the help request and the volunteer report, offset per run so that this run's
// volunteer is the nearest to this run's request.
const PLACE = { latitude: 29.38 + Math.random() * 0.01, longitude: 106.54 + Math.random() * 0.01 };

// One phone per person. wx.login gives `dev:<name>` the first time and `dev:<name>#<n>` after
// (the WeChat stand-in takes each code once; the part before # is the same WeChat user).
function phone(name) {
  const wx = createWx({ loginCode: (n) => (n > 1 ? `dev:${name}#${n}` : `dev:${name}`), location: PLACE });
  wx.setStorageSync(env.DEV_OVERRIDE_KEY, BASE); // the develop-only gateway override, as a tester sets it
  return wx;
}

// Pick up a phone: the app's global wx, state and getApp() are this phone's.
async function usePhone(wx) {
  global.wx = wx;
  state.reset();
  installApp({ reloadSession: () => auth.ensureSession() });
  return auth.ensureSession();
}

// Staff use the same client, with tokens in memory; when even the refresh is refused (the clock
// moved by more than the refresh token's life) they log in again. One session per role (logins
// are rate limited per address).
const staffSessions = {};
function staff(role) {
  if (!staffSessions[role]) staffSessions[role] = staffLogin(role).catch((err) => { delete staffSessions[role]; throw err; });
  return staffSessions[role];
}
async function staffLogin(role) {
  const wx = createWx({});
  const username = `${role}.${REGION}`;
  const client = api.createClient({ getWx: () => wx, tokenStore: memoryStore(), baseUrl: BASE, retryDelaysMs: [500, 1500] });
  const login = async () => {
    const body = await client.post('/auth/staff-login', { username, password: PASSWORD }, { auth: false });
    client.saveLogin(body);
    return body;
  };
  client.setRelogin(() => login().then(() => true));
  const body = await login();
  assert.ok(body.access_token, `staff login ${username}`);
  assert.deepEqual(body.staff.roles, [role]);
  return { client, staff: body.staff };
}

// Public calls (a verifier scanning a QR code has no login).
async function publicGet(path) {
  const res = await fetch(BASE + path);
  const body = await res.json();
  return { status: res.status, body };
}

// Eventually consistent reads (work another service does on an event): ask until `fn` gives
// something truthy. The last error or value is in the failure message.
async function waitFor(what, fn, { timeoutMs = WAIT_MS, everyMs = 1000 } = {}) {
  const until = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? `${last.code || ''} ${last.message}` : JSON.stringify(last)})`);
    await sleep(everyMs);
  }
}

function noError(page, what) {
  assert.equal(page.data.errorText, '', `${what}: the page says "${page.data.errorText}"`);
}

async function bindIdentity(name, idNumber) {
  const before = global.wx.getStorageSync('auth_tokens').accessToken;
  const page = loadPage('identity');
  page.onLoad({});
  page.onName({ detail: { value: name } });
  page.onIdNumber({ detail: { value: idNumber } });
  const ok = await page.submit();
  noError(page, 'real-name binding');
  assert.equal(ok, true);
  assert.equal(page.data.done, true);
  assert.notEqual(global.wx.getStorageSync('auth_tokens').accessToken, before, 'the tokens binding returned are kept');
  const person = state.actingPerson();
  assert.ok(person && person.isSelf, 'after binding, /me has the person and the app acts for them');
  assert.equal(state.state.me.person.id_number_masked.slice(0, 3), idNumber.slice(0, 3));
  assert.equal(state.state.me.person.residence_region, REGION);
  return person.personId;
}

// The citizen asks for an hour's escort through the help-ask page, on the page's day `dayIndex`
// at `time`; the same address each time (it must stay hidden until a volunteer accepts).
async function askForEscort(dayIndex, time) {
  const page = loadPage('help-ask');
  page.onLoad({});
  page.pick(tap({ field: 'skill', value: 'escort' }));
  page.pick(tap({ field: 'day', value: page.data.days[dayIndex].value }));
  page.pick(tap({ field: 'time', value: time }));
  page.pick(tap({ field: 'durationMinutes', value: 60 }));
  page.onAddress({ detail: { value: '巴南区测试路1号3单元' } });
  const created = await page.submit();
  noError(page, 'help request');
  return { page, created };
}

// Steps of a journey depend on each other: after the first failure the rest are skipped, so the
// report shows the real cause once instead of a cascade (and the test still fails).
function stepper(t) {
  let failed = '';
  return (name, fn) => t.test(name, { skip: failed ? `skipped: "${failed}" failed` : false }, async () => {
    try { await fn(); } catch (err) { failed = name; throw err; }
  });
}

api.setRetryDelays([500, 1500]);
const shared = {};

test('citizen journey: login, real name, certificate to issued, QR, subsidy suggestion, rehab booking', { timeout: 600000 }, async (t) => {
  const citizen = phone(`mp-citizen-${RUN}`);
  shared.citizen = citizen;
  shared.name = makeName();
  shared.idNumber = makeIdNumber();
  const step = stepper(t);

  await step('log in with wx.login and bind a real name', async () => {
    const me = await usePhone(citizen);
    assert.ok(citizen.getStorageSync('auth_tokens').accessToken, 'tokens stored');
    assert.ok(me.account && me.account.id, '/me has the account');
    assert.equal(me.account.identity_bound, false);
    assert.equal(me.person, null);
    shared.personId = await bindIdentity(shared.name, shared.idNumber);
    assert.equal(state.state.me.account.identity_bound, true);
  });

  await step('report subscribe-message consent', async () => {
    await account.reportSubscriptions({ application_status: 'accept', appointment_reminder: 'reject' });
  });

  await step('apply for a new certificate through the page', async () => {
    const page = loadPage('cert-apply');
    page.onLoad({ type: 'new' });
    page.chooseRegion(tap({ value: REGION }));
    page.chooseCategory(tap({ value: '4' }));
    const created = await page.submit();
    noError(page, 'certificate application');
    assert.ok(created && created.id, 'the application was created');
    assert.equal(created.status, 'submitted');
    assert.equal(created.claimed_category, 4);
    assert.equal(created.handling_region, REGION);
    assert.deepEqual(citizen.calls.find((c) => c[0] === 'redirectTo'), ['redirectTo', `/pages/application/index?service=certificate&id=${created.id}`]);
    shared.applicationId = created.id;
  });

  await step('staff take it through accept → assessment → approve (public notice) → issue', async () => {
    const street = await staff('street_officer');
    const dpf = await staff('county_dpf');
    const assessor = await staff('assessor');
    assert.ok(assessor.staff.id, 'staff-login returns staff.id (the assessor_id)');
    const act = async (who, action, extra = {}) => who.client.post(`/admin/certificate/applications/${shared.applicationId}/actions`, Object.assign({ action }, extra));
    assert.equal((await act(street, 'accept')).status, 'materials_accepted');
    const when = new Date(stackNow() + 2 * DAY).toISOString();
    assert.equal((await act(dpf, 'schedule_assessment', { assessor_id: assessor.staff.id, scheduled_at: when })).status, 'assessment_scheduled');
    assert.equal((await act(assessor, 'record_assessment', { category: 4, grade: 1 })).status, 'assessed');
    const noticed = await act(dpf, 'approve');
    assert.equal(noticed.status, 'public_notice');

    // issuing before the notice period ends is refused; nine days on (5 working days never
    // span more than 8) it goes through. Every token expires on the moved clock: the client
    // refreshes on the 401 by itself.
    await assert.rejects(act(dpf, 'issue'), (err) => err.status === 409 || err.status === 422);
    const back = clockOffset();
    setClockOffset(back + 9 * 86400);
    try {
      const issued = await act(dpf, 'issue');
      assert.equal(issued.status, 'issued');
      assert.ok(issued.issued_certificate_id, 'the issued certificate id');
      shared.certificateId = issued.issued_certificate_id;
    } finally {
      setClockOffset(back);
    }
  });

  await step('the citizen follows it on the application page: issued, every step with who acted', async () => {
    const page = loadPage('application');
    await page.onLoad({ service: 'certificate', id: shared.applicationId });
    noError(page, 'application page');
    assert.equal(page.data.title, '新办残疾人证');
    assert.equal(page.data.statusText, '已发证');
    assert.deepEqual(page.data.rows.map((r) => r.text), [
      '提交申请 → 已提交，等待审核', '已提交，等待审核 → 街道已受理材料', '街道已受理材料 → 已安排评残',
      '已安排评残 → 评残已完成', '评残已完成 → 公示中', '公示中 → 已发证']);
    assert.deepEqual(page.data.rows.slice(1).map((r) => r.who), ['街道（乡镇）经办人', '县级残联', '评残医生', '县级残联', '县级残联']);
    assert.equal(page.data.canWithdraw, false);
  });

  await step('show the electronic certificate: the QR code scans to a credential the public verify route accepts', async () => {
    const cert = await certificate.current(shared.personId);
    assert.equal(cert.id, shared.certificateId);
    assert.equal(cert.status, 'valid');
    assert.equal(cert.number_masked, false, 'the holder sees the full number');
    assert.ok(cert.number.startsWith(shared.idNumber), `the certificate number ${cert.number} holds the ID number`);
    shared.certificateNumber = cert.number;

    const page = loadPage('cert-card');
    await page.onLoad({});
    noError(page, 'certificate card');
    assert.equal(page.data.missing, false);
    assert.equal(page.data.card.number, cert.number);
    assert.equal(page.data.card.category, '肢体残疾');
    assert.equal(page.data.card.grade, '一级');
    assert.equal(page.data.card.statusText, '有效');
    assert.match(page.data.qrSrc, /^data:image\/png;base64,/);
    assert.ok(page.data.qrExpires, 'the QR says until when it is valid');

    // what a verifier's scanner reads from the image the page shows
    const scanned = decodeQrPng(page.data.qrSrc).text;
    assert.ok(scanned.length > 40, `a signed credential in the QR (${scanned.slice(0, 30)}...)`);
    const verdict = await publicGet(`/verify/${encodeURIComponent(scanned)}`);
    assert.equal(verdict.status, 200, JSON.stringify(verdict.body));
    assert.equal(verdict.body.status, 'valid');
    assert.equal(verdict.body.holder_name_masked, shared.name[0] + '*'.repeat(shared.name.length - 1));
    assert.equal(verdict.body.details, undefined, 'no details without the holder\'s consent');

    // a one-time consent code shows the verifier the full details, once
    await page.makeCode();
    noError(page, 'consent code');
    assert.match(page.data.code, /^\w{4,}$/);
    const full = await publicGet(`/verify/${encodeURIComponent(scanned)}?code=${encodeURIComponent(page.data.code)}`);
    assert.equal(full.status, 200, JSON.stringify(full.body));
    assert.equal(full.body.details.certificate_number, cert.number);
    assert.equal(full.body.details.holder_name, shared.name);
    const again = await publicGet(`/verify/${encodeURIComponent(scanned)}?code=${encodeURIComponent(page.data.code)}`);
    assert.ok(again.status >= 400, 'the consent code works once');

    // a tampered credential does not verify
    const tampered = scanned.slice(0, -3) + (scanned.endsWith('AAA') ? 'BBB' : 'AAA');
    const bad = await publicGet(`/verify/${encodeURIComponent(tampered)}`);
    assert.equal(bad.body.status, 'invalid');
  });

  await step('a subsidy suggestion appears on the home page and is confirmed with one tap', async () => {
    const page = loadPage('home');
    // discovery runs on the certificate's "issued" event: pull to refresh until it shows
    const todo = await waitFor('a nursing allowance suggestion on the home page', async () => {
      await page.load();
      noError(page, 'home page');
      return page.data.todos.find((x) => x.kind === 'suggestion' && x.policyCode === 'nursing_allowance');
    });
    assert.equal(page.data.needsIdentity, false);
    assert.equal(page.data.certificate.number, shared.certificateNumber);
    assert.equal(page.data.residenceRegion, REGION);
    assert.match(todo.title, /重度残疾人护理补贴/);
    assert.ok(todo.suggestionId, 'the suggestion id is on the to-do');

    await page.confirmSuggestion(tap({ policy: todo.policyCode, suggestion: todo.suggestionId }));
    noError(page, 'one-tap confirm');
    assert.equal(page.data.todos.some((x) => x.kind === 'suggestion' && x.policyCode === 'nursing_allowance'), false, 'the suggestion is gone');
    const pending = page.data.todos.find((x) => x.kind === 'application' && x.service === 'subsidy');
    assert.ok(pending, 'the subsidy application is on the to-do list');
    assert.match(pending.detail, /街道初审中/);
    shared.subsidyApplicationId = pending.id;

    const file = await account.personFile(shared.personId);
    const app = file.subsidy.applications.find((a) => a.id === shared.subsidyApplicationId);
    assert.equal(app.policy_code, 'nursing_allowance');
    assert.equal(app.source, 'suggestion');
    assert.equal(app.status, 'street_review');
    assert.equal(file.subsidy.suggestions.some((s) => s.policy_code === 'nursing_allowance'), false);

    const sub = loadPage('subsidy');
    await sub.onLoad({});
    noError(sub, 'subsidy page');
    const row = sub.data.eligibility.find((e) => e.policyCode === 'nursing_allowance');
    assert.equal(row && row.eligible, true, 'the subsidy page says the person qualifies');
    assert.equal(row.amount, '每月100元');

    const detail = loadPage('application');
    await detail.onLoad({ service: 'subsidy', id: shared.subsidyApplicationId });
    noError(detail, 'subsidy application page');
    assert.equal(detail.data.title, '重度残疾人护理补贴');
    assert.equal(detail.data.statusText, '街道初审中');
  });

  await step('book a rehab slot, confirm it, then cancel it', async () => {
    // an institution of this run with one slot two days ahead (staff console's routes)
    const county = await staff('county_dpf');
    const inst = await county.client.post('/admin/rehab/institutions', {
      name: `小程序测试康复中心${RUN}`.slice(0, 30), region: REGION, address: '巴南区测试路8号',
      location: { lat: PLACE.latitude, lng: PLACE.longitude }, services: ['movement_therapy', 'speech_training', 'needs_assessment'],
      opening_hours: Object.fromEntries([1, 2, 3, 4, 5, 6, 7].map((d) => [String(d), [['07:00', '20:00']]])),
      accessibility: { step_free: true, accessible_toilet: true, lift: false }
    });
    const day = format.dayString(new Date(stackNow() + 2 * DAY));
    const weekday = new Date(`${day}T12:00:00+08:00`).getUTCDay() || 7;
    const schedule = await county.client.post('/admin/rehab/schedules', {
      institution_id: inst.id, from: day, to: day,
      templates: [{ service: 'movement_therapy', weekday, start: '10:00', duration_minutes: 60, capacity: 2 }]
    });
    assert.equal(schedule.slot_ids.length, 1);
    const slotId = schedule.slot_ids[0];
    shared.institution = { id: inst.id, name: inst.name };

    const search = loadPage('rehab-search');
    search.onLoad({});
    assert.equal(search.data.region, REGION, 'the region defaults to where the person lives');
    search.chooseService(tap({ value: 'movement_therapy' }));
    await search.search();
    noError(search, 'institution search');
    const found = search.data.institutions.find((i) => i.id === inst.id);
    assert.ok(found, 'the designated institution is found by service and region');
    assert.match(found.services, /运动疗法/);
    assert.equal(found.accessibility, '无台阶或坡道通行、无障碍卫生间');

    const page = loadPage('rehab-slots');
    await page.onLoad({ institution_id: inst.id, service: 'movement_therapy', name: found.name });
    noError(page, 'slots page');
    const slot = page.data.slots.find((s) => s.id === slotId);
    assert.ok(slot, 'the slot is listed for the coming week');
    assert.equal(slot.free, 2);
    assert.match(slot.label, /运动疗法，还剩2个名额/);

    // rehab learns of the certificate from its "issued" event: a booking made before that
    // is refused, so tap again until it is accepted
    const booking = await waitFor('rehab to accept the booking', async () => {
      const b = await page.book(tap({ id: slotId }));
      if (!b) throw new Error(page.data.errorText); // the page's sentence goes into the timeout message
      return b;
    }, { everyMs: 2000 });
    noError(page, 'booking');
    assert.equal(booking.status, 'held');
    assert.equal(booking.slot_id, slotId);
    assert.equal(page.data.booked.canConfirm, true);
    await page.confirm();
    noError(page, 'confirm booking');
    assert.equal(page.data.booked.statusCode, 'confirmed');

    const mine = loadPage('rehab-bookings');
    mine.onLoad({});
    await mine.onShow();
    noError(mine, 'my bookings');
    const row = mine.data.bookings.find((b) => b.id === booking.id);
    assert.ok(row, 'the booking is listed');
    assert.equal(row.status, '已确认');
    assert.match(row.title, /运动疗法/);
    assert.equal(row.canCancel, true);
    await mine.cancel(tap({ id: booking.id }));
    noError(mine, 'cancel');
    assert.ok(citizen.calls.some((c) => c[0] === 'showModal' && c[1] === '取消预约'), 'cancelling asks first');
    const after = mine.data.bookings.find((b) => b.id === booking.id);
    assert.equal(after.statusCode, 'cancelled');
    assert.equal(after.status, '已取消');
    assert.equal(after.canCancel, false);
    const fresh = await api.get(`/rehab/bookings/${booking.id}`);
    assert.equal(fresh.status, 'cancelled');
    shared.bookingId = booking.id;
    // the place is free again (the slot's counter is recounted from its seats)
    await waitFor('the cancelled place to be free again', async () => {
      const slots = await rehab.slots({ institution_id: inst.id, from: `${day}T00:00:00+08:00`, to: `${day}T23:59:00+08:00` });
      const s = slots.find((x) => x.id === slotId);
      return s && s.available === 2;
    });
  });
});

test('volunteer journey: register, get verified, see an offer for a help request, accept, check in, check out', { timeout: 480000 }, async (t) => {
  const vol = phone(`mp-volunteer-${RUN}`);
  shared.volunteerPhone = vol;
  const step = stepper(t);
  const citizen = shared.citizen;
  assert.ok(citizen && shared.personId, 'the citizen journey ran first');

  await step('register as a volunteer through the page; a coordinator verifies', async () => {
    await usePhone(vol);
    shared.volunteerName = makeName();
    await bindIdentity(shared.volunteerName, makeIdNumber());
    const mePage = loadPage('me');
    mePage.onLoad({});
    await mePage.onShow();
    noError(mePage, 'me page');
    assert.equal(mePage.data.identityBound, true);
    assert.equal(mePage.data.isVolunteer, false, 'not a volunteer yet: the me page offers to register');
    const page = loadPage('volunteer-register');
    page.onLoad({});
    page.toggleSkill(tap({ value: 'escort' }));
    page.pick(tap({ field: 'region', value: REGION }));
    page.pick(tap({ field: 'start', value: '08:00' }));
    page.pick(tap({ field: 'end', value: '21:00' }));
    const res = await page.submit();
    noError(page, 'volunteer registration');
    assert.ok(res && res.id);
    assert.equal(res.status, 'pending');
    assert.equal(page.data.done.status, '已提交，等待协调员审核');
    shared.volunteerId = res.id;

    const coordinator = await staff('volunteer_coordinator');
    const verified = await coordinator.client.post(`/admin/volunteers/${res.id}/verify`, {});
    assert.equal(verified.status, 'active');
    await mePage.onShow();
    assert.equal(mePage.data.isVolunteer, true, 'now the me page leads to the volunteer desk');
    const me = await volunteer.me();
    assert.equal(me.status, 'active');
    assert.deepEqual(me.skills, ['escort']);
    assert.deepEqual(me.location, { lat: PLACE.latitude, lng: PLACE.longitude });
  });

  await step('the citizen asks for an escort through the page', async () => {
    await usePhone(citizen);
    assert.equal(state.actingPerson().personId, shared.personId);
    const { page, created } = await askForEscort(0, '10:00');
    assert.equal(page.data.form.region, REGION, 'the region defaults to where the person lives');
    assert.ok(created && created.id);
    assert.equal(created.skill, 'escort');
    shared.requestId = created.id;
    shared.when = new Date(created.when).getTime();
    assert.equal(shared.when, new Date(`${page.data.days[0].value}T10:00:00+08:00`).getTime());
  });

  await step('the volunteer sees the offer without the address and accepts it on the page', async () => {
    await usePhone(vol);
    const offer = await waitFor('an offer for the help request', async () => (await volunteer.offers()).find((o) => o.request_id === shared.requestId));
    assert.equal(offer.skill, 'escort');
    assert.equal(offer.address, undefined, 'no address before acceptance');
    assert.equal(offer.contact_phone, undefined, 'no phone before acceptance');

    const page = loadPage('volunteer-work');
    page.onLoad({});
    await page.onShow();
    noError(page, 'volunteer desk');
    assert.equal(page.data.profile.status, '已通过审核，可以接单');
    const card = page.data.offers.find((o) => o.id === offer.id);
    assert.ok(card, 'the offer is on the desk');
    assert.equal(card.title, '陪同出行');
    assert.equal(card.duration, '60分钟');
    assert.equal(JSON.stringify(card).includes('测试路'), false);

    const accepted = await page.accept(tap({ id: offer.id }));
    noError(page, 'accept');
    assert.equal(accepted.status, 'accepted');
    assert.match(page.data.notice, /接单成功/);
    const task = page.data.tasks.find((x) => x.requestId === shared.requestId);
    assert.ok(task, 'the accepted task is listed');
    assert.equal(task.id, shared.requestId);
    assert.equal(task.address, '巴南区测试路1号3单元', 'the address is shown after acceptance');
    assert.equal(task.canCheckIn, true);
    assert.equal(page.data.offers.some((o) => o.id === offer.id), false, 'the offer left the list');
  });

  await step('the citizen sees that a volunteer accepted', async () => {
    await usePhone(citizen);
    const page = loadPage('help-status');
    await page.onLoad({ id: shared.requestId });
    noError(page, 'help status');
    assert.equal(page.data.request.statusText, '志愿者已接单');
    assert.equal(page.data.request.volunteerName, shared.volunteerName[0] + '*'.repeat(shared.volunteerName.length - 1));
  });

  await step('on the day, the volunteer checks in and out; the hours are credited', async () => {
    await usePhone(vol);
    const page = loadPage('volunteer-work');
    page.onLoad({});
    const back = clockOffset();
    try {
      moveClockTo(shared.when - 30 * 60e3); // check-in opens an hour before
      await page.onShow();
      noError(page, 'volunteer desk on the day');
      await page.checkIn(tap({ id: shared.requestId }));
      noError(page, 'check in');
      const during = page.data.tasks.find((x) => x.id === shared.requestId);
      assert.equal(during.statusCode, 'in_progress');
      assert.equal(during.canCheckOut, true);

      moveClockTo(shared.when + 50 * 60e3);
      await page.checkOut(tap({ id: shared.requestId }));
      noError(page, 'check out');
      const done = page.data.tasks.find((x) => x.id === shared.requestId);
      assert.equal(done.statusCode, 'completed');
      assert.equal(done.status, '已完成');
      assert.equal(done.address, '', 'the address is hidden again after the task');
    } finally {
      setClockOffset(back);
    }
    const mine = (await volunteer.tasks()).find((x) => x.request_id === shared.requestId);
    assert.equal(mine.status, 'completed');
    // elapsed whole minutes between the check-in and check-out the service recorded (about 80:
    // the clock read 30 min before and 50 min after the start, plus the seconds each call took)
    const elapsed = Math.floor((new Date(mine.checked_out_at) - new Date(mine.checked_in_at)) / 60e3);
    assert.equal(mine.credited_minutes, elapsed);
    assert.ok(elapsed >= 75 && elapsed <= 85, `about 80 minutes between check-in and check-out (${elapsed})`);
    const me = await volunteer.me();
    assert.equal(me.logged_minutes, mine.credited_minutes);
    assert.equal(me.completed_count, 1);
    assert.equal(page.data.profile.hours, me.service_hours.hours);
  });

  await step('the citizen\'s person file has every section: certificate, subsidy, rehab, volunteer help', async () => {
    await usePhone(citizen);
    const request = await volunteer.request(shared.requestId);
    assert.equal(request.status, 'completed');
    const file = await account.personFile(shared.personId);
    assert.equal(file.person.id, shared.personId);
    assert.equal(file.certificate.current.number, shared.certificateNumber);
    assert.equal(file.certificate.applications.find((a) => a.id === shared.applicationId).status, 'issued');
    assert.ok(file.subsidy.applications.some((a) => a.id === shared.subsidyApplicationId));
    assert.ok(Array.isArray(file.subsidy.entitlements) && Array.isArray(file.subsidy.payments));
    assert.equal(file.rehab.bookings.find((b) => b.id === shared.bookingId).status, 'cancelled');
    assert.equal(file.volunteer.requests.find((r) => r.id === shared.requestId).status, 'completed');

    const home = loadPage('home');
    await home.onLoad({});
    noError(home, 'home page at the end');
    assert.equal(home.data.unavailableText, '');
    assert.equal(home.data.certificate.category, '肢体残疾');
    assert.equal(home.data.todos.some((x) => x.kind === 'help'), false, 'a completed help request is no longer a to-do');
  });
});

// China-time month of the stack's clock, as the subsidy service counts months.
const stackMonth = () => format.dayString(new Date(stackNow())).slice(0, 7);
const APP_PAGES = JSON.parse(fs.readFileSync(require('path').join(__dirname, '..', 'app.json'), 'utf8')).pages;

test('more of the journeys: return and resubmit, entitlement and payment, messages, guardian mode, waitlist, escort and reschedule, set-out, cancel and rating', { timeout: 600000 }, async (t) => {
  const step = stepper(t);
  const citizen = shared.citizen;
  assert.ok(citizen && shared.subsidyApplicationId && shared.institution && shared.requestId, 'the first two journeys ran');

  await step('bind a phone through the getPhoneNumber button; a refusal in WeChat\'s dialog is said in words', async () => {
    await usePhone(citizen);
    const page = loadPage('identity');
    page.onLoad({});
    await page.onPhone({ detail: { errMsg: 'getPhoneNumber:fail user deny' } });
    assert.match(page.data.errorText, /没有获得手机号授权/);
    const phoneNumber = `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    await page.onPhone({ detail: { code: `dev-phone:${phoneNumber}` } });
    noError(page, 'phone binding');
    assert.equal(page.data.phoneMasked, `${phoneNumber.slice(0, 3)}****${phoneNumber.slice(7)}`);
    const me = loadPage('me');
    me.onLoad({});
    await me.onShow();
    assert.equal(me.data.phoneMasked, page.data.phoneMasked, 'the me page shows the masked phone');
  });

  await step('staff return the subsidy application; the citizen reads why and resubmits on the page; approved, it is paid', async () => {
    const street = await staff('street_officer');
    const act = (who, body) => who.client.post(`/admin/subsidy/applications/${shared.subsidyApplicationId}/actions`, body);
    assert.equal((await act(street, { action: 'return', reason: '请补充近期照片' })).status, 'returned');

    const page = loadPage('application');
    await page.onLoad({ service: 'subsidy', id: shared.subsidyApplicationId });
    noError(page, 'returned subsidy application');
    assert.equal(page.data.statusText, '被退回，需要补正材料');
    assert.deepEqual([page.data.canResubmit, page.data.canWithdraw, page.data.returnReason], [true, true, '请补充近期照片']);
    page.onNote({ detail: { value: '已补交照片' } });
    assert.equal(await page.resubmit(), true);
    noError(page, 'resubmit');
    assert.equal(page.data.statusText, '街道初审中');
    assert.equal(page.data.canResubmit, false);
    assert.equal(page.data.rows[page.data.rows.length - 1].reason, '已补交照片', 'the note is in the history');

    for (const [role, next] of [['street_officer', 'county_review'], ['county_dpf', 'civil_affairs_review'], ['civil_affairs', 'approved']]) {
      assert.equal((await act(await staff(role), { action: 'approve' })).status, next);
    }
    const payer = await staff('civil_affairs');
    const run = await payer.client.post('/admin/subsidy/payout-batches', { region: REGION, month: stackMonth() });
    assert.equal(run.id, `pb_${REGION}_${stackMonth()}`);
    assert.ok(run.totals.count >= 1);

    const sub = loadPage('subsidy');
    await sub.onLoad({});
    noError(sub, 'subsidy page');
    const ent = sub.data.entitlements.find((e) => e.name === '重度残疾人护理补贴');
    assert.ok(ent, 'the entitlement is listed');
    assert.equal(ent.status, '正在享受');
    const paid = sub.data.payments.find((p) => p.name === '重度残疾人护理补贴');
    assert.ok(paid, `this month's payment is listed (${JSON.stringify(sub.data.payments)})`);
    assert.deepEqual([paid.month, paid.amount, paid.status], [stackMonth(), '100元', '处理中']);
  });

  await step('the message record lists the notices, each opening a page the app has', async () => {
    const page = loadPage('messages');
    page.onLoad({});
    const rows = await waitFor('the payment notice in the message record', async () => {
      await page.onShow();
      noError(page, 'messages');
      return page.data.messages.some((m) => m.title.includes('补贴')) && page.data.messages;
    });
    assert.ok(rows.some((m) => m.title === '残疾人证新办' && m.status === '已发证'), rows.map((m) => m.title).join('|'));
    for (const m of rows.filter((x) => x.hasPage)) {
      assert.ok(APP_PAGES.includes(m.page.split('?')[0]), `${m.title} opens ${m.page}, a page of the app`);
    }
    const issued = rows.find((m) => m.title === '残疾人证新办' && m.status === '已发证');
    page.open(tap({ page: issued.page }));
    assert.deepEqual(citizen.calls[citizen.calls.length - 1], ['navigateTo', `/pages/application/index?service=certificate&id=${shared.applicationId}`]);
  });

  await step('guardian mode: add a child as a ward, act for her, apply, get it returned, resubmit, withdraw', async () => {
    const wards = loadPage('wards');
    wards.onLoad({});
    wards.onShow();
    const childName = makeName();
    const birth = new Date(stackNow() - 4 * 365 * DAY);
    wards.onName({ detail: { value: childName } });
    wards.onIdNumber({ detail: { value: makeIdNumber(birth) } });
    wards.chooseRelationship(tap({ value: 'parent' }));
    assert.equal(await wards.submit(), true);
    noError(wards, 'add a ward');
    const ward = wards.data.wards.find((w) => w.name.startsWith(childName[0]));
    assert.ok(ward, `the ward is listed (${JSON.stringify(wards.data.wards)})`);
    shared.wardId = ward.personId;
    wards.actFor(tap({ id: ward.personId }));
    assert.equal(state.actingPerson().personId, ward.personId);
    assert.equal(state.actingPerson().isSelf, false);

    const apply = loadPage('cert-apply');
    apply.onLoad({ type: 'new' });
    assert.equal(apply.data.acting.isSelf, false, 'the page knows it acts for the ward (代办模式)');
    apply.chooseRegion(tap({ value: REGION }));
    apply.chooseCategory(tap({ value: '5' }));
    const created = await apply.submit();
    noError(apply, 'certificate for the ward');
    assert.equal(created.person_id, ward.personId);

    const street = await staff('street_officer');
    const returned = await street.client.post(`/admin/certificate/applications/${created.id}/actions`, { action: 'return', reason: '缺少出生医学证明' });
    assert.equal(returned.status, 'returned_for_correction');
    const page = loadPage('application');
    await page.onLoad({ service: 'certificate', id: created.id });
    noError(page, 'ward application');
    assert.deepEqual([page.data.canResubmit, page.data.returnReason], [true, '缺少出生医学证明']);
    page.onNote({ detail: { value: '已补交出生医学证明' } });
    assert.equal(await page.resubmit(), true);
    noError(page, 'resubmit for the ward');
    assert.equal(page.data.statusText, '已提交，等待审核');
    assert.equal(await page.withdraw(), true);
    noError(page, 'withdraw');
    assert.equal(page.data.statusText, '已撤回');
    assert.ok(citizen.calls.some((c) => c[0] === 'showModal' && c[1] === '撤回申请'), 'withdrawing asks first');
  });

  await step('rehab: the ward takes the last place; the parent joins the waitlist, then leaves it', async () => {
    const county = await staff('county_dpf');
    const day = format.dayString(new Date(stackNow() + 3 * DAY));
    const weekday = new Date(`${day}T12:00:00+08:00`).getUTCDay() || 7;
    const made = await county.client.post('/admin/rehab/schedules', {
      institution_id: shared.institution.id, from: day, to: day,
      templates: [{ service: 'needs_assessment', weekday, start: '09:00', duration_minutes: 60, capacity: 1 },
        { service: 'movement_therapy', weekday, start: '14:00', duration_minutes: 60, capacity: 1 },
        { service: 'movement_therapy', weekday, start: '16:00', duration_minutes: 60, capacity: 2 }]
    });
    assert.equal(made.slot_ids.length, 3);
    shared.day = day;

    // the ward (4 years old, no certificate) may book the needs assessment
    const slots = loadPage('rehab-slots');
    await slots.onLoad({ institution_id: shared.institution.id, service: 'needs_assessment' });
    await slots.onDay({ detail: { value: day } });
    const assessment = slots.data.slots.find((s) => s.when.startsWith(format.dateTimeText(`${day}T09:00:00+08:00`)));
    assert.ok(assessment, `the 09:00 assessment slot (${JSON.stringify(slots.data.slots)})`);
    const wardBooking = await waitFor('rehab to know the ward', async () => {
      const b = await slots.book(tap({ id: assessment.id }));
      if (!b) throw new Error(slots.data.errorText);
      return b;
    }, { everyMs: 2000 });
    assert.equal(wardBooking.person_id, shared.wardId);

    // the parent, acting for herself, finds it full and joins the waitlist
    state.setActingPerson(shared.personId);
    const full = loadPage('rehab-slots');
    await full.onLoad({ institution_id: shared.institution.id, service: 'needs_assessment' });
    await full.onDay({ detail: { value: day } });
    const row = full.data.slots.find((s) => s.id === assessment.id);
    assert.deepEqual([row.full, row.label.endsWith('已约满，可排队')], [true, true]);
    await full.waitlist(tap({ id: assessment.id }));
    noError(full, 'join the waitlist');

    const mine = loadPage('rehab-bookings');
    mine.onLoad({});
    await mine.onShow();
    noError(mine, 'my bookings with the waitlist');
    const entry = mine.data.waitlist.find((w) => w.title === '精准康复需求评估' && w.day === day);
    assert.ok(entry, `the waitlist entry is listed (${JSON.stringify(mine.data.waitlist)})`);
    await mine.leaveWaitlist(tap({ id: entry.id }));
    noError(mine, 'leave the waitlist');
    assert.equal(mine.data.waitlist.some((w) => w.id === entry.id), false, 'the entry is gone');
  });

  await step('rehab: book with a volunteer escort, then reschedule from my bookings to a later slot', async () => {
    const page = loadPage('rehab-slots');
    await page.onLoad({ institution_id: shared.institution.id, service: 'movement_therapy' });
    await page.onDay({ detail: { value: shared.day } });
    const at = (hhmm) => page.data.slots.find((s) => s.when.startsWith(format.dateTimeText(`${shared.day}T${hhmm}:00+08:00`)));
    const early = at('14:00');
    const late = at('16:00');
    assert.ok(early && late, JSON.stringify(page.data.slots));
    page.onEscort({ detail: { value: true } });
    const booking = await page.book(tap({ id: early.id }));
    noError(page, 'booking with escort');
    assert.equal(booking.escort_needed, true);
    await page.confirm();
    noError(page, 'confirm');

    const mine = loadPage('rehab-bookings');
    mine.onLoad({});
    await mine.onShow();
    const row = mine.data.bookings.find((b) => b.id === booking.id);
    assert.equal(row.escort, '已申请志愿者陪同');
    assert.equal(row.canReschedule, true);
    mine.reschedule(tap({ id: booking.id, institution: row.institutionId, service: row.service }));
    const url = citizen.calls.filter((c) => c[0] === 'navigateTo').pop()[1];
    const query = Object.fromEntries(new URL(url, 'http://x').searchParams);
    assert.equal(query.reschedule, booking.id);

    const again = loadPage('rehab-slots');
    await again.onLoad(query);
    await again.onDay({ detail: { value: shared.day } });
    const moved = await again.book(tap({ id: late.id }));
    noError(again, 'reschedule');
    assert.equal(moved.slot_id, late.id);
    assert.ok(['held', 'confirmed'].includes(moved.status), moved.status);
    await mine.onShow();
    noError(mine, 'my bookings after rescheduling');
    const now = mine.data.bookings.find((b) => b.id === moved.id);
    assert.equal(now.when, format.dateTimeText(`${shared.day}T16:00:00+08:00`));
    await waitFor('the earlier place to be free again', async () => {
      const slots = await rehab.slots({ institution_id: shared.institution.id, service: 'movement_therapy', from: `${shared.day}T00:00:00+08:00`, to: `${shared.day}T23:59:00+08:00` });
      return slots.find((s) => s.id === early.id).available === 1;
    });
  });

  await step('volunteer help: the citizen rates the finished help; a new request, accepted, the volunteer sets out, the citizen cancels', async () => {
    const done = loadPage('help-status');
    await done.onLoad({ id: shared.requestId });
    noError(done, 'finished help');
    assert.equal(done.data.request.canRate, true);
    assert.equal(await done.rate(tap({ stars: 5 })), true);
    noError(done, 'rate');
    assert.deepEqual([done.data.request.canRate, done.data.request.rated], [false, '您的评价：★★★★★']);

    const { created } = await askForEscort(1, '15:00');

    const vol = shared.volunteerPhone;
    await usePhone(vol);
    const me = await volunteer.me();
    assert.equal(me.rating.count, 1, 'the citizen\'s stars reached the volunteer');
    assert.equal(me.rating.average, 5);
    const offer = await waitFor('an offer for the second request', async () => (await volunteer.offers()).find((o) => o.request_id === created.id));
    const desk = loadPage('volunteer-work');
    desk.onLoad({ offer: offer.id });
    await desk.onShow();
    await desk.accept(tap({ id: offer.id }));
    noError(desk, 'accept');
    const task = desk.data.tasks.find((x) => x.id === created.id);
    assert.equal(task.canSetOut, true);
    await desk.setOut(tap({ id: created.id }));
    noError(desk, 'set out');
    const going = desk.data.tasks.find((x) => x.id === created.id);
    assert.deepEqual([going.canSetOut, going.onTheWay.startsWith('已告知对方您已出发')], [false, true]);

    await usePhone(citizen);
    const page = loadPage('help-status');
    await page.onLoad({ id: created.id });
    noError(page, 'help status after set-out');
    assert.match(page.data.request.onTheWay, /^志愿者已出发/);
    assert.equal(page.data.request.canCancel, true);
    assert.equal(await page.cancel(), true);
    noError(page, 'cancel help');
    assert.equal(page.data.request.statusCode, 'cancelled');
    assert.equal(page.data.request.canCancel, false);
  });
});
