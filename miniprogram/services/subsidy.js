// Subsidies and benefits (API.md "Subsidy").
const api = require('../utils/api');
const { items } = require('./list');

const person = (id) => `/people/${encodeURIComponent(id)}`;

module.exports = {
  policies: (region) => api.get('/subsidy/policies', { region }).then(items),
  eligibility: (personId) => api.get(`${person(personId)}/subsidy/eligibility`).then(items),
  suggestions: (personId) => api.get(`${person(personId)}/subsidy/suggestions`).then(items),
  entitlements: (personId) => api.get(`${person(personId)}/subsidy/entitlements`).then(items),
  payments: (personId) => api.get(`${person(personId)}/subsidy/payments`).then(items),
  // fields: {person_id, policy_code, residence_region, bank_account?}
  apply: (fields, options) => api.post('/subsidy/applications', fields, options),
  // one-tap confirm of a proactive suggestion → the application (201); fields: {residence_region?, bank_account?}
  confirmSuggestion: (personId, suggestionId, fields, options) => api.post(
    `${person(personId)}/subsidy/suggestions/${encodeURIComponent(suggestionId)}/confirm`, fields || {}, options),
  dismissSuggestion: (personId, suggestionId, reason) => api.post(
    `${person(personId)}/subsidy/suggestions/${encodeURIComponent(suggestionId)}/dismiss`, reason ? { reason } : {}),
  application: (id) => api.get(`/subsidy/applications/${encodeURIComponent(id)}`),
  // the applicant's own steps: action 'resubmit' (after a return) or 'withdraw'
  act: (id, action, reason) => api.post(`/subsidy/applications/${encodeURIComponent(id)}/actions`, reason ? { action, reason } : { action })
};
