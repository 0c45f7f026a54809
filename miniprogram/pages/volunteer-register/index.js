// Register as a volunteer: skills, hours, area. A coordinator verifies before offers arrive.
const { definePage } = require('../../utils/page');
const volunteer = require('../../services/volunteer');
const logic = require('../../logic/volunteer');
const labels = require('../../config/labels');
const { locate } = require('../../utils/location');
const state = require('../../utils/state');
const subscribe = require('../../utils/subscribe');

const HOURS = ['08:00', '09:00', '12:00', '14:00', '18:00', '21:00'];

definePage({
  data: { skillChoices: labels.SKILLS, regions: labels.REGIONS, hours: HOURS, form: { skills: [], region: '', start: '09:00', end: '18:00' }, selected: {}, done: null },

  toggleSkill(e) {
    const v = e.currentTarget.dataset.value;
    const skills = this.data.form.skills.includes(v) ? this.data.form.skills.filter((s) => s !== v) : this.data.form.skills.concat(v);
    const selected = {};
    skills.forEach((s) => { selected[s] = true; });
    this.setData({ 'form.skills': skills, selected });
  },
  pick(e) { this.setData({ [`form.${e.currentTarget.dataset.field}`]: e.currentTarget.dataset.value }); },

  async submit() {
    const form = Object.assign({}, this.data.form, { location: await locate(this.data.form.region) });
    const errors = logic.validateRegistration(form);
    if (Object.keys(errors).length) {
      this.setData({ fieldErrors: errors, errorText: '请按提示补充后再提交' });
      return null;
    }
    const res = await this.run(() => volunteer.register(logic.registrationBody(form)));
    if (!res) return null;
    state.state.volunteer = res;
    this.setData({ done: { status: logic.VOLUNTEER_STATUS[res.status] || labels.statusText(res.status) } });
    await subscribe.offerAfterSubmit('volunteer_registered', '注册已提交');
    return res;
  }
});
