// The volunteer's desk: offers (what, when, district — no address until accepted), accept or
// decline, tasks with set-out/check-in/check-out, hours and stars. A notice about an offer opens
// it with ?offer=<id>; the offers are all on this page anyway.
const { definePage } = require('../../utils/page');
const volunteer = require('../../services/volunteer');
const logic = require('../../logic/volunteer');

definePage({
  data: { profile: null, offers: [], tasks: [], notice: '' },

  onShow() { return this.load(); },
  onPullDownRefresh() { return this.load().then(() => wx.stopPullDownRefresh()); },

  async load() {
    const all = await this.run(() => Promise.all([volunteer.me(), volunteer.offers(), volunteer.tasks()]));
    if (!all) return;
    this.setData({
      profile: logic.profileView(all[0]),
      offers: all[1].map(logic.offerRow),
      tasks: all[2].map(logic.taskRow)
    });
  },

  async accept(e) {
    const res = await this.run(() => volunteer.accept(e.currentTarget.dataset.id));
    // TASK_TAKEN (409) is already said in words by run(); the list is refreshed either way.
    this.setData({ notice: res ? '✔ 接单成功，地址和联系电话已显示在“我的任务”里' : '' });
    await this.keepError(() => this.load());
    return res;
  },
  async decline(e) {
    if (await this.run(() => volunteer.decline(e.currentTarget.dataset.id))) await this.load();
  },
  async setOut(e) {
    if (await this.run(() => volunteer.setOut(e.currentTarget.dataset.id))) await this.load();
  },
  async checkIn(e) {
    if (await this.run(() => volunteer.checkIn(e.currentTarget.dataset.id))) await this.load();
  },
  async checkOut(e) {
    if (await this.run(() => volunteer.checkOut(e.currentTarget.dataset.id))) await this.load();
  }
});
