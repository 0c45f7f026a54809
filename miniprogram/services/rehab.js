// Rehab booking (API.md "Rehab booking").
const api = require('../utils/api');
const { items } = require('./list');

const booking = (id) => `/rehab/bookings/${encodeURIComponent(id)}`;

module.exports = {
  catalogue: () => api.get('/rehab/services').then(items), // [{code, name, kind, mode, open_to_uncertified}]
  institutions: (region, service) => api.get('/rehab/institutions', { region, service }).then(items),
  slots: (query) => api.get('/rehab/slots', query).then(items), // {institution_id, service, from, to}
  book: (fields, options) => api.post('/rehab/bookings', fields, options), // {slot_id, person_id, companion?, escort_needed?}
  confirm: (id) => api.post(`${booking(id)}/confirm`, {}),
  cancel: (id) => api.post(`${booking(id)}/cancel`, {}),
  reschedule: (id, slotId) => api.post(`${booking(id)}/reschedule`, { slot_id: slotId }),
  booking: (id) => api.get(booking(id)),
  rate: (id, rating, comment) => api.post(`${booking(id)}/rate`, comment ? { rating, comment } : { rating }),
  joinWaitlist: (fields) => api.post('/rehab/waitlist', fields), // {slot_id, person_id}
  leaveWaitlist: (entryId) => api.post(`/rehab/waitlist/${encodeURIComponent(entryId)}/withdraw`, {}),
  bookings: (personId) => api.get(`/people/${encodeURIComponent(personId)}/rehab/bookings`).then(items)
};
