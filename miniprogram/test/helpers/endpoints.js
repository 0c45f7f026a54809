// Every HTTP endpoint the mini-program calls, as JSON on stdout:
//   [{"method": "POST", "path": "/me/wards", "body": ["name", ...] | null, "query": [...] | null}]
// Each function of services/*.js is called with placeholder arguments while the API client's
// get/post only record; a path parameter shows as {}. A body passed through from a page shows as
// null (its keys are the page's). The client's own /auth/refresh is read from utils/api.js.
// tests/unit/gateway/test_miniprogram_contract.py checks the list against the gateway's routes.
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');
const api = require('../../utils/api');

const ARG = 'ARG';
const seen = [];
const keysOf = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v).sort() : null);
function record(method, p, body, query) {
  seen.push({ method, path: p.split('/').map((s) => (s.startsWith(ARG) ? '{}' : s)).join('/'), body, query });
  return Promise.resolve({ items: [] });
}
api.get = (p, query) => record('GET', p, null, keysOf(query));
api.post = (p, data) => record('POST', p, keysOf(data), null);

async function main() {
  const dir = path.join(ROOT, 'services');
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.js') && f !== 'list.js').sort()) {
    for (const [name, fn] of Object.entries(require(path.join(dir, file)))) {
      const before = seen.length;
      await fn(...Array.from({ length: Math.max(fn.length, 1) }, (_, i) => `${ARG}${i}`));
      if (seen.length !== before + 1) throw new Error(`services/${file} ${name} made ${seen.length - before} calls`);
    }
  }
  const own = fs.readFileSync(path.join(ROOT, 'utils', 'api.js'), 'utf8');
  for (const m of own.matchAll(/send\('(GET|POST)', '([^']+)', \{ ?(\w+)/g)) {
    seen.push({ method: m[1], path: m[2], body: [m[3]], query: null });
  }
  process.stdout.write(JSON.stringify(seen));
}

main().catch((err) => { console.error(err); process.exit(1); });
