// Guardian mode: add a person this account may act for (POST /me/wards).
const { definePage } = require('../../utils/page');
const account = require('../../services/account');
const auth = require('../../utils/auth');
const state = require('../../utils/state');
const idnumber = require('../../utils/idnumber');
const { RELATIONSHIPS } = require('../../config/labels');

definePage({
  data: { relationships: RELATIONSHIPS, name: '', idNumber: '', relationship: '', wards: [] },

  onShow() { this.showWards(); },
  showWards() { this.setData({ wards: state.state.people.filter((p) => !p.isSelf) }); },

  onName(e) { this.setData({ name: e.detail.value }); },
  onIdNumber(e) { this.setData({ idNumber: e.detail.value }); },
  chooseRelationship(e) { this.setData({ relationship: e.currentTarget.dataset.value }); },

  async submit() {
    const errors = {};
    if (!this.data.name.trim()) errors.name = '请填写家人的姓名';
    const problem = idnumber.problem(this.data.idNumber);
    if (problem) errors.id_number = problem;
    if (!this.data.relationship) errors.relationship = '请选择您和他/她的关系';
    if (Object.keys(errors).length) {
      this.setData({ fieldErrors: errors, errorText: '请按提示修改后再提交' });
      return false;
    }
    const ok = await this.run(async () => {
      auth.adoptTokens(await account.addWard(this.data.name.trim(), this.data.idNumber.trim().toUpperCase(), this.data.relationship));
      await getApp().reloadSession();
      return true;
    });
    if (ok) {
      this.setData({ name: '', idNumber: '', relationship: '' });
      this.showWards();
      wx.showToast({ title: '已添加', icon: 'success' });
    }
    return Boolean(ok);
  },

  actFor(e) {
    state.setActingPerson(e.currentTarget.dataset.id);
    wx.switchTab({ url: '/pages/home/index' });
  }
});
