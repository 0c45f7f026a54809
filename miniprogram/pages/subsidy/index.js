// Subsidies: what one may claim and why (or why not), one-tap confirm of suggestions, apply,
// entitlements and monthly payments.
const { definePage } = require('../../utils/page');
const subsidy = require('../../services/subsidy');
const logic = require('../../logic/subsidy');
const state = require('../../utils/state');
const labels = require('../../config/labels');
const subscribe = require('../../utils/subscribe');

function defaultRegion() {
  const person = state.state.me && state.state.me.person;
  return (person && (person.residence_region || person.household_region)) || '';
}

definePage({
  data: { regions: labels.REGIONS, region: '', eligibility: [], suggestions: [], entitlements: [], payments: [], policies: [], needsIdentity: false, payee: { bankAccount: '', bankName: '' } },

  onLoad() {
    this.setData({ region: defaultRegion() });
    return this.load();
  },
  onActingChange() { return this.load(); },

  async load() {
    const personId = this.personId();
    if (!personId) return this.loadPolicies();
    const all = await this.run(() => Promise.all([
      subsidy.eligibility(personId), subsidy.suggestions(personId),
      subsidy.entitlements(personId), subsidy.payments(personId)
    ]));
    if (!all) return;
    this.setData({
      eligibility: logic.eligibilityRows(all[0]),
      suggestions: logic.suggestionRows(all[1]),
      entitlements: logic.entitlementRows(all[2]),
      payments: logic.paymentRows(all[3]),
      needsIdentity: false
    });
    return undefined;
  },

  // Not bound to a person yet: the region's policies, public, and a way to the real-name page.
  async loadPolicies() {
    this.setData({ needsIdentity: true });
    if (!this.data.region) return;
    const list = await this.run(() => subsidy.policies(this.data.region));
    if (list) this.setData({ policies: logic.policyRows(list) });
  },

  chooseRegion(e) {
    this.setData({ region: e.currentTarget.dataset.value });
    if (this.data.needsIdentity) return this.loadPolicies();
    return undefined;
  },
  bindIdentity() { wx.navigateTo({ url: '/pages/identity/index' }); },

  // Applying from the eligibility list files an application; confirming a suggestion
  // (data-suggestion) goes through the suggestion, which closes it. Both answer the application.
  onBankAccount(e) { this.setData({ 'payee.bankAccount': e.detail.value }); },
  onBankName(e) { this.setData({ 'payee.bankName': e.detail.value }); },

  async apply(e) {
    const { policy: policyCode, suggestion } = e.currentTarget.dataset;
    if (!this.data.region) {
      this.setData({ fieldErrors: { region: '请先选择居住地' }, errorText: '请先选择居住地，再申请' });
      return null;
    }
    const problem = logic.payeeProblem(this.data.payee);
    if (problem) {
      this.setData({ fieldErrors: { bank_account: problem }, errorText: problem });
      return null;
    }
    const created = await this.run(() => (suggestion
      ? subsidy.confirmSuggestion(this.personId(), suggestion, Object.assign({ residence_region: this.data.region }, logic.payeeFields(this.data.payee)))
      : subsidy.apply(logic.confirmBody(policyCode, this.personId(), this.data.region, this.data.payee))));
    if (!created) return null;
    await subscribe.offerAfterSubmit('subsidy_submitted', '申请已提交');
    await this.load();
    return created;
  },

  openApplication(e) {
    wx.navigateTo({ url: `/pages/application/index?service=subsidy&id=${e.currentTarget.dataset.id}` });
  }
});
