// 首页 = the person file (一人一档): certificate card and "what to do first".
const { definePage, askFirst } = require('../../utils/page');
const account = require('../../services/account');
const subsidy = require('../../services/subsidy');
const { homeView } = require('../../logic/home');
const subscribe = require('../../utils/subscribe');

definePage({
  data: { loaded: false, needsIdentity: false, certificate: null, todos: [], residenceRegion: '', unavailableText: '' },

  onLoad() { return this.load(); },
  onPullDownRefresh() { return this.load().then(() => wx.stopPullDownRefresh()); },
  onActingChange() { return this.load(); },

  async load() {
    await this.run(async () => {
      const app = getApp();
      if (app.globalData.startupError) {
        app.globalData.startupError = null;
        await app.reloadSession();
      } else {
        await app.ready;
      }
      const personId = this.personId();
      if (!personId) {
        this.setData({ loaded: true, needsIdentity: true, todos: [], certificate: null });
        return;
      }
      const file = await account.personFile(personId);
      const person = file.person || {};
      this.setData(Object.assign({ loaded: true, needsIdentity: false, residenceRegion: person.residence_region || person.household_region || '' }, homeView(file)));
    });
  },

  // One tap confirms a proactive suggestion (POST .../subsidy/suggestions/{id}/confirm): the
  // application is opened from the suggestion, which is then closed.
  async confirmSuggestion(e) {
    const { suggestion } = e.currentTarget.dataset;
    const done = await this.run(() => subsidy.confirmSuggestion(this.personId(), suggestion, { residence_region: this.data.residenceRegion || undefined }));
    if (!done) return;
    await subscribe.offerAfterSubmit('subsidy_submitted', '已提交申请');
    await this.load();
  },

  // "不需要": the suggestion is closed for good (one per benefit, services/subsidy/base.py); the
  // benefit can still be applied for on the subsidy page.
  async dismissSuggestion(e) {
    const { suggestion } = e.currentTarget.dataset;
    if (!await askFirst('不需要这项补贴', '以后不再提醒这项补贴；需要时仍可在“补贴”页申请。', '不需要', '再想想')) return;
    if (await this.run(() => subsidy.dismissSuggestion(this.personId(), suggestion))) await this.load();
  },

  openTodo(e) {
    const { kind, id, service } = e.currentTarget.dataset;
    const urls = {
      application: `/pages/application/index?service=${service}&id=${id}`,
      booking: '/pages/rehab-bookings/index',
      certificate: '/pages/cert-apply/index?type=renewal',
      help: `/pages/help-status/index?id=${id}`
    };
    if (urls[kind]) wx.navigateTo({ url: urls[kind] });
  },

  openCertificate() { wx.navigateTo({ url: '/pages/cert-card/index' }); },
  applyCertificate() { wx.navigateTo({ url: '/pages/cert-apply/index?type=new' }); },
  bindIdentity() { wx.navigateTo({ url: '/pages/identity/index' }); },
  retry() { return this.load(); }
});
