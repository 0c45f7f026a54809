// The gateway's API: Bearer tokens in sessionStorage, one silent refresh on an expired token,
// the error envelope {"error": {code, message, details, request_id}} turned into ApiError.
const BASE = "/api/v1";
const KEY = "console.session";

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || "请求失败（" + status + "）");
    this.status = status;
    this.code = e.code || "HTTP_" + status;
    this.details = e.details || null;
    this.requestId = e.request_id || null;
  }
}

export function session() {
  try { return JSON.parse(sessionStorage.getItem(KEY)) || null; } catch (_) { return null; }
}

function save(tokens, staff) {
  const old = session() || {};
  const s = {
    access: tokens.access_token, refresh: tokens.refresh_token,
    expiresAt: Date.now() + (tokens.expires_in || 900) * 1000,
    staff: staff || old.staff,
  };
  sessionStorage.setItem(KEY, JSON.stringify(s));
  scheduleRefresh();
  return s;
}

export function logout() {
  sessionStorage.removeItem(KEY);
  clearTimeout(timer);
}

let refreshing = null;
let timer = null;

function scheduleRefresh() {
  clearTimeout(timer);
  const s = session();
  if (!s) return;
  const wait = Math.max(s.expiresAt - Date.now() - 60000, 5000);
  timer = setTimeout(() => { refresh().catch(() => {}); }, wait);
}

export function refresh() {
  if (!refreshing) {
    const s = session();
    refreshing = (async () => {
      if (!s || !s.refresh) throw new ApiError(401, { error: { message: "请重新登录", code: "UNAUTHORIZED" } });
      const r = await fetch(BASE + "/auth/refresh", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: s.refresh }),
      });
      const body = await r.json().catch(() => null);
      if (!r.ok) { logout(); throw new ApiError(r.status, body); }
      return save(body);
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

export async function login(username, password) {
  const r = await fetch(BASE + "/auth/staff-login", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, body);
  return save(body, body.staff);
}

export function resume() { if (session()) scheduleRefresh(); return session(); }

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? "?" + s : "";
}

// request("GET", "/admin/queues", {query: {service}}) -> parsed JSON (or text with raw: true)
export async function request(method, path, opts = {}, retried = false) {
  const s = session();
  const headers = { Accept: "application/json" };
  if (s) headers.Authorization = "Bearer " + s.access;
  let body;
  if (opts.body !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(opts.body); }
  if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
  const r = await fetch(BASE + path + query(opts.query), { method, headers, body });
  if (r.status === 401 && s && !retried) {
    const err = await r.clone().json().catch(() => null);
    if (err && err.error && err.error.code === "TOKEN_EXPIRED") {
      await refresh();
      return request(method, path, opts, true);
    }
  }
  if (opts.raw && r.ok) return { text: await r.text(), type: r.headers.get("Content-Type") || "" };
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = { text }; }
  if (!r.ok) {
    if (r.status === 401) { logout(); window.dispatchEvent(new CustomEvent("console:logout")); }
    throw new ApiError(r.status, data);
  }
  return data;
}

export const get = (path, q) => request("GET", path, { query: q });
export const post = (path, body, extra) => request("POST", path, Object.assign({ body: body || {} }, extra || {}));

let routeCache = null;
// The gateway's own route table (OpenAPI with x-auth / x-roles): menus follow what exists.
export async function routeTable() {
  if (!routeCache) {
    const r = await fetch("/api/openapi.json");
    const doc = r.ok ? await r.json() : { paths: {} };
    routeCache = {};
    for (const [p, ops] of Object.entries(doc.paths || {})) {
      const path = p.startsWith(BASE) ? p.slice(BASE.length) : p;
      for (const [m, op] of Object.entries(ops)) routeCache[m.toUpperCase() + " " + path] = op;
    }
  }
  return routeCache;
}
