// Idempotency keys for writes: one key per user action, reused on every retry of that action,
// so the gateway returns the first result instead of doing the work twice.
let counter = 0;

function newKey() {
  counter = (counter + 1) % 1e6;
  const rand = Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0');
  return `mp-${Date.now().toString(36)}-${counter.toString(36)}-${rand}`;
}

module.exports = { newKey };
