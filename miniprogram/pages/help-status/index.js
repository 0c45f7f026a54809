// Follow a help request: the volunteer's contact appears only after someone accepted; cancel it
// while it is not done, rate the volunteer once it is, or complain.
const { definePage, askFirst } = require('../../utils/page');
const volunteer = require('../../services/volunteer');
const logic = require('../../logic/volunteer');

definePage({
  data: { id: '', request: null, stars: [1, 2, 3, 4, 5], complaint: '', complaintSent: false },
  onLoad(query) {
    this.setData({ id: query.id || '' });
    return this.load();
  },
  onPullDownRefresh() { return this.load().then(() => wx.stopPullDownRefresh()); },
  async load() {
    const r = await this.run(() => volunteer.request(this.data.id));
    if (r) this.setData({ request: logic.helpRequestView(r) });
  },
  call() {
    if (this.data.request && this.data.request.volunteerPhone) wx.makePhoneCall({ phoneNumber: this.data.request.volunteerPhone });
  },

  async cancel() {
    if (!await askFirst('取消求助', '取消后志愿者不会再来。', '取消求助', '不取消')) return false;
    const done = await this.run(() => volunteer.cancelRequest(this.data.id));
    if (done) await this.load();
    return Boolean(done);
  },

  async rate(e) {
    const done = await this.run(() => volunteer.rate(this.data.id, Number(e.currentTarget.dataset.stars)));
    if (done) await this.load();
    return Boolean(done);
  },

  onComplaint(e) { this.setData({ complaint: e.detail.value }); },
  async complain() {
    const reason = this.data.complaint.trim();
    if (reason.length < 5) {
      this.setData({ fieldErrors: { reason: '请用至少5个字说明发生了什么' }, errorText: '请写清投诉原因再提交' });
      return false;
    }
    const done = await this.run(() => volunteer.complain(this.data.id, reason));
    if (done) this.setData({ complaint: '', complaintSent: true });
    return Boolean(done);
  }
});
