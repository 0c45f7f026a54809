// Identity and accounts (API.md "Identity and accounts").
const api = require('../utils/api');
const { items } = require('./list');

module.exports = {
  wechatLogin: (code) => api.post('/auth/wechat-login', { code }, { auth: false }),
  me: () => api.get('/me'),
  bindIdentity: (name, idNumber) => api.post('/me/identity', { name, id_number: idNumber }),
  bindPhone: (code) => api.post('/me/phone', { code }),
  addWard: (name, idNumber, relationship) => api.post('/me/wards', { name, id_number: idNumber, relationship }),
  // results: {"<template_key>": "accept" | "reject" | "ban"}
  reportSubscriptions: (results) => api.post('/me/subscriptions', { results }),
  // every message sent or meant for this account, also those WeChat could not deliver
  notifications: () => api.get('/me/notifications').then(items),
  personFile: (personId) => api.get(`/people/${encodeURIComponent(personId)}/file`)
};
