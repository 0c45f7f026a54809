// Volunteer matching (API.md "Volunteer").
const api = require('../utils/api');
const { items } = require('./list');

const enc = encodeURIComponent;

module.exports = {
  // the citizen side
  ask: (fields, options) => api.post('/volunteer/requests', fields, options),
  request: (id) => api.get(`/volunteer/requests/${enc(id)}`),
  // the volunteer side
  register: (fields) => api.post('/volunteers', fields),
  me: () => api.get('/volunteers/me'),
  offers: () => api.get('/volunteers/me/offers').then(items),
  tasks: () => api.get('/volunteers/me/tasks').then(items),
  accept: (offerId) => api.post(`/volunteer/offers/${enc(offerId)}/accept`, {}),
  decline: (offerId) => api.post(`/volunteer/offers/${enc(offerId)}/decline`, {}),
  checkIn: (taskId) => api.post(`/volunteer/tasks/${enc(taskId)}/check-in`, {}),
  checkOut: (taskId) => api.post(`/volunteer/tasks/${enc(taskId)}/check-out`, {}),
  rate: (taskId, stars, comment) => api.post(`/volunteer/tasks/${enc(taskId)}/rate`, { stars, comment })
};
