// Fails when any interactive element in any .wxml file has no aria-label (or no aria-role).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { problems, wxmlFiles } = require('../helpers/wxml-a11y');
const { ROOT } = require('../helpers/page-harness');

test('the checker itself catches unlabeled controls and bindtap elements', () => {
  const bad = `
    <button bindtap="go">去</button>
    <view bindtap="open" aria-role="button">打开</view>
    <input aria-label="" aria-role="textbox" />
    <navigator url="/x" aria-label="去 x">x</navigator>
    <picker mode="date" aria-label="{{a > b ? '日期' : '时间'}}" aria-role="button"><view>选</view></picker>
    <!-- <button>commented out</button> -->
    <view class="plain">不是控件</view>`;
  const found = problems(bad, 'bad.wxml');
  assert.deepEqual(found, [
    'bad.wxml:2 <button> has no aria-label',
    'bad.wxml:2 <button> has no aria-role',
    'bad.wxml:3 <view> has no aria-label',
    'bad.wxml:4 <input> has no aria-label',
    'bad.wxml:5 <navigator> has no aria-role'
  ]);
});

test('every interactive element in every .wxml file has an aria-label and an aria-role', () => {
  const files = wxmlFiles(ROOT);
  assert.ok(files.length >= 19, `expected all page and component templates, found ${files.length}`);
  const found = files.flatMap((f) => problems(fs.readFileSync(f, 'utf8'), path.relative(ROOT, f)));
  assert.deepEqual(found, []);
});

test('tap targets are at least 88rpx high', () => {
  const css = fs.readFileSync(path.join(ROOT, 'app.wxss'), 'utf8');
  for (const cls of ['.btn', '.input', '.choice', '.switch-row']) {
    const block = css.match(new RegExp(`\\n\\${cls}\\s*\\{([^}]*)\\}`));
    assert.ok(block, `${cls} is styled in app.wxss`);
    const h = Number((block[1].match(/min-height:\s*(\d+)rpx/) || [])[1]);
    assert.ok(h >= 88, `${cls} min-height ${h}rpx`);
  }
});
