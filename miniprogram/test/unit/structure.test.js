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
