// The console shell: login state, menus per role (from the gateway's own route table), routing.
import * as api from "./api.js";
import { el, announce, showError, clearError } from "./ui.js";
import { MENU, ROLE_NAMES, visibleMenu } from "./menu.js";
import loginPage from "./pages/login.js";
import queuePage from "./pages/queue.js";
import detailPage from "./pages/detail.js";
import payoutsPage from "./pages/payouts.js";
import rehabPage from "./pages/rehab.js";
import bookingsPage from "./pages/bookings.js";
import dashboardPage from "./pages/dashboard.js";

const ROUTES = [
  [/^\/console\/queue\/([a-z_]+)$/, queuePage],
  [/^\/console\/applications\/(certificate|subsidy)\/([^/]+)$/, detailPage],
  [/^\/console\/payouts(?:\/([^/]+))?$/, payoutsPage],
  [/^\/console\/rehab$/, rehabPage],
  [/^\/console\/bookings$/, bookingsPage],
  [/^\/console\/dashboard$/, dashboardPage],
];

let menu = [];

let shown = null;   // path + query on screen: a change of #hash alone (the skip link) is no navigation

export function navigate(path, replace) {
  if (replace) history.replaceState({}, "", path); else history.pushState({}, "", path);
  render();
}

async function render() {
  shown = location.pathname + location.search;
  clearError();
  const s = api.session();
  const page = document.getElementById("page");
  const path = location.pathname.replace(/\/+$/, "") || "/console";
  if (!s) {
    shell(null);
    return show("登录", loginPage, [], page);
  }
  if (!menu.length) menu = visibleMenu(s.staff, await api.routeTable().catch(() => ({})));
  shell(s);
  for (const [re, fn] of ROUTES) {
    const m = path.match(re);
    if (m) return show(null, fn, m.slice(1), page);
  }
  navigate(menu.length ? menu[0].path : "/console/dashboard", true);
}

async function show(title, fn, args, page) {
  page.replaceChildren(el("p", {}, "正在加载……"));
  page.setAttribute("aria-busy", "true");
  const ctx = { session: api.session(), menu, navigate, setTitle };
  try {
    await fn(page, ctx, ...args);
  } catch (err) {
    page.replaceChildren();
    showError(err);
  } finally {
    page.removeAttribute("aria-busy");
  }
  if (title) setTitle(title);
}

let firstRender = true;
function setTitle(text) {
  document.getElementById("page-title").textContent = text;
  document.title = text + " · 工作人员后台";
  if (!firstRender) {
    document.getElementById("page-title").setAttribute("tabindex", "-1");
    document.getElementById("page-title").focus();
    announce("已打开：" + text);
  }
  firstRender = false;
}

function shell(s) {
  const nav = document.getElementById("main-nav");
  const box = document.getElementById("user-box");
  nav.hidden = !s;
  box.hidden = !s;
  if (!s) return;
  const st = s.staff || {};
  document.getElementById("user-label").textContent =
    (st.roles || []).map((r) => ROLE_NAMES[r] || r).join("、") + " · " + (st.region || "") + " · " + (st.id || "");
  const here = location.pathname;
  document.getElementById("menu").replaceChildren(...menu.map((m) =>
    el("li", {}, el("a", { href: m.path, "aria-current": here === m.path || here.startsWith(m.path + "/") ? "page" : null }, m.title))));
}

document.addEventListener("click", (e) => {
  const a = e.target.closest && e.target.closest("a[href^='/console']");
  if (!a || a.hasAttribute("download") || e.ctrlKey || e.metaKey || e.shiftKey) return;
  e.preventDefault();
  navigate(a.getAttribute("href"));
});
window.addEventListener("popstate", () => { if (location.pathname + location.search !== shown) render(); });
window.addEventListener("console:logout", () => { menu = []; navigate("/console/", true); });
document.getElementById("logout-button").addEventListener("click", () => {
  api.logout();
  menu = [];
  navigate("/console/", true);
  announce("已退出登录");
});
window.addEventListener("console:login", () => { menu = []; navigate("/console/", true); });

api.resume();
render();
