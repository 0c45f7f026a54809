// Reads the QR code in a PNG the way a verifier's scanner would, so that the end-to-end test can
// check what the electronic certificate's QR image really carries (test-only, no dependencies).
// It handles clean, upright, computer-made images (what the certificate service draws with
// segno): it finds the symbol, samples each module, reads the format, unmasks, de-interleaves
// the blocks, checks every block's Reed-Solomon syndromes (a damaged read fails loudly rather
// than returning wrong text) and decodes numeric, alphanumeric and byte segments.
const zlib = require('zlib');

// ---- PNG → a function telling whether pixel (x, y) is dark --------------------------------------
function readPng(buf) {
  const SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!SIG.every((b, i) => buf[i] === b)) throw new Error('not a PNG');
  let pos = 8;
  let ihdr = null;
  let palette = null;
  let trns = null;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      ihdr = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), depth: data[8], colorType: data[9], interlace: data[12] };
    } else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') trns = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  if (!ihdr) throw new Error('PNG without IHDR');
  if (ihdr.interlace) throw new Error('interlaced PNGs are not supported');
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[ihdr.colorType];
  const bitsPerPixel = channels * ihdr.depth;
  const bpp = Math.max(1, Math.ceil(bitsPerPixel / 8));
  const rowBytes = Math.ceil((ihdr.width * bitsPerPixel) / 8);
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const rows = [];
  let prev = Buffer.alloc(rowBytes);
  for (let y = 0; y < ihdr.height; y += 1) {
    const filter = raw[y * (rowBytes + 1)];
    const line = Buffer.from(raw.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1)));
    for (let i = 0; i < rowBytes; i += 1) {
      const a = i >= bpp ? line[i - bpp] : 0;
      const b = prev[i];
      const c = i >= bpp ? prev[i - bpp] : 0;
      let add = 0;
      if (filter === 1) add = a;
      else if (filter === 2) add = b;
      else if (filter === 3) add = Math.floor((a + b) / 2);
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a); const pb = Math.abs(p - b); const pc = Math.abs(p - c);
        add = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c);
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter}`);
      line[i] = (line[i] + add) & 0xff;
    }
    rows.push(line);
    prev = line;
  }
  const max = (1 << ihdr.depth) - 1;
  function sample(line, x) {
    if (ihdr.depth >= 8) {
      const step = ihdr.depth / 8;
      return Array.from({ length: channels }, (_, k) => (step === 1 ? line[x * channels + k] : line.readUInt16BE((x * channels + k) * 2) >> 8));
    }
    const bit = x * ihdr.depth;
    return [(line[bit >> 3] >> (8 - ihdr.depth - (bit & 7))) & max];
  }
  function luminance(x, y) {
    const s = sample(rows[y], x);
    switch (ihdr.colorType) {
      case 0: return (s[0] / max) * 255;
      case 3: {
        if (trns && s[0] < trns.length && trns[s[0]] < 128) return 255; // transparent: the page behind is light
        const p = palette.subarray(s[0] * 3, s[0] * 3 + 3);
        return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
      }
      case 4: return s[1] < 128 ? 255 : s[0];
      case 2: return 0.299 * s[0] + 0.587 * s[1] + 0.114 * s[2];
      default: return s[3] < 128 ? 255 : 0.299 * s[0] + 0.587 * s[1] + 0.114 * s[2];
    }
  }
  return { width: ihdr.width, height: ihdr.height, dark: (x, y) => luminance(x, y) < 128 };
}

// ---- the module grid ---------------------------------------------------------------------------
function moduleGrid(img) {
  let y0 = -1; let x0 = -1;
  for (let y = 0; y < img.height && y0 < 0; y += 1) {
    for (let x = 0; x < img.width; x += 1) if (img.dark(x, y)) { y0 = y; x0 = x; break; }
  }
  if (y0 < 0) throw new Error('no QR code in the image');
  let run = 0;
  while (x0 + run < img.width && img.dark(x0 + run, y0)) run += 1;
  const scale = run / 7; // the top-left finder pattern's top edge is 7 modules wide
  let x1 = img.width - 1;
  while (x1 > x0 && !img.dark(x1, y0)) x1 -= 1;
  const dim = Math.round((x1 - x0 + 1) / scale);
  if (dim < 21 || (dim - 17) % 4) throw new Error(`not a QR symbol (${dim} modules wide)`);
  const cells = [];
  for (let r = 0; r < dim; r += 1) {
    const row = [];
    for (let c = 0; c < dim; c += 1) row.push(img.dark(Math.floor(x0 + (c + 0.5) * scale), Math.floor(y0 + (r + 0.5) * scale)));
    cells.push(row);
  }
  return { dim, get: (x, y) => cells[y][x] };
}

// ---- QR tables ---------------------------------------------------------------------------------
// Error correction per version (1-40) and level [L, M, Q, H]: [ec codewords per block,
// (number of blocks, data codewords per block)...] (ISO/IEC 18004 table 9, as segno has it).
const ECC = [[[7,1,19],[10,1,16],[13,1,13],[17,1,9]],[[10,1,34],[16,1,28],[22,1,22],[28,1,16]],[[15,1,55],[26,1,44],[18,2,17],[22,2,13]],[[20,1,80],[18,2,32],[26,2,24],[16,4,9]],[[26,1,108],[24,2,43],[18,2,15,2,16],[22,2,11,2,12]],[[18,2,68],[16,4,27],[24,4,19],[28,4,15]],[[20,2,78],[18,4,31],[18,2,14,4,15],[26,4,13,1,14]],[[24,2,97],[22,2,38,2,39],[22,4,18,2,19],[26,4,14,2,15]],[[30,2,116],[22,3,36,2,37],[20,4,16,4,17],[24,4,12,4,13]],[[18,2,68,2,69],[26,4,43,1,44],[24,6,19,2,20],[28,6,15,2,16]],[[20,4,81],[30,1,50,4,51],[28,4,22,4,23],[24,3,12,8,13]],[[24,2,92,2,93],[22,6,36,2,37],[26,4,20,6,21],[28,7,14,4,15]],[[26,4,107],[22,8,37,1,38],[24,8,20,4,21],[22,12,11,4,12]],[[30,3,115,1,116],[24,4,40,5,41],[20,11,16,5,17],[24,11,12,5,13]],[[22,5,87,1,88],[24,5,41,5,42],[30,5,24,7,25],[24,11,12,7,13]],[[24,5,98,1,99],[28,7,45,3,46],[24,15,19,2,20],[30,3,15,13,16]],[[28,1,107,5,108],[28,10,46,1,47],[28,1,22,15,23],[28,2,14,17,15]],[[30,5,120,1,121],[26,9,43,4,44],[28,17,22,1,23],[28,2,14,19,15]],[[28,3,113,4,114],[26,3,44,11,45],[26,17,21,4,22],[26,9,13,16,14]],[[28,3,107,5,108],[26,3,41,13,42],[30,15,24,5,25],[28,15,15,10,16]],[[28,4,116,4,117],[26,17,42],[28,17,22,6,23],[30,19,16,6,17]],[[28,2,111,7,112],[28,17,46],[30,7,24,16,25],[24,34,13]],[[30,4,121,5,122],[28,4,47,14,48],[30,11,24,14,25],[30,16,15,14,16]],[[30,6,117,4,118],[28,6,45,14,46],[30,11,24,16,25],[30,30,16,2,17]],[[26,8,106,4,107],[28,8,47,13,48],[30,7,24,22,25],[30,22,15,13,16]],[[28,10,114,2,115],[28,19,46,4,47],[28,28,22,6,23],[30,33,16,4,17]],[[30,8,122,4,123],[28,22,45,3,46],[30,8,23,26,24],[30,12,15,28,16]],[[30,3,117,10,118],[28,3,45,23,46],[30,4,24,31,25],[30,11,15,31,16]],[[30,7,116,7,117],[28,21,45,7,46],[30,1,23,37,24],[30,19,15,26,16]],[[30,5,115,10,116],[28,19,47,10,48],[30,15,24,25,25],[30,23,15,25,16]],[[30,13,115,3,116],[28,2,46,29,47],[30,42,24,1,25],[30,23,15,28,16]],[[30,17,115],[28,10,46,23,47],[30,10,24,35,25],[30,19,15,35,16]],[[30,17,115,1,116],[28,14,46,21,47],[30,29,24,19,25],[30,11,15,46,16]],[[30,13,115,6,116],[28,14,46,23,47],[30,44,24,7,25],[30,59,16,1,17]],[[30,12,121,7,122],[28,12,47,26,48],[30,39,24,14,25],[30,22,15,41,16]],[[30,6,121,14,122],[28,6,47,34,48],[30,46,24,10,25],[30,2,15,64,16]],[[30,17,122,4,123],[28,29,46,14,47],[30,49,24,10,25],[30,24,15,46,16]],[[30,4,122,18,123],[28,13,46,32,47],[30,48,24,14,25],[30,42,15,32,16]],[[30,20,117,4,118],[28,40,47,7,48],[30,43,24,22,25],[30,10,15,67,16]],[[30,19,118,6,119],[28,18,47,31,48],[30,34,24,34,25],[30,20,15,61,16]]];
const LEVELS = { 1: 0, 0: 1, 3: 2, 2: 3 }; // format bits → index in [L, M, Q, H]

function formatCodeword(data5) {
  let rem = data5 << 10;
  for (let i = 14; i >= 10; i -= 1) if (rem & (1 << i)) rem ^= 0x537 << (i - 10);
  return ((data5 << 10) | rem) ^ 0x5412;
}

function alignmentCenters(version) {
  if (version === 1) return [];
  const size = version * 4 + 17;
  const n = Math.floor(version / 7) + 2;
  const step = version === 32 ? 26 : Math.floor((version * 4 + n * 2 + 1) / (n * 2 - 2)) * 2;
  const out = [6];
  for (let pos = size - 7; out.length < n; pos -= step) out.splice(1, 0, pos);
  return out;
}

function functionPatterns(version, dim) {
  const fn = Array.from({ length: dim }, () => new Array(dim).fill(false));
  const region = (left, top, w, h) => {
    for (let y = top; y < top + h; y += 1) for (let x = left; x < left + w; x += 1) fn[y][x] = true;
  };
  region(0, 0, 9, 9);
  region(dim - 8, 0, 8, 9);
  region(0, dim - 8, 9, 8);
  const centers = alignmentCenters(version);
  const last = centers.length - 1;
  centers.forEach((cx, i) => centers.forEach((cy, j) => {
    if ((i === 0 && (j === 0 || j === last)) || (i === last && j === 0)) return;
    region(cx - 2, cy - 2, 5, 5);
  }));
  region(6, 9, 1, dim - 17);
  region(9, 6, dim - 17, 1);
  if (version > 6) {
    region(dim - 11, 0, 3, 6);
    region(0, dim - 11, 6, 3);
  }
  return (x, y) => fn[y][x];
}

const MASKS = [
  (i, j) => (i + j) % 2 === 0,
  (i) => i % 2 === 0,
  (i, j) => j % 3 === 0,
  (i, j) => (i + j) % 3 === 0,
  (i, j) => (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0,
  (i, j) => ((i * j) % 2) + ((i * j) % 3) === 0,
  (i, j) => (((i * j) % 2) + ((i * j) % 3)) % 2 === 0,
  (i, j) => (((i + j) % 2) + ((i * j) % 3)) % 2 === 0
];

// GF(256) with the QR polynomial, for the syndrome check.
const EXP = new Array(512); const LOG = new Array(256);
(function tables() {
  let x = 1;
  for (let i = 0; i < 255; i += 1) { EXP[i] = x; LOG[x] = i; x <<= 1; if (x & 0x100) x ^= 0x11d; }
  for (let i = 255; i < 512; i += 1) EXP[i] = EXP[i - 255];
}());
function syndromesClean(block, ec) {
  for (let j = 0; j < ec; j += 1) {
    let s = 0;
    for (const c of block) s = (c ^ (s === 0 ? 0 : EXP[LOG[s] + j])) & 0xff;
    if (s !== 0) return false;
  }
  return true;
}

// ---- the decoder -------------------------------------------------------------------------------
function decodeGrid(grid) {
  const { dim, get } = grid;
  const version = (dim - 17) / 4;
  let bits = 0;
  const copy = (x, y) => { bits = (bits << 1) | (get(x, y) ? 1 : 0); };
  for (let i = 0; i < 6; i += 1) copy(i, 8);
  copy(7, 8); copy(8, 8); copy(8, 7);
  for (let j = 5; j >= 0; j -= 1) copy(8, j);
  let best = null;
  for (let d = 0; d < 32; d += 1) {
    let diff = formatCodeword(d) ^ bits; let n = 0;
    while (diff) { n += diff & 1; diff >>= 1; }
    if (!best || n < best.n) best = { d, n };
  }
  if (best.n > 3) throw new Error('unreadable format information');
  const level = LEVELS[best.d >> 3];
  const mask = MASKS[best.d & 7];
  const isFunction = functionPatterns(version, dim);

  const codewords = [];
  let cur = 0; let count = 0; let up = true;
  for (let j = dim - 1; j > 0; j -= 2) {
    if (j === 6) j -= 1;
    for (let k = 0; k < dim; k += 1) {
      const i = up ? dim - 1 - k : k;
      for (let col = 0; col < 2; col += 1) {
        const x = j - col;
        if (isFunction(x, i)) continue;
        cur = (cur << 1) | ((get(x, i) !== mask(i, x)) ? 1 : 0);
        count += 1;
        if (count === 8) { codewords.push(cur); cur = 0; count = 0; }
      }
    }
    up = !up;
  }

  const spec = ECC[version - 1][level];
  const ec = spec[0];
  const blocks = [];
  for (let g = 1; g < spec.length; g += 2) for (let b = 0; b < spec[g]; b += 1) blocks.push({ dataLen: spec[g + 1], data: [], ec: [] });
  const total = blocks.reduce((n, b) => n + b.dataLen + ec, 0);
  if (codewords.length < total) throw new Error(`read ${codewords.length} codewords, the version needs ${total}`);
  let idx = 0;
  const maxData = Math.max(...blocks.map((b) => b.dataLen));
  for (let i = 0; i < maxData; i += 1) blocks.forEach((b) => { if (i < b.dataLen) b.data.push(codewords[idx++]); });
  for (let i = 0; i < ec; i += 1) blocks.forEach((b) => b.ec.push(codewords[idx++]));
  blocks.forEach((b, n) => {
    if (!syndromesClean(b.data.concat(b.ec), ec)) throw new Error(`block ${n} fails its error-correction check (damaged or misread image)`);
  });
  const data = blocks.flatMap((b) => b.data);

  let bitPos = 0;
  const read = (n) => {
    let v = 0;
    for (let i = 0; i < n; i += 1, bitPos += 1) v = (v << 1) | ((data[bitPos >> 3] >> (7 - (bitPos & 7))) & 1);
    return v;
  };
  const left = () => data.length * 8 - bitPos;
  const sizeClass = version < 10 ? 0 : (version < 27 ? 1 : 2);
  const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
  const bytes = [];
  let text = '';
  const flush = () => { if (bytes.length) { text += Buffer.from(bytes).toString('utf8'); bytes.length = 0; } };
  while (left() >= 4) {
    const mode = read(4);
    if (mode === 0) break;
    if (mode === 7) { // ECI designator: keep reading as UTF-8
      const first = read(8);
      if ((first & 0xc0) === 0x80) read(8); else if ((first & 0xe0) === 0xc0) read(16);
    } else if (mode === 4) {
      const n = read([8, 16, 16][sizeClass]);
      for (let i = 0; i < n; i += 1) bytes.push(read(8));
    } else if (mode === 2) {
      flush();
      let n = read([9, 11, 13][sizeClass]);
      for (; n >= 2; n -= 2) { const v = read(11); text += ALNUM[Math.floor(v / 45)] + ALNUM[v % 45]; }
      if (n === 1) text += ALNUM[read(6)];
    } else if (mode === 1) {
      flush();
      let n = read([10, 12, 14][sizeClass]);
      for (; n >= 3; n -= 3) text += String(read(10)).padStart(3, '0');
      if (n === 2) text += String(read(7)).padStart(2, '0'); else if (n === 1) text += String(read(4));
    } else {
      throw new Error(`unsupported QR segment mode ${mode}`);
    }
  }
  flush();
  return { text, version, level: 'LMQH'[level] };
}

// PNG bytes (Buffer) or a data: URL / base64 string → {text, version, level}.
function decodeQrPng(input) {
  let buf = input;
  if (typeof input === 'string') buf = Buffer.from(input.replace(/^data:image\/png;base64,/, ''), 'base64');
  return decodeGrid(moduleGrid(readPng(buf)));
}

module.exports = { decodeQrPng, decodeGrid, readPng, moduleGrid, alignmentCenters };
