// What every page shares, so each page file only holds its own logic:
//  - displayClass on the root view (large text / high contrast), kept in step with the settings
//  - acting: who the page is acting for (guardian mode), shown by <person-switcher>
//  - run(): show a busy state, turn failures into a sentence in errorText (said in words, with a
//    ⚠ sign, never only by colour), and return the result or null
//  - askFirst(): a plain yes/no modal before anything that cannot be undone
const state = require('./state');
const { userMessage, fieldErrors } = require('./errors');

function snapshot() {
  const p = state.actingPerson();
  return {
    displayClass: state.displayClass(),
    acting: p ? { personId: p.personId, name: p.name, isSelf: p.isSelf } : null
  };
}

// Resolves true when the user confirms; the buttons say what they do, not just 确定/取消.
function askFirst(title, content, confirmText, cancelText = '不用了') {
  return new Promise((resolve) => {
    wx.showModal({
      title, content, confirmText, cancelText,
      success: (r) => resolve(Boolean(r && r.confirm)),
      fail: () => resolve(false)
    });
  });
}

function definePage(def) {
  const userOnLoad = def.onLoad;
  const userOnShow = def.onShow;
  const userOnUnload = def.onUnload;
  const userOnActingChange = def.onActingChange;

  const page = Object.assign({}, def, {
    data: Object.assign({ displayClass: '', acting: null, busy: false, errorText: '', fieldErrors: {} }, def.data),

    onLoad(query) {
      this.setData(snapshot());
      let lastActing = this.data.acting && this.data.acting.personId;
      this._unsubscribe = state.subscribe(() => {
        const snap = snapshot();
        this.setData(snap);
        const now = snap.acting && snap.acting.personId;
        if (now !== lastActing) {
          lastActing = now;
          if (userOnActingChange) userOnActingChange.call(this, snap.acting);
        }
      });
      if (userOnLoad) return userOnLoad.call(this, query || {});
      return undefined;
    },

    onShow() {
      this.setData(snapshot());
      if (userOnShow) return userOnShow.call(this);
      return undefined;
    },

    onUnload() {
      if (this._unsubscribe) this._unsubscribe();
      if (userOnUnload) userOnUnload.call(this);
    },

    personId() {
      const p = state.actingPerson();
      return p ? p.personId : '';
    },

    // Refresh the page after a failed action without wiping the sentence that explains it.
    async keepError(fn) {
      const said = this.data.errorText;
      const fields = this.data.fieldErrors;
      await fn();
      if (said && !this.data.errorText) this.setData({ errorText: said, fieldErrors: fields });
    },

    async run(fn) {
      this.setData({ busy: true, errorText: '', fieldErrors: {} });
      try {
        return await fn();
      } catch (err) {
        this.setData({ errorText: userMessage(err), fieldErrors: fieldErrors(err) });
        return null;
      } finally {
        this.setData({ busy: false });
      }
    }
  });
  // eslint-disable-next-line no-undef
  return Page(page);
}

module.exports = { definePage, snapshot, askFirst };
