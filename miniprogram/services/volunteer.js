// Volunteer matching (API.md "Volunteer").
const api = require('../utils/api');
const { items } = require('./list');

const enc = encodeURIComponent;

module.exports = {
  // the citizen side
  ask: (fields, options) => api.post('/volunteer/requests', fields, options),
  request: (id) => api.get(`/volunteer/requests/${enc(id)}`),
  cancelRequest: (id, reason) => api.post(`/volunteer/requests/${enc(id)}/cancel`, reason ? { reason } : {}),
  // both sides, once a volunteer was assigned (the requester about the volunteer and back)
  complain: (taskId, reason) => api.post(`/volunteer/tasks/${enc(taskId)}/complain`, { reason }),
  // the volunteer side
  register: (fields) => api.post('/volunteers', fields),
  me: () => api.get('/volunteers/me'),
  offers: () => api.get('/volunteers/me/offers').then(items),
  tasks: () => api.get('/volunteers/me/tasks').then(items),
  accept: (offerId) => api.post(`/volunteer/offers/${enc(offerId)}/accept`, {}),
  decline: (offerId) => api.post(`/volunteer/offers/${enc(offerId)}/decline`, {}),
  setOut: (taskId) => api.post(`/volunteer/tasks/${enc(taskId)}/set-out`, {}),
  checkIn: (taskId) => api.post(`/volunteer/tasks/${enc(taskId)}/check-in`, {}),
  checkOut: (taskId) => api.post(`/volunteer/tasks/${enc(taskId)}/check-out`, {}),
  rate: (taskId, stars, comment) => api.post(`/volunteer/tasks/${enc(taskId)}/rate`, comment ? { stars, comment } : { stars })
};
