// App entry: read display preferences (following the system font size on first run), then sign in
// silently. Pages wait for app.ready before loading their data.
const state = require('./utils/state');
const auth = require('./utils/auth');

App({
  globalData: { state: state.state },

  onLaunch() {
    state.loadPrefs();
    this.ready = auth.ensureSession().catch((err) => {
      // The home page shows this error and offers a retry button.
      this.globalData.startupError = err;
      return null;
    });
  },

  // Pages call this on retry, or after binding identity / adding a ward.
  reloadSession() {
    this.ready = auth.ensureSession();
    return this.ready;
  }
});
