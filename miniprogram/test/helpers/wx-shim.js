// A small stand-in for the `wx` global: storage, login, request, UI calls. Each shim is one
// "phone". request() either calls a test handler (unit tests) or real HTTP with fetch (e2e).
function createWx(opts = {}) {
  const storage = new Map();
  const calls = [];
  let loginCount = 0;

  const wx = {
    calls,
    storage,
    requests: [],
    // handler(req) → {statusCode, data} | {fail: 'errMsg'} | Promise of either
    handler: opts.handler || null,
    modalConfirm: opts.modalConfirm !== undefined ? opts.modalConfirm : true,
    subscribeResult: opts.subscribeResult || null,

    getAccountInfoSync: () => ({ miniProgram: { envVersion: opts.envVersion || 'develop', appId: 'touristappid' } }),
    getSystemInfoSync: () => ({ fontSizeSetting: opts.fontSizeSetting || 16, platform: 'devtools' }),

    getStorageSync: (k) => (storage.has(k) ? storage.get(k) : ''),
    setStorageSync: (k, v) => { storage.set(k, JSON.parse(JSON.stringify(v))); },
    removeStorageSync: (k) => { storage.delete(k); },

    login({ success, fail }) {
      loginCount += 1;
      const code = typeof opts.loginCode === 'function' ? opts.loginCode(loginCount) : (opts.loginCode || `dev:test-${loginCount}`);
      calls.push(['login', code]);
      if (code) success({ code, errMsg: 'login:ok' }); else fail({ errMsg: 'login:fail' });
    },

    request(req) {
      wx.requests.push(req);
      const done = (out) => {
        if (out && out.fail) req.fail({ errMsg: out.fail });
        else req.success({ statusCode: out.statusCode, data: out.data, header: {} });
      };
      const run = wx.handler ? Promise.resolve().then(() => wx.handler(req)) : httpRequest(req);
      run.then(done, (err) => req.fail({ errMsg: `request:fail ${err && err.message}` }));
    },

    showToast: (o) => calls.push(['showToast', o.title]),
    showModal(o) {
      calls.push(['showModal', o.title]);
      o.success && o.success({ confirm: wx.modalConfirm, cancel: !wx.modalConfirm });
    },
    requestSubscribeMessage(o) {
      calls.push(['requestSubscribeMessage', o.tmplIds]);
      const res = wx.subscribeResult || Object.fromEntries(o.tmplIds.map((id) => [id, 'accept']));
      o.success && o.success(Object.assign({ errMsg: 'requestSubscribeMessage:ok' }, res));
    },
    getLocation: (o) => (opts.location ? o.success(opts.location) : o.fail({ errMsg: 'getLocation:fail auth deny' })),
    navigateTo: (o) => calls.push(['navigateTo', o.url]),
    redirectTo: (o) => calls.push(['redirectTo', o.url]),
    switchTab: (o) => calls.push(['switchTab', o.url]),
    stopPullDownRefresh: () => calls.push(['stopPullDownRefresh']),
    makePhoneCall: (o) => calls.push(['makePhoneCall', o.phoneNumber])
  };
  return wx;
}

// wx.request over real HTTP (Node 20 fetch), with WeChat's callback shape.
async function httpRequest(req) {
  const init = { method: req.method || 'GET', headers: req.header || {} };
  if (init.method !== 'GET' && req.data !== undefined) init.body = JSON.stringify(req.data);
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), req.timeout || 15000);
  init.signal = ctl.signal;
  try {
    const res = await fetch(req.url, init);
    const text = await res.text();
    let data = text;
    try { data = text ? JSON.parse(text) : ''; } catch (e) { data = text; }
    return { statusCode: res.status, data };
  } finally {
    clearTimeout(timer);
  }
}

module.exports = { createWx };
