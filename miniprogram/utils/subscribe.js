// Subscribe messages (订阅消息): ask at the moment a reminder makes sense, then tell the API what
// the user chose. WeChat only shows the dialog from a tap, so callers invoke this from a tap
// handler or from the confirm button of a wx.showModal (which counts as a tap).
const { TEMPLATE_IDS, MOMENTS } = require('../config/subscribe');
const account = require('../services/account');

// eslint-disable-next-line no-undef
const getWx = () => wx;

// WeChat answers per template id: accept | reject | ban | filter. The API knows accept|reject|ban.
function resultsByKey(keys, wxResult, ids = TEMPLATE_IDS) {
  const out = {};
  keys.forEach((key) => {
    const id = ids[key];
    if (!id || !wxResult) return;
    const v = wxResult[id];
    if (v === 'accept' || v === 'reject' || v === 'ban') out[key] = v;
    else if (v === 'filter') out[key] = 'reject';
  });
  return out;
}

function configuredKeys(moment, ids = TEMPLATE_IDS) {
  return (MOMENTS[moment] || []).filter((k) => ids[k]).slice(0, 3);
}

// Resolves to the results reported (possibly {}); never rejects: a refused reminder is no error.
function askAndReport(moment, ids = TEMPLATE_IDS) {
  const keys = configuredKeys(moment, ids);
  if (!keys.length) return Promise.resolve({});
  return new Promise((resolve) => {
    getWx().requestSubscribeMessage({
      tmplIds: keys.map((k) => ids[k]),
      success: (res) => resolve(res),
      fail: () => resolve(null)
    });
  }).then((res) => {
    const results = resultsByKey(keys, res, ids);
    if (!Object.keys(results).length) return {};
    return account.reportSubscriptions(results).then(() => results, () => results);
  });
}

// After a successful submit: a modal says it worked and offers reminders. The modal's confirm
// button is the user tap that WeChat requires before requestSubscribeMessage.
function offerAfterSubmit(moment, title, ids = TEMPLATE_IDS) {
  if (!configuredKeys(moment, ids).length) {
    getWx().showToast({ title, icon: 'success' });
    return Promise.resolve({});
  }
  return new Promise((resolve) => {
    getWx().showModal({
      title,
      content: '办理进度有变化时，要通过微信通知您吗？',
      confirmText: '要通知',
      cancelText: '不用了',
      success: (r) => resolve(r && r.confirm ? askAndReport(moment, ids) : {}),
      fail: () => resolve({})
    });
  });
}

module.exports = { resultsByKey, configuredKeys, askAndReport, offerAfterSubmit };
