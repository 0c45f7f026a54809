// Fresh module state for each test: a new wx shim as the global and an empty app state.
const { createWx } = require('./wx-shim');

function freshWx(opts) {
  const wx = createWx(opts);
  global.wx = wx;
  require('../../utils/state').reset();
  require('../../utils/api').tokens.clear();
  return wx;
}

// A handler from a table {"GET /me": body or (req) => ({statusCode, data})}.
function routes(table) {
  return (req) => {
    const url = new URL(req.url);
    const key = `${req.method} ${url.pathname.replace(/^\/api\/v1/, '')}`;
    const r = table[key];
    if (r === undefined) return { statusCode: 404, data: { error: { code: 'NOT_FOUND', message: `测试里没有 ${key}`, details: {}, request_id: 't' } } };
    if (typeof r === 'function') return r(req, url);
    return { statusCode: 200, data: r };
  };
}

function json(req) {
  return req.data || {};
}

module.exports = { freshWx, routes, json };
