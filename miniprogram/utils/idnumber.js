// Resident ID number check (GB 11643: 17 digits + a mod 11-2 check character). The server checks
// again; checking here lets us say what is wrong before sending anything.
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

function checkCharacter(first17) {
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK[sum % 11];
}

// Returns '' when fine, otherwise a sentence saying what is wrong.
function problem(raw) {
  const n = String(raw || '').trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(n)) return '身份证号码应为18位，前17位是数字，最后一位是数字或X';
  if (checkCharacter(n.slice(0, 17)) !== n[17]) return '身份证号码最后一位不对，请核对后重新输入';
  const y = Number(n.slice(6, 10)); const m = Number(n.slice(10, 12)); const d = Number(n.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return '身份证号码中的出生日期不对';
  return '';
}

function make(first17) {
  return first17 + checkCharacter(first17);
}

module.exports = { checkCharacter, problem, make };
