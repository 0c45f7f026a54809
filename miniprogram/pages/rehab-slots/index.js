// Free slots of one institution: book (or reschedule to) a slot, or join the waitlist when full;
// ask for a volunteer escort and name a companion.
const { definePage } = require('../../utils/page');
const rehab = require('../../services/rehab');
const logic = require('../../logic/rehab');
const format = require('../../utils/format');
const subscribe = require('../../utils/subscribe');
const labels = require('../../config/labels');

definePage({
  data: { institutionId: '', service: '', serviceName: '', name: '', rescheduleId: '', day: '', slots: [], escortNeeded: false, companion: '', booked: null },

  onLoad(query) {
    const service = decodeURIComponent(query.service || '');
    this.setData({
      institutionId: query.institution_id || '', service, serviceName: service ? labels.rehabServiceName(service) : '',
      name: decodeURIComponent(query.name || ''), rescheduleId: query.reschedule || '',
      day: format.dayString(new Date())
    });
    return this.load();
  },

  async load() {
    const w = logic.slotWindow(this.data.day);
    const slots = await this.run(() => rehab.slots({ institution_id: this.data.institutionId, service: this.data.service || undefined, from: w.from, to: w.to }));
    if (slots) this.setData({ slots: logic.slotRows(slots) });
  },

  onDay(e) { this.setData({ day: e.detail.value }); return this.load(); },
  nextWeek() {
    const next = new Date(new Date(`${this.data.day}T12:00:00+08:00`).getTime() + 7 * 86400000);
    this.setData({ day: format.dayString(next) });
    return this.load();
  },
  onEscort(e) { this.setData({ escortNeeded: e.detail.value }); },
  onCompanion(e) { this.setData({ companion: e.detail.value }); },

  async book(e) {
    const slotId = e.currentTarget.dataset.id;
    const booking = await this.run(() => (this.data.rescheduleId
      ? rehab.reschedule(this.data.rescheduleId, slotId)
      : rehab.book(logic.bookingBody(slotId, this.personId(), this.data))));
    if (!booking) {
      await this.keepError(() => this.load()); // e.g. SLOT_FULL: show the fresh numbers
      return null;
    }
    this.setData({ booked: logic.bookingRow(booking) });
    await subscribe.offerAfterSubmit('booking_made', booking.status === 'held' ? '已占位，请确认' : '预约成功');
    return booking;
  },

  async confirm() {
    const res = await this.run(() => rehab.confirm(this.data.booked.id));
    if (res) this.setData({ booked: logic.bookingRow(res) });
  },

  async waitlist(e) {
    const res = await this.run(() => rehab.joinWaitlist({ slot_id: e.currentTarget.dataset.id, person_id: this.personId() }));
    if (res) wx.showToast({ title: '已排队，有空位会通知您', icon: 'none' });
  }
});
