// Apply for a certificate transaction (new | renewal | replacement | change | transfer | cancellation).
const { definePage } = require('../../utils/page');
const certificate = require('../../services/certificate');
const logic = require('../../logic/certificate');
const labels = require('../../config/labels');
const subscribe = require('../../utils/subscribe');
const { newKey } = require('../../utils/idempotency');

const CATEGORY_CHOICES = Object.keys(labels.CATEGORIES).map((k) => ({ value: k, label: labels.CATEGORIES[k] }));

definePage({
  data: {
    types: labels.CERT_TYPES, regions: labels.REGIONS, categories: CATEGORY_CHOICES,
    form: { type: 'new', residenceRegion: '', claimedCategory: '', homeVisit: false, reason: '' },
    needsReason: false,
    // One key per filled-in form: tapping "submit" again after a network error is not a second application.
    idemKey: ''
  },

  onLoad(query) {
    const type = labels.CERT_TYPES.some((t) => t.value === query.type) ? query.type : 'new';
    this.setData({ 'form.type': type, needsReason: logic.NEEDS_REASON.includes(type), idemKey: newKey() });
  },

  chooseType(e) {
    const type = e.currentTarget.dataset.value;
    this.setData({ 'form.type': type, needsReason: logic.NEEDS_REASON.includes(type), idemKey: newKey() });
  },
  chooseRegion(e) { this.setData({ 'form.residenceRegion': e.currentTarget.dataset.value }); },
  chooseCategory(e) {
    const v = e.currentTarget.dataset.value;
    this.setData({ 'form.claimedCategory': this.data.form.claimedCategory === v ? '' : v });
  },
  onHomeVisit(e) { this.setData({ 'form.homeVisit': e.detail.value }); },
  onReason(e) { this.setData({ 'form.reason': e.detail.value }); },

  async submit() {
    const errors = logic.validate(this.data.form);
    if (Object.keys(errors).length) {
      this.setData({ fieldErrors: errors, errorText: '请按提示补充后再提交' });
      return null;
    }
    const created = await this.run(() => certificate.apply(
      logic.requestBody(this.data.form, this.personId()), { idempotencyKey: this.data.idemKey }
    ));
    if (!created) return null;
    this.setData({ idemKey: newKey() });
    await subscribe.offerAfterSubmit('certificate_submitted', '申请已提交');
    wx.redirectTo({ url: `/pages/application/index?service=certificate&id=${created.id}` });
    return created;
  }
});
