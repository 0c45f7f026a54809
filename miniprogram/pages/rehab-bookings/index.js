// My rehab bookings: confirm, cancel, reschedule, rate a finished session; the waitlist entries
// with a way out. Opened from a reminder (?id=), that booking comes first.
const { definePage, askFirst } = require('../../utils/page');
const rehab = require('../../services/rehab');
const account = require('../../services/account');
const logic = require('../../logic/rehab');

definePage({
  data: { focusId: '', bookings: [], waitlist: [], stars: [1, 2, 3, 4, 5] },

  onLoad(query) { this.setData({ focusId: query.id || '' }); },
  onShow() { return this.load(); },
  onActingChange() { return this.load(); },

  async load() {
    const personId = this.personId();
    const all = await this.run(() => Promise.all([rehab.bookings(personId), account.personFile(personId)]));
    if (!all) return;
    let list = all[0];
    const focus = this.data.focusId;
    // a reminder may be about a ward's booking while the page acts for someone else
    if (focus && !list.some((b) => b.id === focus)) {
      const one = await this.run(() => rehab.booking(focus));
      if (one) list = [one].concat(list);
    }
    const rows = list.map((b) => Object.assign(logic.bookingRow(b), { focused: b.id === focus }));
    const rehabFile = (all[1] && all[1].rehab) || {};
    this.setData({
      bookings: rows.filter((r) => r.focused).concat(rows.filter((r) => !r.focused)),
      waitlist: (rehabFile.waitlist || []).map(logic.waitlistRow)
    });
  },

  async confirm(e) {
    if (await this.run(() => rehab.confirm(e.currentTarget.dataset.id))) await this.load();
  },

  async cancel(e) {
    const id = e.currentTarget.dataset.id;
    if (!await askFirst('取消预约', '确定要取消这个预约吗？', '取消预约', '不取消')) return;
    if (await this.run(() => rehab.cancel(id))) await this.load();
  },

  reschedule(e) {
    const { id, institution, service } = e.currentTarget.dataset;
    wx.navigateTo({ url: `/pages/rehab-slots/index?institution_id=${institution}&service=${encodeURIComponent(service)}&reschedule=${id}` });
  },

  // one tap per star button: the number is in the label, so it needs no precise gesture
  async rate(e) {
    const { id, stars } = e.currentTarget.dataset;
    if (await this.run(() => rehab.rate(id, Number(stars)))) await this.load();
  },

  async leaveWaitlist(e) {
    if (!await askFirst('退出排队', '退出后有空位也不会再通知您。', '退出排队', '继续排队')) return;
    if (await this.run(() => rehab.leaveWaitlist(e.currentTarget.dataset.id))) await this.load();
  }
});
