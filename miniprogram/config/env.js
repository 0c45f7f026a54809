// Where the gateway lives for each mini-program version (wx.getAccountInfoSync().miniProgram.envVersion).
// develop = WeChat DevTools / 开发版, trial = 体验版, release = 正式版.
// The trial/release hosts are placeholders: replace them with the real HTTPS domains, which must
// also be listed as "request 合法域名" in the mini-program admin console.
const BASE_URLS = {
  develop: 'http://127.0.0.1:8000/api/v1',
  trial: 'https://zsb-trial.example.gov.cn/api/v1',
  release: 'https://zsb.example.gov.cn/api/v1'
};

// In develop only, a tester may point the app at another gateway (e.g. a LAN address when
// previewing on a real phone) by storing it under this key; see docs/miniprogram.md.
const DEV_OVERRIDE_KEY = 'dev_gateway_url';

// In develop only, against a development stack: the WeChat stand-in (tools/wechat_standin.py)
// takes login codes `dev:<name>` instead of real ones, so a tester who stores a name under this
// key signs in as that WeChat user (e.g. the demo citizens zhangsan, lisi, wangwu of `make run`).
// Real WeChat refuses such codes, and trial/release builds never read the key.
const DEV_LOGIN_KEY = 'dev_login_name';

function envVersion(wxApi) {
  try {
    const info = wxApi.getAccountInfoSync();
    return (info && info.miniProgram && info.miniProgram.envVersion) || 'develop';
  } catch (e) {
    return 'develop';
  }
}

function baseUrl(wxApi) {
  const env = envVersion(wxApi);
  if (env === 'develop') {
    let override = '';
    try { override = wxApi.getStorageSync(DEV_OVERRIDE_KEY) || ''; } catch (e) { override = ''; }
    if (override) return override.replace(/\/+$/, '');
  }
  return BASE_URLS[env] || BASE_URLS.develop;
}

// The stand-in login name to use instead of wx.login's code ('' = use wx.login).
function devLoginName(wxApi) {
  if (envVersion(wxApi) !== 'develop') return '';
  let name = '';
  try { name = wxApi.getStorageSync(DEV_LOGIN_KEY) || ''; } catch (e) { name = ''; }
  return /^[A-Za-z0-9_.-]{1,40}$/.test(name) ? name : '';
}

module.exports = { BASE_URLS, DEV_OVERRIDE_KEY, DEV_LOGIN_KEY, envVersion, baseUrl, devLoginName };
