// miniprogram-simulate renders into a DOM; under `node --test` we provide one with jsdom.
const { JSDOM } = require('jsdom');

function installDom() {
  if (global.window && global.document) return;
  const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
  global.window = dom.window;
  global.document = dom.window.document;
  // Node 20 has its own Event/CustomEvent; j-component must get jsdom's, or dispatchEvent refuses them.
  ['Event', 'CustomEvent'].forEach((k) => { global[k] = dom.window[k]; });
  ['Node', 'HTMLElement', 'Element', 'getComputedStyle', 'requestAnimationFrame'].forEach((k) => {
    if (dom.window[k] && !(k in global)) global[k] = dom.window[k];
  });
}

module.exports = { installDom };
