// Follow one application (certificate or subsidy): status, current step, history with reasons.
const { definePage } = require('../../utils/page');
const certificate = require('../../services/certificate');
const subsidy = require('../../services/subsidy');
const logic = require('../../logic/certificate');
const labels = require('../../config/labels');

definePage({
  data: { service: 'certificate', id: '', title: '', statusText: '', stepText: '', rows: [], canWithdraw: false },

  onLoad(query) {
    this.setData({ service: query.service === 'subsidy' ? 'subsidy' : 'certificate', id: query.id || '' });
    return this.load();
  },
  onPullDownRefresh() { return this.load().then(() => wx.stopPullDownRefresh()); },

  async load() {
    const app = await this.run(() => (this.data.service === 'subsidy'
      ? subsidy.application(this.data.id) : certificate.application(this.data.id)));
    if (!app) return;
    this.setData({
      title: this.data.service === 'subsidy' ? labels.policyName(app.policy_code, app.policy_name) : labels.certTypeName(app.type),
      statusText: labels.statusText(app.status, app.status_name),
      // subsidy: the review step waiting (the status already says it unless they differ)
      stepText: app.current_step && app.current_step !== app.status ? labels.statusText(app.current_step) : '',
      rows: logic.historyRows(app),
      canWithdraw: this.data.service === 'certificate' && logic.canWithdraw(app)
    });
  },

  async withdraw() {
    const ok = await this.run(() => certificate.withdraw(this.data.id));
    if (ok) await this.load();
  }
});
