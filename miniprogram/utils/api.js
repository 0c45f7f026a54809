// The one HTTP client of the mini-program (contract: /work/shared/API.md, base path /api/v1).
//  - base URL per envVersion (config/env.js)
//  - Authorization: Bearer <access token>; silent refresh shortly before expiry, and on a 401
//    refresh then retry once (if refresh fails, log in again through wx.login when we can)
//  - writes carry an Idempotency-Key that stays the same across retries of the same action
//  - network failures and 502/503/504 are retried a couple of times with a short pause
//  - every failure becomes an ApiError whose message can be shown to the user as is
const env = require('../config/env');
const { newKey } = require('./idempotency');
const { ApiError, fromResponse, networkError } = require('./errors');
const { wxStorageStore, fromAuthResponse } = require('./token-store');

const RETRY_STATUSES = [502, 503, 504];
const REFRESH_MARGIN_MS = 60 * 1000;

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function queryString(params) {
  if (!params) return '';
  const parts = Object.keys(params)
    .filter((k) => params[k] !== undefined && params[k] !== null && params[k] !== '')
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(params[k])}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

function createClient(opts = {}) {
  // eslint-disable-next-line no-undef
  const getWx = opts.getWx || (() => wx);
  const tokens = opts.tokenStore || wxStorageStore(getWx);
  let retryDelays = opts.retryDelaysMs || [400, 1200];
  const now = opts.now || (() => Date.now());
  const timeout = opts.timeoutMs || 15000;
  let relogin = opts.relogin || null;
  let refreshing = null;

  const baseUrl = () => (opts.baseUrl || env.baseUrl(getWx())).replace(/\/+$/, '');

  function send(method, path, data, headers) {
    return new Promise((resolve, reject) => {
      getWx().request({
        url: baseUrl() + path,
        method,
        data: method === 'GET' ? undefined : (data || {}),
        header: Object.assign({ 'Content-Type': 'application/json' }, headers),
        timeout,
        dataType: 'json',
        success: (res) => resolve({ status: res.statusCode, body: res.data }),
        fail: (err) => reject(networkError(err && err.errMsg))
      });
    });
  }

  // One refresh at a time: parallel requests that all got a 401 wait for the same refresh.
  function refresh() {
    if (refreshing) return refreshing;
    const current = tokens.get();
    if (!current || !current.refreshToken) return Promise.reject(new ApiError({ status: 401, code: 'UNAUTHENTICATED' }));
    refreshing = send('POST', '/auth/refresh', { refresh_token: current.refreshToken }, {})
      .then((res) => {
        if (res.status >= 200 && res.status < 300 && res.body && res.body.access_token) {
          const next = fromAuthResponse(res.body, now());
          if (!next.refreshToken) next.refreshToken = current.refreshToken;
          tokens.set(next);
          return next;
        }
        tokens.clear();
        throw fromResponse(res.status, res.body);
      })
      .finally(() => { refreshing = null; });
    return refreshing;
  }

  async function renewAfter401() {
    try {
      await refresh();
      return true;
    } catch (e) {
      if (!relogin) return false;
      try { return Boolean(await relogin()); } catch (e2) { return false; }
    }
  }

  async function request(method, path, options = {}) {
    const auth = options.auth !== false;
    const isWrite = method !== 'GET';
    const idemKey = isWrite ? (options.idempotencyKey || newKey()) : null;
    const url = path + queryString(options.query);
    let renewed = false;
    let attempt = 0;

    for (;;) {
      const headers = {};
      if (auth) {
        let t = tokens.get();
        if (t && t.refreshToken && t.expiresAt && t.expiresAt - now() < REFRESH_MARGIN_MS) {
          try { t = await refresh(); } catch (e) { /* the 401 path below deals with it */ }
        }
        t = tokens.get();
        if (t && t.accessToken) headers.Authorization = `Bearer ${t.accessToken}`;
      }
      if (idemKey) headers['Idempotency-Key'] = idemKey;

      let res;
      try {
        res = await send(method, url, options.data, headers);
      } catch (netErr) {
        if (attempt < retryDelays.length) { await sleep(retryDelays[attempt]); attempt += 1; continue; }
        throw netErr;
      }

      if (res.status >= 200 && res.status < 300) return res.body === '' ? null : res.body;
      if (res.status === 401 && auth && !renewed) {
        renewed = true;
        if (await renewAfter401()) continue;
      }
      if (RETRY_STATUSES.includes(res.status) && attempt < retryDelays.length) {
        await sleep(retryDelays[attempt]);
        attempt += 1;
        continue;
      }
      throw fromResponse(res.status, res.body);
    }
  }

  return {
    request,
    get: (path, query, options) => request('GET', path, Object.assign({}, options, { query })),
    post: (path, data, options) => request('POST', path, Object.assign({}, options, { data })),
    tokens,
    refresh,
    setRelogin(fn) { relogin = fn; },
    // Tests shorten the pauses between retries.
    setRetryDelays(ms) { retryDelays = ms; },
    // Store the tokens a login endpoint returned.
    saveLogin(body) { tokens.set(fromAuthResponse(body, now())); }
  };
}

// The app-wide client (tokens in wx storage, base URL from envVersion).
const defaultClient = createClient();

module.exports = Object.assign({ createClient, queryString, ApiError }, defaultClient);
