// The message record (GET /me/notifications): every notice the services sent this account,
// including those WeChat did not deliver (no subscription, or sending failed), and the page each
// one opens.
const format = require('../utils/format');

// The tab pages of app.json open with wx.switchTab, the others with wx.navigateTo
// (test/unit/structure.test.js checks this list against app.json).
const TAB_PAGES = ['pages/home/index', 'pages/services/index', 'pages/me/index'];

const DELIVERY = {
  sent: '已推送到微信',
  sending: '正在推送到微信',
  failed: '推送到微信没有成功，正在重试',
  dead: '没能推送到微信',
  skipped: '没有推送到微信'
};
const SKIPPED_BECAUSE = { no_consent: '：您没有订阅这类消息', no_account: '' };

function target(page) {
  if (!page) return null;
  const path = String(page).replace(/^\//, '');
  const bare = path.split('?')[0];
  // wx.switchTab takes no query string
  return TAB_PAGES.includes(bare) ? { method: 'switchTab', url: `/${bare}` } : { method: 'navigateTo', url: `/${path}` };
}

function messageRows(items) {
  return (items || []).map((m) => {
    const d = m.data || {};
    const delivery = (DELIVERY[m.status] || '') + (m.status === 'skipped' ? SKIPPED_BECAUSE[m.reason] || '' : '');
    return {
      id: m.id,
      title: d.title || '消息',
      status: d.status || '',
      note: d.note || '',
      when: format.dateTimeText(m.created_at),
      delivery,
      delivered: m.status === 'sent',
      hasPage: Boolean(m.page),
      page: m.page || ''
    };
  });
}

module.exports = { messageRows, target, TAB_PAGES };
