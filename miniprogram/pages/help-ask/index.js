// A citizen asks for a volunteer's help. The address is only shown to the volunteer who accepts.
const { definePage } = require('../../utils/page');
const volunteer = require('../../services/volunteer');
const logic = require('../../logic/volunteer');
const when = require('../../logic/when');
const labels = require('../../config/labels');
const state = require('../../utils/state');
const { locate } = require('../../utils/location');
const subscribe = require('../../utils/subscribe');
const { newKey } = require('../../utils/idempotency');

definePage({
  data: {
    skills: labels.SKILLS, regions: labels.REGIONS, days: [], times: when.TIMES, durations: [30, 60, 120, 180],
    form: { skill: '', day: '', time: '', durationMinutes: 60, region: '', address: '', notes: '' },
    idemKey: ''
  },

  onLoad() {
    const person = state.state.me && state.state.me.person;
    this.setData({ days: when.dayChoices(), 'form.region': (person && person.residence_region) || '', idemKey: newKey() });
  },

  pick(e) {
    const { field, value } = e.currentTarget.dataset;
    this.setData({ [`form.${field}`]: field === 'durationMinutes' ? Number(value) : value });
  },
  onAddress(e) { this.setData({ 'form.address': e.detail.value }); },
  onNotes(e) { this.setData({ 'form.notes': e.detail.value }); },

  async submit() {
    const form = Object.assign({}, this.data.form, { when: when.isoAt(this.data.form.day, this.data.form.time) });
    const errors = logic.validateHelpRequest(form);
    if (Object.keys(errors).length) {
      this.setData({ fieldErrors: errors, errorText: '请按提示补充后再提交' });
      return null;
    }
    form.location = await locate(form.region);
    const created = await this.run(() => volunteer.ask(logic.helpRequestBody(form, this.personId()), { idempotencyKey: this.data.idemKey }));
    if (!created) return null;
    this.setData({ idemKey: newKey() });
    await subscribe.offerAfterSubmit('help_requested', '已发出求助');
    wx.redirectTo({ url: `/pages/help-status/index?id=${created.id}` });
    return created;
  }
});
