// Subscribe-message (订阅消息) templates. The keys are the ones the API understands
// (POST /me/subscriptions); the ids come from the mini-program admin console (订阅消息 → 我的模板)
// and differ per AppID, so they are configuration. An empty id means "not configured": the app then
// simply does not ask for that template.
const TEMPLATE_IDS = {
  application_status: '',
  appointment_reminder: '',
  volunteer_offer: '',
  payment: '',
  certificate_expiry: ''
};

// Which templates to ask for at which moment (asked right after the user did something that
// makes the reminder meaningful; WeChat allows at most 3 per request).
const MOMENTS = {
  certificate_submitted: ['application_status', 'certificate_expiry'],
  subsidy_submitted: ['application_status', 'payment'],
  booking_made: ['appointment_reminder'],
  help_requested: ['application_status'],
  volunteer_registered: ['volunteer_offer']
};

module.exports = { TEMPLATE_IDS, MOMENTS };
