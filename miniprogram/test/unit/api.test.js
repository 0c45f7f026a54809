const test = require('node:test');
const assert = require('node:assert/strict');
const { freshWx, routes, json } = require('../helpers/fresh');
const api = require('../../utils/api');
const { memoryStore } = require('../../utils/token-store');
const env = require('../../config/env');
const { userMessage, fieldErrors } = require('../../utils/errors');

function client(handler, extra = {}) {
  const wx = freshWx({ handler });
  const tokens = memoryStore();
  tokens.set({ accessToken: 'A1', refreshToken: 'R1', expiresAt: Date.now() + 3600e3 });
  const c = api.createClient(Object.assign({ getWx: () => wx, tokenStore: tokens, retryDelaysMs: [1, 1], baseUrl: 'http://gw/api/v1' }, extra));
  return { wx, c, tokens };
}

test('sends the bearer token and builds the URL with a query string', async () => {
  const { wx, c } = client(routes({ 'GET /rehab/institutions': (req, url) => ({ statusCode: 200, data: { items: [{ q: url.search }] } }) }));
  const body = await c.get('/rehab/institutions', { region: '500113', service: '言语训练', empty: '' });
  assert.equal(wx.requests[0].header.Authorization, 'Bearer A1');
  assert.equal(wx.requests[0].url, 'http://gw/api/v1/rehab/institutions?region=500113&service=%E8%A8%80%E8%AF%AD%E8%AE%AD%E7%BB%83');
  assert.equal(wx.requests[0].header['Idempotency-Key'], undefined, 'reads carry no idempotency key');
  assert.equal(body.items.length, 1);
});

test('maps the error envelope to a message for people, with the request id', async () => {
  const { c } = client(() => ({ statusCode: 400, data: { error: { code: 'VALIDATION_FAILED', message: '身份证号码校验位不正确，请核对后重新输入', details: { id_number: ['校验位不正确'] }, request_id: 'req-42' } } }));
  await assert.rejects(c.post('/me/identity', {}), (err) => {
    assert.equal(err.status, 400);
    assert.equal(err.code, 'VALIDATION_FAILED');
    assert.equal(userMessage(err), '身份证号码校验位不正确，请核对后重新输入（查询编号 req-42）');
    assert.deepEqual(fieldErrors(err), { id_number: '校验位不正确' });
    return true;
  });
});

test('falls back to plain words when the body is not an envelope', async () => {
  const { c } = client(() => ({ statusCode: 403, data: '<html>forbidden</html>' }));
  await assert.rejects(c.get('/me'), (err) => err.message === '您没有权限办理这件事' && err.code === 'HTTP_403');
});

test('retries a write on 503 and on network failure with the same Idempotency-Key', async () => {
  let n = 0;
  const { wx, c } = client(() => {
    n += 1;
    if (n === 1) return { fail: 'request:fail timeout' };
    if (n === 2) return { statusCode: 503, data: { error: { code: 'UNAVAILABLE', message: '忙', details: {}, request_id: 'x' } } };
    return { statusCode: 201, data: { id: 'app-1', status: 'submitted' } };
  });
  const out = await c.post('/certificate/applications', { type: 'new' });
  assert.equal(out.id, 'app-1');
  const keys = wx.requests.map((r) => r.header['Idempotency-Key']);
  assert.equal(keys.length, 3);
  assert.ok(keys[0] && keys[0].length > 10);
  assert.ok(keys.every((k) => k === keys[0]), 'same key on every retry');
});

test('two separate writes get different keys; a caller-given key is used as is', async () => {
  const { wx, c } = client(() => ({ statusCode: 201, data: {} }));
  await c.post('/a', {});
  await c.post('/a', {});
  await c.post('/a', {}, { idempotencyKey: 'mine-1' });
  const keys = wx.requests.map((r) => r.header['Idempotency-Key']);
  assert.notEqual(keys[0], keys[1]);
  assert.equal(keys[2], 'mine-1');
});

test('gives up after the retries and says so in words', async () => {
  const { wx, c } = client(() => ({ fail: 'request:fail' }));
  await assert.rejects(c.get('/me'), (err) => err.code === 'NETWORK' && /网络/.test(err.message));
  assert.equal(wx.requests.length, 3);
});

test('does not retry a 409 or a 422', async () => {
  const { wx, c } = client(() => ({ statusCode: 409, data: { error: { code: 'SLOT_FULL', message: '名额已满', details: {}, request_id: 'r' } } }));
  await assert.rejects(c.post('/rehab/bookings', {}), (err) => err.code === 'SLOT_FULL');
  assert.equal(wx.requests.length, 1);
});

