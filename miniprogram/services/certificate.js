// Disability certificate (API.md "Certificate").
const api = require('../utils/api');

const person = (id) => `/people/${encodeURIComponent(id)}`;

module.exports = {
  // fields: {person_id, type, residence_region, claimed_category?, home_visit?, reason?}
  apply: (fields, options) => api.post('/certificate/applications', fields, options),
  application: (id) => api.get(`/certificate/applications/${encodeURIComponent(id)}`),
  withdraw: (id) => api.post(`/certificate/applications/${encodeURIComponent(id)}/withdraw`, {}),
  // after staff returned it for correction: send it back, saying what was put right
  resubmit: (id, reason) => api.post(`/certificate/applications/${encodeURIComponent(id)}/resubmit`, reason ? { reason } : {}),
  current: (personId) => api.get(`${person(personId)}/certificate`),
  credential: (personId) => api.get(`${person(personId)}/certificate/credential`),
  disclosureCode: (personId) => api.post(`${person(personId)}/certificate/disclosure-codes`, {})
};
