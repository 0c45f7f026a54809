// Runs a page's logic without WeChat: captures the Page() definition, builds an instance with a
// setData that understands 'a.b' paths, and calls onLoad.
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');

function setPath(obj, key, value) {
  const parts = key.split('.');
  let o = obj;
  for (let i = 0; i < parts.length - 1; i += 1) {
    if (typeof o[parts[i]] !== 'object' || o[parts[i]] === null) o[parts[i]] = {};
    o = o[parts[i]];
  }
  o[parts[parts.length - 1]] = value;
}

function loadPage(name) {
  let def = null;
  global.Page = (d) => { def = d; };
  const file = path.join(ROOT, 'pages', name, 'index.js');
  delete require.cache[require.resolve(file)];
  require(file);
  const page = Object.create(def);
  page.data = JSON.parse(JSON.stringify(def.data || {}));
  page.setData = function setData(patch) {
    Object.keys(patch).forEach((k) => setPath(this.data, k, patch[k]));
  };
  return page;
}

// e.currentTarget.dataset / e.detail as WeChat passes them.
function tap(dataset = {}, detail = {}) {
  return { currentTarget: { dataset }, target: { dataset }, detail };
}

function installApp(app = {}) {
  const value = Object.assign({ globalData: {}, ready: Promise.resolve(), reloadSession: () => Promise.resolve() }, app);
  global.getApp = () => value;
  return value;
}

module.exports = { loadPage, tap, installApp, ROOT };
