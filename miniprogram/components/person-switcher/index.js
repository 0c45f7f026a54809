// Guardian mode: shows, on every page, for whom the user is acting, and lets them switch between
// themselves and their wards. A plain list of big buttons (no swipe, no small dropdown).
const state = require('../../utils/state');

const RELATION_TEXT = { parent: '父母', spouse: '配偶', child: '子女', other_relative: '亲属', community_officer: '社区代办' };

function view() {
  const acting = state.actingPerson();
  const people = state.state.people.map((p) => ({
    personId: p.personId,
    label: p.isSelf ? `本人（${p.name}）` : `${p.name}（${RELATION_TEXT[p.relationship] || '代办'}）`,
    current: acting ? p.personId === acting.personId : false
  }));
  return {
    people,
    canSwitch: people.length > 1,
    forWard: Boolean(acting && !acting.isSelf),
    actingText: acting ? (acting.isSelf ? `正在为本人办理：${acting.name}` : `代办模式：正在为 ${acting.name} 办理`) : ''
  };
}

Component({
  data: { open: false, people: [], canSwitch: false, forWard: false, actingText: '' },
  lifetimes: {
    attached() {
      this.setData(view());
      this._off = state.subscribe(() => this.setData(view()));
    },
    detached() {
      if (this._off) this._off();
    }
  },
  methods: {
    toggle() {
      this.setData({ open: !this.data.open });
    },
    choose(e) {
      const id = e.currentTarget.dataset.id;
      state.setActingPerson(id);
      this.setData({ open: false });
      this.triggerEvent('change', { personId: id });
    }
  }
});
