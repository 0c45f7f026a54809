// 我的: identity, phone, wards, display settings (large text, high contrast).
const { definePage } = require('../../utils/page');
const state = require('../../utils/state');
const volunteer = require('../../services/volunteer');

function meView() {
  const me = state.state.me || {};
  const acc = me.account || {};
  const person = me.person || null;
  return {
    identityBound: Boolean(acc.identity_bound || person),
    nameMasked: person ? (person.name_masked || person.name || '') : '',
    idMasked: person ? (person.id_number_masked || '') : '',
    phoneMasked: acc.phone_masked || me.phone_masked || '',
    wardCount: (me.wards || []).length,
    isVolunteer: Boolean(state.state.volunteer),
    largeText: state.state.prefs.largeText,
    highContrast: state.state.prefs.highContrast
  };
}

definePage({
  data: meView(),
  onShow() {
    this.setData(meView());
    return this.loadVolunteer();
  },

  // GET /me does not say whether the account volunteers: the volunteer service does
  // (GET /volunteers/me, 404 NOT_A_VOLUNTEER when it does not). Other failures keep what we knew.
  async loadVolunteer() {
    try {
      state.state.volunteer = await volunteer.me();
    } catch (err) {
      if (err.status !== 404) return;
      state.state.volunteer = null;
    }
    this.setData({ isVolunteer: Boolean(state.state.volunteer) });
  },
  onActingChange() { this.setData(meView()); },

  toggleLargeText(e) {
    state.setPref('largeText', e.detail.value);
    this.setData(meView());
  },
  toggleHighContrast(e) {
    state.setPref('highContrast', e.detail.value);
    this.setData(meView());
  }
});
