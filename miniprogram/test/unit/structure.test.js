// Opening the folder in WeChat DevTools must just work: every page and component listed exists
// with its four files, and the project config is valid JSON with an AppID.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { ROOT } = require('../helpers/page-harness');

const readJson = (p) => JSON.parse(fs.readFileSync(path.join(ROOT, p), 'utf8'));

test('app.json pages, tab bar and global components exist', () => {
  const app = readJson('app.json');
  for (const page of app.pages) {
    for (const ext of ['js', 'wxml', 'wxss', 'json']) {
      assert.ok(fs.existsSync(path.join(ROOT, `${page}.${ext}`)), `${page}.${ext}`);
    }
    readJson(`${page}.json`);
  }
  app.tabBar.list.forEach((t) => assert.ok(app.pages.includes(t.pagePath), t.pagePath));
  Object.values(app.usingComponents).forEach((c) => {
    assert.equal(readJson(`${c.slice(1)}.json`).component, true, c);
  });
});

test('project.config.json opens as a mini-program with a placeholder AppID', () => {
  const cfg = readJson('project.config.json');
  assert.equal(cfg.compileType, 'miniprogram');
  assert.equal(cfg.appid, 'touristappid');
  assert.ok(cfg.packOptions.ignore.some((i) => i.value === 'node_modules'));
  readJson('sitemap.json');
});

// The contract test (tests/unit/gateway/test_miniprogram_contract.py) counts the endpoints of
// services/*.js; this makes sure each of them is reached from a page, component or the app.
test('every service function is called by the app itself, not only by tests', () => {
  const sources = [];
  const walk = (dir) => fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).forEach((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) walk(rel);
    else if (e.name.endsWith('.js')) sources.push(fs.readFileSync(path.join(ROOT, rel), 'utf8'));
  });
  ['pages', 'components', 'utils'].forEach(walk);
  sources.push(fs.readFileSync(path.join(ROOT, 'app.js'), 'utf8'));
  const code = sources.join('\n');
  for (const file of fs.readdirSync(path.join(ROOT, 'services')).filter((f) => f !== 'list.js')) {
    const mod = require(path.join(ROOT, 'services', file));
    for (const name of Object.keys(mod)) {
      assert.match(code, new RegExp(`\\.${name}\\(`), `services/${file} ${name} is not used by any page`);
    }
  }
});

test('the message page opens tab pages with switchTab: its list is the tab bar of app.json', () => {
  const { TAB_PAGES, target } = require('../../logic/messages');
  assert.deepEqual(TAB_PAGES, readJson('app.json').tabBar.list.map((t) => t.pagePath));
  assert.deepEqual(target('pages/home/index'), { method: 'switchTab', url: '/pages/home/index' });
  assert.deepEqual(target('pages/application/index?service=subsidy&id=s1'), { method: 'navigateTo', url: '/pages/application/index?service=subsidy&id=s1' });
});

// Guardian mode must be plain on every page that acts for a person: it carries the switcher that
// says "代办模式：正在为 X 办理". Pages about the account itself do not act for a ward.
test('every page that acts for a person shows the person switcher', () => {
  const ACCOUNT_PAGES = ['pages/identity/index', 'pages/messages/index', 'pages/volunteer-register/index', 'pages/volunteer-work/index'];
  for (const page of readJson('app.json').pages) {
    const wxml = fs.readFileSync(path.join(ROOT, `${page}.wxml`), 'utf8');
    assert.equal(wxml.includes('<person-switcher'), !ACCOUNT_PAGES.includes(page), page);
  }
});
