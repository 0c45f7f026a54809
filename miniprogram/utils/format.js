// Small display helpers: money in fen → yuan, ISO times → plain Chinese dates.
function yuan(fen) {
  if (fen === undefined || fen === null || fen === '') return '';
  const n = Number(fen);
  return `${(n / 100).toFixed(n % 100 === 0 ? 0 : 2)}元`;
}

const pad = (n) => String(n).padStart(2, '0');

// Shown in China time whatever the phone's zone is set to.
function toShanghai(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return null;
  return new Date(d.getTime() + 8 * 3600 * 1000);
}

function dateText(iso) {
  const d = toShanghai(iso);
  return d ? `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日` : '';
}

function dateTimeText(iso) {
  const d = toShanghai(iso);
  return d ? `${dateText(iso)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}` : '';
}

// 'YYYY-MM-DD' of a Date in China time (for date pickers and slot queries).
function dayString(date) {
  const d = new Date(date.getTime() + 8 * 3600 * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function daysBetween(fromIso, toIso) {
  return Math.floor((new Date(toIso).getTime() - new Date(fromIso).getTime()) / 86400000);
}

module.exports = { yuan, dateText, dateTimeText, dayString, daysBetween };
