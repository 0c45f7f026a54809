// Find designated rehab institutions by service and place.
const { definePage } = require('../../utils/page');
const rehab = require('../../services/rehab');
const labels = require('../../config/labels');
const state = require('../../utils/state');

function institutionRow(i) {
  const access = i.accessibility || {};
  const notes = Array.isArray(access) ? access : Object.keys(access).filter((k) => access[k] === true).map((k) => ACCESS_TEXT[k] || k);
  return {
    id: i.id,
    name: i.name,
    address: i.address || '',
    // services are catalogue codes; the service also sends their names (service_names)
    services: (i.service_names && i.service_names.length ? i.service_names : (i.services || []).map((s) => labels.rehabServiceName(s))).join('、'),
    accessibility: notes.join('、')
  };
}

function catalogueChoice(s) {
  return { value: s.code, label: `${s.name}${s.open_to_uncertified ? '（无需残疾人证）' : ''}` };
}

// Accessibility attributes of an institution (services/rehab_booking/institution.py).
const ACCESS_TEXT = { step_free: '无台阶或坡道通行', accessible_toilet: '无障碍卫生间', lift: '无障碍电梯', parking: '无障碍停车位', sign_language: '手语服务', braille: '盲文标识' };

definePage({
  data: { services: labels.REHAB_SERVICES, regions: labels.REGIONS, service: '', region: '', institutions: [], searched: false, rescheduleId: '' },

  onLoad(query) {
    const person = state.state.me && state.state.me.person;
    this.setData({
      service: query.service || '',
      region: (person && person.residence_region) || '',
      rescheduleId: query.reschedule || ''
    });
    return this.loadCatalogue();
  },

  // The service's own catalogue (GET /rehab/services); the list shipped in config/labels.js
  // stays when it cannot be read, so the page works offline from the catalogue.
  async loadCatalogue() {
    try {
      const list = await rehab.catalogue();
      if (list.length) this.setData({ services: list.map(catalogueChoice) });
    } catch (e) { /* keep the shipped list */ }
  },

  chooseService(e) { this.setData({ service: e.currentTarget.dataset.value }); },
  chooseRegion(e) { this.setData({ region: e.currentTarget.dataset.value }); },

  async search() {
    if (!this.data.region) {
      this.setData({ fieldErrors: { region: '请选择地区' }, errorText: '请先选择地区' });
      return;
    }
    const list = await this.run(() => rehab.institutions(this.data.region, this.data.service || undefined));
    if (list) this.setData({ institutions: list.map(institutionRow), searched: true });
  },

  openSlots(e) {
    const { id, name } = e.currentTarget.dataset;
    const q = `institution_id=${id}&service=${encodeURIComponent(this.data.service)}&name=${encodeURIComponent(name)}&reschedule=${this.data.rescheduleId}`;
    wx.navigateTo({ url: `/pages/rehab-slots/index?${q}` });
  }
});
