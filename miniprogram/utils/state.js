// App state shared by every page: who is signed in, the people this account may act for
// (itself and its wards), who is being acted for right now (the person switcher), and the
// display preferences. The acting person and the preferences survive restarts (wx storage).
const ACTING_KEY = 'acting_person_id';
const PREFS_KEY = 'display_prefs';

const state = {
  me: null,
  people: [], // [{personId, name, relationship, isSelf}]
  actingPersonId: '',
  prefs: { largeText: false, highContrast: false },
  volunteer: null
};
const listeners = [];

// eslint-disable-next-line no-undef
const getWx = () => wx;

function notify() {
  listeners.slice().forEach((fn) => fn(state));
}

function subscribe(fn) {
  listeners.push(fn);
  return () => {
    const i = listeners.indexOf(fn);
    if (i >= 0) listeners.splice(i, 1);
  };
}

// GET /me → the list of people this account can act for.
// Shape (miniprogram_api/identity/service.py): {account: {id, identity_bound, phone_masked},
// person: {id, name, id_number_masked, household_region, residence_region, ...}|null,
// wards: [{id, name, id_number_masked, relationship, ...}]}
function peopleFromMe(me) {
  const people = [];
  const own = me && me.person;
  if (own && (own.id || own.person_id)) {
    people.push({ personId: own.id || own.person_id, name: own.name_masked || own.name || '本人', relationship: 'self', isSelf: true });
  }
  ((me && me.wards) || []).forEach((w) => {
    const id = w.person_id || w.id;
    if (id) people.push({ personId: id, name: w.name_masked || w.name || '被监护人', relationship: w.relationship || '', isSelf: false });
  });
  return people;
}

function setMe(me) {
  state.me = me;
  // GET /me has no volunteer profile (the me page asks GET /volunteers/me): keep what is known
  if (!me) state.volunteer = null;
  else if (me.volunteer !== undefined) state.volunteer = me.volunteer || null;
  state.people = peopleFromMe(me);
  let stored = '';
  try { stored = getWx().getStorageSync(ACTING_KEY) || ''; } catch (e) { stored = ''; }
  const wanted = state.actingPersonId || stored;
  const found = state.people.find((p) => p.personId === wanted);
  state.actingPersonId = found ? found.personId : (state.people[0] ? state.people[0].personId : '');
  notify();
}

function setActingPerson(personId) {
  if (!state.people.some((p) => p.personId === personId)) return false;
  state.actingPersonId = personId;
  try { getWx().setStorageSync(ACTING_KEY, personId); } catch (e) { /* storage full: keep in memory */ }
  notify();
  return true;
}

function actingPerson() {
  return state.people.find((p) => p.personId === state.actingPersonId) || null;
}

function loadPrefs() {
  let stored = null;
  try { stored = getWx().getStorageSync(PREFS_KEY) || null; } catch (e) { stored = null; }
  if (stored) {
    state.prefs = Object.assign({ largeText: false, highContrast: false }, stored);
  } else {
    // First run: follow the phone's font size (微信 → 设置 → 通用 → 字体大小).
    state.prefs = { largeText: systemWantsLargeText(), highContrast: false };
  }
  return state.prefs;
}

// fontSizeSetting is the WeChat font size in px; the standard is 16 or 17.
function systemWantsLargeText() {
  try {
    const info = getWx().getSystemInfoSync();
    return Number(info.fontSizeSetting) >= 20;
  } catch (e) {
    return false;
  }
}

function setPref(name, value) {
  state.prefs = Object.assign({}, state.prefs, { [name]: Boolean(value) });
  try { getWx().setStorageSync(PREFS_KEY, state.prefs); } catch (e) { /* keep in memory */ }
  notify();
}

// The class list every page puts on its root view.
function displayClass(prefs = state.prefs) {
  return [prefs.largeText ? 'large-text' : '', prefs.highContrast ? 'high-contrast' : ''].filter(Boolean).join(' ');
}

function reset() {
  state.me = null;
  state.people = [];
  state.actingPersonId = '';
  state.prefs = { largeText: false, highContrast: false };
  state.volunteer = null;
  listeners.length = 0;
}

module.exports = {
  state, subscribe, peopleFromMe, setMe, setActingPerson, actingPerson,
  loadPrefs, setPref, displayClass, systemWantsLargeText, reset
};
