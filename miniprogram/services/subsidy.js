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
  application: (id) => api.get(`/subsidy/applications/${encodeURIComponent(id)}`)
};
