// 办事: every service in one list of big entries.
const { definePage } = require('../../utils/page');

const GROUPS = [
  { title: '残疾人证', items: [
    { url: '/pages/cert-apply/index', text: '申请办证、换证、补证等' },
    { url: '/pages/cert-card/index', text: '出示电子残疾人证' }
  ] },
  { title: '补贴', items: [{ url: '/pages/subsidy/index', text: '查看能领哪些补贴、领取记录' }] },
  { title: '康复', items: [
    { url: '/pages/rehab-search/index', text: '预约康复服务' },
    { url: '/pages/rehab-bookings/index', text: '我的康复预约' }
  ] },
  { title: '志愿帮助', items: [
    { url: '/pages/help-ask/index', text: '请志愿者帮忙' },
    { url: '/pages/volunteer-register/index', text: '我要当志愿者' },
    { url: '/pages/volunteer-work/index', text: '志愿者接单和服务时长' }
  ] }
];

definePage({ data: { groups: GROUPS } });
