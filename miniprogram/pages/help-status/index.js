// Follow a help request; the volunteer's contact appears only after someone accepted.
const { definePage } = require('../../utils/page');
const volunteer = require('../../services/volunteer');
const labels = require('../../config/labels');
const format = require('../../utils/format');

function requestView(r) {
  const v = r.volunteer || {};
  return {
    skill: labels.skillName(r.skill),
    when: format.dateTimeText(r.when),
    statusText: labels.statusText(r.status),
    volunteerName: v.name_masked || v.name || '',
    volunteerPhone: v.phone || v.contact_phone || r.volunteer_contact || ''
  };
}

definePage({
  data: { id: '', request: null },
  onLoad(query) {
    this.setData({ id: query.id || '' });
    return this.load();
  },
  onPullDownRefresh() { return this.load().then(() => wx.stopPullDownRefresh()); },
  async load() {
    const r = await this.run(() => volunteer.request(this.data.id));
    if (r) this.setData({ request: requestView(r) });
  },
  call() {
    if (this.data.request && this.data.request.volunteerPhone) wx.makePhoneCall({ phoneNumber: this.data.request.volunteerPhone });
  }
});
