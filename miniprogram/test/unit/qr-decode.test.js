// The test helper that reads QR images (the e2e journey scans the electronic certificate with it)
// against images made by segno, the library the certificate service draws its QR codes with.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const qr = require('../helpers/qr-decode');

const fixture = (name) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', name));
const LONG = 'https://example.gov.cn/api/v1/verify/eyJhbGciOiJFZERTQSJ9.test-token_0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRSTUVWXYZ.signature';

test('qr-decode: a long byte-mode payload (version 12, level M, several blocks)', () => {
  const out = qr.decodeQrPng(fixture('qr-long-m.png'));
  assert.equal(out.text, LONG);
  assert.equal(out.version, 12);
  assert.equal(out.level, 'M');
});

test('qr-decode: UTF-8 text, coloured modules, another scale and border, from a data: URL', () => {
  const url = `data:image/png;base64,${fixture('qr-utf8-h.png').toString('base64')}`;
  const out = qr.decodeQrPng(url);
  assert.equal(out.text, '残疾人证 电子证照');
  assert.equal(out.level, 'H');
});

test('qr-decode: a damaged symbol fails its error-correction check instead of giving wrong text', () => {
  const grid = qr.moduleGrid(qr.readPng(fixture('qr-long-m.png')));
  const flipped = { dim: grid.dim, get: (x, y) => (x === grid.dim - 1 && y === grid.dim - 1 ? !grid.get(x, y) : grid.get(x, y)) };
  assert.throws(() => qr.decodeGrid(flipped), /error-correction check/);
  assert.throws(() => qr.decodeQrPng(Buffer.from('not a png')), /not a PNG/);
});
