// Sign-in: wx.login → POST /auth/wechat-login; the tokens go to storage through the API client.
// The client refreshes them silently; when even the refresh token is gone it calls login() again.
const api = require('../utils/api');
const env = require('../config/env');
const account = require('../services/account');
const state = require('./state');

// eslint-disable-next-line no-undef
const getWx = () => wx;

// Codes are single use: the part after # makes each one new while naming the same user.
function devLoginCode(name) {
  return `dev:${name}#${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

function wxLoginCode() {
  const devName = env.devLoginName(getWx());
  if (devName) return Promise.resolve(devLoginCode(devName));
  return new Promise((resolve, reject) => {
    getWx().login({
      success: (res) => (res && res.code ? resolve(res.code) : reject(new api.ApiError({ code: 'WX_LOGIN', message: '微信登录失败，请稍后再试' }))),
      fail: () => reject(new api.ApiError({ code: 'WX_LOGIN', message: '微信登录失败，请检查网络后再试' }))
    });
  });
}

let loggingIn = null;

// Returns the login body ({access_token, ..., account: {id, identity_bound}}).
function login() {
  if (loggingIn) return loggingIn;
  loggingIn = wxLoginCode()
    .then((code) => account.wechatLogin(code))
    .then((body) => {
      api.saveLogin(body);
      return body;
    })
    .finally(() => { loggingIn = null; });
  return loggingIn;
}

api.setRelogin(() => login().then(() => true));

function isLoggedIn() {
  const t = api.tokens.get();
  return Boolean(t && t.accessToken);
}

// Log in if needed, then load /me into the app state. Returns the /me body.
async function ensureSession() {
  if (!isLoggedIn()) await login();
  const me = await account.me();
  state.setMe(me);
  return me;
}

// Binding a real name or adding a ward changes whom the account may act for: the answer carries
// new tokens ({..., tokens: {access_token, refresh_token, expires_in}}) whose claims list those
// people. Keep them, or calls for the new person are refused until the next refresh.
function adoptTokens(body) {
  if (body && body.tokens && body.tokens.access_token) api.saveLogin(body.tokens);
  return body;
}

function logout() {
  api.tokens.clear();
  state.setMe(null);
}

module.exports = { login, ensureSession, isLoggedIn, adoptTokens, logout };
