// Finds interactive elements in WXML without an accessible name (aria-label) or role (aria-role).
// Interactive = a form/navigation control, or anything with a tap/press/change handler.
const fs = require('fs');
const path = require('path');

const INTERACTIVE_TAGS = ['button', 'input', 'textarea', 'picker', 'picker-view', 'switch', 'slider', 'checkbox', 'radio', 'navigator'];
const HANDLER = /^(bind|catch|capture-bind|capture-catch|mut-bind):?(tap|longpress|longtap|change|input)$/;

// Start tags with their attributes; quotes may hold '>' (e.g. {{a > b}}), so scan by hand.
function startTags(source) {
  const tags = [];
  const text = source.replace(/<!--[\s\S]*?-->/g, (m) => m.replace(/[^\n]/g, ' '));
  let i = 0;
  while ((i = text.indexOf('<', i)) !== -1) {
    if (!/[a-zA-Z]/.test(text[i + 1] || '')) { i += 1; continue; }
    let j = i + 1;
    let quote = '';
    while (j < text.length) {
      const c = text[j];
      if (quote) { if (c === quote) quote = ''; } else if (c === '"' || c === "'") quote = c; else if (c === '>') break;
      j += 1;
    }
    const raw = text.slice(i + 1, j).replace(/\/$/, '');
    const name = raw.match(/^[a-zA-Z][\w-]*/)[0];
    const attrs = {};
    const re = /([^\s=]+)(?:\s*=\s*("([^"]*)"|'([^']*)'))?/g;
    let m;
    const rest = raw.slice(name.length);
    while ((m = re.exec(rest))) attrs[m[1]] = m[3] !== undefined ? m[3] : (m[4] !== undefined ? m[4] : true);
    tags.push({ name, attrs, line: text.slice(0, i).split('\n').length });
    i = j;
  }
  return tags;
}

function isInteractive(tag) {
  return INTERACTIVE_TAGS.includes(tag.name) || Object.keys(tag.attrs).some((a) => HANDLER.test(a));
}

function problems(source, file = '') {
  const out = [];
  startTags(source).filter(isInteractive).forEach((t) => {
    const label = t.attrs['aria-label'];
    if (typeof label !== 'string' || !label.trim()) out.push(`${file}:${t.line} <${t.name}> has no aria-label`);
    const role = t.attrs['aria-role'];
    if (typeof role !== 'string' || !role.trim()) out.push(`${file}:${t.line} <${t.name}> has no aria-role`);
  });
  return out;
}

function wxmlFiles(dir) {
  const out = [];
  fs.readdirSync(dir, { withFileTypes: true }).forEach((e) => {
    if (e.name === 'node_modules' || e.name === 'test' || e.name.startsWith('.')) return;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...wxmlFiles(p));
    else if (e.name.endsWith('.wxml')) out.push(p);
  });
  return out;
}

module.exports = { startTags, isInteractive, problems, wxmlFiles };
