// Where the tokens live. The default keeps them in wx storage so they survive restarts; tests and
// the staff side of the e2e test use an in-memory store.
const KEY = 'auth_tokens';

function wxStorageStore(getWx) {
  return {
    get() {
      try { return getWx().getStorageSync(KEY) || null; } catch (e) { return null; }
    },
    set(tokens) { getWx().setStorageSync(KEY, tokens); },
    clear() { try { getWx().removeStorageSync(KEY); } catch (e) { /* nothing stored */ } }
  };
}

function memoryStore() {
  let value = null;
  return {
    get() { return value; },
    set(tokens) { value = tokens; },
    clear() { value = null; }
  };
}

// Keep what /auth/wechat-login, /auth/refresh and /auth/staff-login return, plus when it expires.
function fromAuthResponse(body, now) {
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    expiresAt: now + (Number(body.expires_in) || 0) * 1000
  };
}

module.exports = { KEY, wxStorageStore, memoryStore, fromAuthResponse };
