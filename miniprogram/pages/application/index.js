// Follow one application (certificate or subsidy): status, current step, history with reasons;
// the applicant sends it back after a return for correction, or withdraws it.
const { definePage, askFirst } = require('../../utils/page');
const certificate = require('../../services/certificate');
const subsidy = require('../../services/subsidy');
const logic = require('../../logic/certificate');
const labels = require('../../config/labels');

definePage({
  data: { service: 'certificate', id: '', title: '', statusText: '', stepText: '', rows: [], canWithdraw: false, canResubmit: false, returnReason: '', note: '' },

  onLoad(query) {
    this.setData({ service: query.service === 'subsidy' ? 'subsidy' : 'certificate', id: query.id || '' });
    return this.load();
  },
  onPullDownRefresh() { return this.load().then(() => wx.stopPullDownRefresh()); },

  isSubsidy() { return this.data.service === 'subsidy'; },

  async load() {
    const app = await this.run(() => (this.isSubsidy()
      ? subsidy.application(this.data.id) : certificate.application(this.data.id)));
    if (!app) return;
    this.setData(Object.assign({
      title: this.isSubsidy() ? labels.policyName(app.policy_code, app.policy_name) : labels.certTypeName(app.type),
      statusText: labels.statusText(app.status, app.status_name),
      // subsidy: the review step waiting (the status already says it unless they differ)
      stepText: app.current_step && app.current_step !== app.status ? labels.statusText(app.current_step) : '',
      rows: logic.historyRows(app)
    }, logic.applicantActions(this.data.service, app)));
  },

  onNote(e) { this.setData({ note: e.detail.value }); },

  async resubmit() {
    const note = this.data.note.trim();
    const ok = await this.run(() => (this.isSubsidy()
      ? subsidy.act(this.data.id, 'resubmit', note) : certificate.resubmit(this.data.id, note)));
    if (ok) {
      this.setData({ note: '' });
      await this.load();
    }
    return Boolean(ok);
  },

  async withdraw() {
    if (!await askFirst('撤回申请', '撤回后这个申请就结束了，需要时可以重新申请。', '撤回申请', '不撤回')) return false;
    const ok = await this.run(() => (this.isSubsidy()
      ? subsidy.act(this.data.id, 'withdraw') : certificate.withdraw(this.data.id)));
    if (ok) await this.load();
    return Boolean(ok);
  }
});