test('on 401 refreshes the token and retries once with the new token and the same key', async () => {
  const { wx, c, tokens } = client(routes({
    'POST /auth/refresh': (req) => {
      assert.deepEqual(json(req), { refresh_token: 'R1' });
      assert.equal(req.header.Authorization, undefined);
      return { statusCode: 200, data: { access_token: 'A2', refresh_token: 'R2', expires_in: 900 } };
    },
    'POST /rehab/bookings': (req) => (req.header.Authorization === 'Bearer A2'
      ? { statusCode: 201, data: { id: 'b1', status: 'held' } }
      : { statusCode: 401, data: { error: { code: 'UNAUTHENTICATED', message: '登录已过期', details: {}, request_id: 'r' } } })
  }));
  const out = await c.post('/rehab/bookings', { slot_id: 's' });
  assert.equal(out.id, 'b1');
  assert.equal(tokens.get().accessToken, 'A2');
  assert.equal(tokens.get().refreshToken, 'R2');
  const writes = wx.requests.filter((r) => r.url.endsWith('/rehab/bookings'));
  assert.equal(writes.length, 2);
  assert.equal(writes[0].header['Idempotency-Key'], writes[1].header['Idempotency-Key']);
});

test('a second 401 after refreshing is returned, not looped on', async () => {
  const unauthorised = () => ({ statusCode: 401, data: { error: { code: 'UNAUTHENTICATED', message: '登录已过期', details: {}, request_id: 'r' } } });
  const { wx, c } = client(routes({
    'POST /auth/refresh': { access_token: 'A2', refresh_token: 'R2', expires_in: 900 },
    'GET /me': unauthorised
  }));
  await assert.rejects(c.get('/me'), (err) => err.status === 401);
  assert.equal(wx.requests.filter((r) => r.url.endsWith('/me')).length, 2);
});

test('when the refresh token is refused too, logs in again and retries', async () => {
  let relogins = 0;
  const { c, tokens } = client(routes({
    'POST /auth/refresh': () => ({ statusCode: 401, data: { error: { code: 'UNAUTHENTICATED', message: '请重新登录', details: {}, request_id: 'r' } } }),
    'GET /me': (req) => (req.header.Authorization === 'Bearer A9' ? { statusCode: 200, data: { ok: true } } : { statusCode: 401, data: {} })
  }), {
    relogin: async () => { relogins += 1; tokens.set({ accessToken: 'A9', refreshToken: 'R9', expiresAt: Date.now() + 3600e3 }); return true; }
  });
  assert.deepEqual(await c.get('/me'), { ok: true });
  assert.equal(relogins, 1);
});

test('refreshes silently before the access token expires', async () => {
  const { wx, c, tokens } = client(routes({
    'POST /auth/refresh': { access_token: 'A2', refresh_token: 'R2', expires_in: 900 },
    'GET /me': (req) => ({ statusCode: 200, data: { auth: req.header.Authorization } })
  }));
  tokens.set({ accessToken: 'A1', refreshToken: 'R1', expiresAt: Date.now() + 5000 });
  const out = await c.get('/me');
  assert.equal(out.auth, 'Bearer A2');
  assert.equal(wx.requests[0].url, 'http://gw/api/v1/auth/refresh');
});

test('parallel 401s share one refresh', async () => {
  let refreshes = 0;
  const { c } = client(routes({
    'POST /auth/refresh': () => { refreshes += 1; return { statusCode: 200, data: { access_token: 'A2', refresh_token: 'R2', expires_in: 900 } }; },
    'GET /x': (req) => (req.header.Authorization === 'Bearer A2' ? { statusCode: 200, data: 1 } : { statusCode: 401, data: {} })
  }));
  const out = await Promise.all([c.get('/x'), c.get('/x'), c.get('/x')]);
  assert.deepEqual(out, [1, 1, 1]);
  assert.equal(refreshes, 1);
});

test('base URL follows envVersion, with a develop-only override', () => {
  const mk = (envVersion, override) => ({
    getAccountInfoSync: () => ({ miniProgram: { envVersion } }),
    getStorageSync: (k) => (k === env.DEV_OVERRIDE_KEY ? override || '' : '')
  });
  assert.equal(env.baseUrl(mk('develop')), 'http://127.0.0.1:8000/api/v1');
  assert.equal(env.baseUrl(mk('develop', 'http://192.168.1.5:8000/api/v1/')), 'http://192.168.1.5:8000/api/v1');
  assert.equal(env.baseUrl(mk('trial', 'http://evil')), env.BASE_URLS.trial);
  assert.equal(env.baseUrl(mk('release')), env.BASE_URLS.release);
  assert.ok(env.BASE_URLS.release.startsWith('https://'));
  assert.equal(env.baseUrl({ getAccountInfoSync: () => { throw new Error('old base library'); }, getStorageSync: () => '' }), env.BASE_URLS.develop);
});

test('the app-wide client reads tokens from wx storage and the base URL from envVersion', async () => {
  const wx = freshWx({ handler: (req) => ({ statusCode: 200, data: { url: req.url, auth: req.header.Authorization } }), envVersion: 'develop' });
  api.saveLogin({ access_token: 'T', refresh_token: 'R', expires_in: 3600 });
  assert.equal(wx.getStorageSync('auth_tokens').accessToken, 'T');
  const out = await api.get('/me');
  assert.deepEqual(out, { url: 'http://127.0.0.1:8000/api/v1/me', auth: 'Bearer T' });
});
