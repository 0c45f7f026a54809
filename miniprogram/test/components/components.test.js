// Component tests with Tencent's miniprogram-simulate (j-component under jsdom).
require('../helpers/dom').installDom();
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const simulate = require('miniprogram-simulate');
const { freshWx } = require('../helpers/fresh');
const state = require('../../utils/state');

const COMPONENTS = path.join(__dirname, '..', '..', 'components');

// Each component is loaded once. The pure-JS template compiler is used: the official (wcc) one
// keys its output by the path relative to rootPath, so two components both named index.wxml
// overwrite each other.
const loaded = {};
function render(name, props) {
  if (!loaded[name]) loaded[name] = simulate.load(path.join(COMPONENTS, name, 'index'), name, { compiler: 'simulate' });
  const id = loaded[name];
  const comp = simulate.render(id, props);
  comp.attach(document.createElement('parent-wrapper'));
  return comp;
}

// The simulate compiler keeps attribute names as written (aria-label), wcc camel-cases them.
function attrsOf(node, name) {
  const names = [name, name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)];
  const out = [];
  (function walk(n) {
    if (!n || typeof n !== 'object') return;
    if (n.attrs) {
      const a = Object.fromEntries(n.attrs.map((x) => [x.name, x.value]));
      names.forEach((k) => { if (a[k] !== undefined) out.push(a[k]); });
    }
    (n.children || []).forEach(walk);
  }(node));
  return out;
}

test('error-notice: hidden when empty; says "出错了" in words and is an alert', () => {
  const empty = render('error-notice', { text: '' });
  assert.equal(empty.dom.textContent.trim(), '');
  const comp = render('error-notice', { text: '网络连接不上' });
  assert.match(comp.dom.textContent, /⚠ 出错了/);
  assert.match(comp.dom.textContent, /网络连接不上/);
  const json = comp.toJSON();
  assert.deepEqual(attrsOf(json, 'ariaRole'), ['alert']);
  assert.deepEqual(attrsOf(json, 'ariaLabel'), ['出错了：网络连接不上']);
});

test('history-list: shows each step with the reason staff gave', () => {
  const comp = render('history-list', { rows: [
    { key: 'h0', when: '2025年3月1日 09:00', text: '已提交 → 被退回', who: '街道', reason: '照片不清楚' },
    { key: 'h1', when: '2025年3月2日 09:00', text: '被退回 → 街道已受理', who: '', reason: '' }
  ] });
  assert.match(comp.dom.textContent, /原因：照片不清楚/);
  assert.equal(comp.querySelectorAll('.step').length, 2);
  const empty = render('history-list', { rows: [] });
  assert.match(empty.dom.textContent, /还没有办理记录/);
});

test('person-switcher: shows guardian mode plainly and switches the acting person', async () => {
  freshWx();
  state.setMe({
    account: { id: 'a' },
    person: { id: 'p1', name_masked: '张*' },
    wards: [{ person_id: 'w1', name_masked: '李**', relationship: 'parent' }]
  });
  const comp = render('person-switcher', {});
  assert.match(comp.dom.textContent, /正在为本人办理：张\*/);
  let changed = null;
  comp.addEventListener('change', (e) => { changed = e.detail; });

  comp.querySelector('.switch-btn').dispatchEvent('tap');
  await simulate.sleep(0);
  const people = comp.querySelectorAll('.person');
  assert.equal(people.length, 2);
  assert.ok(attrsOf(comp.toJSON(), 'ariaLabel').includes('改为为李**（父母）办理'));

  people[1].dispatchEvent('tap');
  await simulate.sleep(0);
  assert.equal(state.actingPerson().personId, 'w1');
  assert.deepEqual(changed, { personId: 'w1' });
  assert.match(comp.dom.textContent, /代办模式：正在为 李\*\* 办理/);
  assert.ok(comp.querySelector('.ward'), 'the banner switches to the ward style');
  comp.detach();
});

test('person-switcher: a single person gets no switch button', () => {
  freshWx();
  state.setMe({ account: { id: 'a' }, person: { id: 'p1', name_masked: '王*' }, wards: [] });
  const comp = render('person-switcher', {});
  assert.ok(!comp.querySelector('.switch-btn'));
  assert.match(comp.dom.textContent, /正在为本人办理：王\*/);
});
