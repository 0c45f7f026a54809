// My rehab bookings: confirm, cancel, reschedule.
const { definePage } = require('../../utils/page');
const rehab = require('../../services/rehab');
const logic = require('../../logic/rehab');

definePage({
  data: { bookings: [] },

  onShow() { return this.load(); },
  onActingChange() { return this.load(); },

  async load() {
    const list = await this.run(() => rehab.bookings(this.personId()));
    if (list) this.setData({ bookings: list.map((b) => logic.bookingRow(b)) });
  },

  async confirm(e) {
    if (await this.run(() => rehab.confirm(e.currentTarget.dataset.id))) await this.load();
  },

  cancel(e) {
    const id = e.currentTarget.dataset.id;
    return new Promise((resolve) => {
      wx.showModal({
        title: '取消预约',
        content: '确定要取消这个预约吗？',
        confirmText: '取消预约',
        cancelText: '不取消',
        success: async (r) => {
          if (r.confirm && await this.run(() => rehab.cancel(id))) await this.load();
          resolve();
        },
        fail: () => resolve()
      });
    });
  },

  reschedule(e) {
    const { id, institution, service } = e.currentTarget.dataset;
    wx.navigateTo({ url: `/pages/rehab-slots/index?institution_id=${institution}&service=${encodeURIComponent(service)}&reschedule=${id}` });
  }
});
