// The message record: every notice the services sent, also those WeChat did not deliver (so
// nothing is missed when a subscription was refused), each opening the page it is about.
const { definePage } = require('../../utils/page');
const account = require('../../services/account');
const logic = require('../../logic/messages');

definePage({
  data: { messages: [], loaded: false },

  onShow() { return this.load(); },
  onPullDownRefresh() { return this.load().then(() => wx.stopPullDownRefresh()); },

  async load() {
    const list = await this.run(() => account.notifications());
    if (list) this.setData({ messages: logic.messageRows(list), loaded: true });
  },

  open(e) {
    const to = logic.target(e.currentTarget.dataset.page);
    if (to) wx[to.method]({ url: to.url });
  }
});
