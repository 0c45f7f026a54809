// Date and time choices as big buttons instead of scroll wheels (no precise gestures needed).
const format = require('../utils/format');

const WEEKDAY = ['日', '一', '二', '三', '四', '五', '六'];
const TIMES = ['08:00', '10:00', '14:00', '16:00', '19:00'];

function dayChoices(now = new Date(), count = 7) {
  const out = [];
  for (let i = 1; i <= count; i += 1) {
    const d = new Date(now.getTime() + i * 86400000);
    const day = format.dayString(d);
    const wd = new Date(`${day}T12:00:00+08:00`).getUTCDay();
    out.push({ value: day, label: `${i === 1 ? '明天 ' : ''}${Number(day.slice(5, 7))}月${Number(day.slice(8, 10))}日 星期${WEEKDAY[wd]}` });
  }
  return out;
}

// ISO time with the China offset, as the API wants.
function isoAt(day, time) {
  return day && time ? `${day}T${time}:00+08:00` : '';
}

module.exports = { dayChoices, isoAt, TIMES };
