// Real-name binding (POST /me/identity) and phone binding through the getPhoneNumber button.
const { definePage } = require('../../utils/page');
const account = require('../../services/account');
const auth = require('../../utils/auth');
const idnumber = require('../../utils/idnumber');

definePage({
  data: { name: '', idNumber: '', done: false, phoneMasked: '' },

  onName(e) { this.setData({ name: e.detail.value }); },
  onIdNumber(e) { this.setData({ idNumber: e.detail.value }); },

  checkForm() {
    const errors = {};
    if (!this.data.name.trim()) errors.name = '请填写姓名';
    const problem = idnumber.problem(this.data.idNumber);
    if (problem) errors.id_number = problem;
    return errors;
  },

  async submit() {
    const errors = this.checkForm();
    if (Object.keys(errors).length) {
      this.setData({ fieldErrors: errors, errorText: '请按提示修改后再提交' });
      return false;
    }
    const ok = await this.run(async () => {
      auth.adoptTokens(await account.bindIdentity(this.data.name.trim(), this.data.idNumber.trim().toUpperCase()));
      await getApp().reloadSession();
      return true;
    });
    if (ok) {
      this.setData({ done: true });
      wx.showToast({ title: '实名认证成功', icon: 'success' });
    }
    return Boolean(ok);
  },

  // e.detail.code exists only when the user agreed in WeChat's own dialog.
  async onPhone(e) {
    const code = e.detail && e.detail.code;
    if (!code) {
      this.setData({ errorText: '没有获得手机号授权。如需绑定，请再点一次并选择“允许”。' });
      return;
    }
    // the account in app state is read again so every page (我的) shows the bound phone
    const res = await this.run(async () => {
      const bound = await account.bindPhone(code);
      await getApp().reloadSession();
      return bound;
    });
    if (res) this.setData({ phoneMasked: res.phone_masked || res.phone || '已绑定' });
  }
});
