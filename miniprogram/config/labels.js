// Plain-Chinese names for the codes the API uses. One place, so every page says the same thing.
const CERT_TYPES = [
  { value: 'new', label: '新办残疾人证', hint: '第一次办证' },
  { value: 'renewal', label: '换领新证', hint: '证件到期或换第三代智能证' },
  { value: 'replacement', label: '补办', hint: '证件丢失或损坏' },
  { value: 'change', label: '变更类别或等级', hint: '重新评定后变化' },
  { value: 'transfer', label: '迁移', hint: '户口迁到别的地方' },
  { value: 'cancellation', label: '注销', hint: '不再需要残疾人证' }
];

const CATEGORIES = { 1: '视力残疾', 2: '听力残疾', 3: '言语残疾', 4: '肢体残疾', 5: '智力残疾', 6: '精神残疾', 7: '多重残疾' };
const GRADES = { 1: '一级', 2: '二级', 3: '三级', 4: '四级' };

const STATUS = {
  submitted: '已提交，等待街道审核',
  accepted: '街道已受理',
  returned: '被退回，需要补正材料',
  assessment_scheduled: '已安排评残',
  assessed: '评残已完成',
  approved: '县残联已审核通过',
  public_notice: '公示中',
  issued: '已发证',
  rejected: '未通过',
  withdrawn: '已撤回',
  pending: '处理中',
  under_review: '审核中',
  held: '已占位，请确认',
  confirmed: '已确认',
  cancelled: '已取消',
  completed: '已完成',
  no_show: '未到场',
  open: '等待志愿者接单',
  matching: '正在找志愿者',
  accepted_by_volunteer: '志愿者已接单',
  in_progress: '服务中',
  active: '正在享受',
  suspended: '已暂停',
  ended: '已结束',
  paid: '已发放',
  failed: '发放失败',
  returned_payment: '被退回',
  valid: '有效',
  expired: '已过期',
  replaced: '已换发',
  invalid: '无效'
};

const POLICIES = {
  living_allowance: '困难残疾人生活补贴',
  nursing_allowance: '重度残疾人护理补贴',
  psychiatric_medication: '重性精神病服药补贴',
  pension_premium: '养老保险缴费补助',
  home_modification: '家庭无障碍改造',
  child_rehab_aid: '残疾儿童康复救助',
  assistive_device: '辅助器具补贴',
  wheelchair_fuel: '残疾人机动轮椅车燃油补贴',
  driving_training: 'C5驾照培训补贴'
};

const SKILLS = [
  { value: 'escort', label: '陪同出行' },
  { value: 'sign_language', label: '手语翻译' },
  { value: 'legal_aid', label: '法律帮助' },
  { value: 'home_repair', label: '上门维修' },
  { value: 'tutoring', label: '辅导学习' },
  { value: 'psychological_support', label: '心理疏导' },
  { value: 'driving', label: '开车接送' },
  { value: 'daily_care', label: '生活照料' }
];

const REHAB_SERVICES = [
  '运动疗法', '偏瘫肢体综合训练', '脑瘫肢体综合训练', '截瘫综合训练', '作业疗法',
  '认知知觉功能障碍训练', '言语训练', '吞咽功能障碍训练', '日常生活能力评定',
  '辅具适配', '儿童康复训练', '精准康复需求评估', '康复进家庭'
];

const REGIONS = [
  { value: '500113', label: '重庆市巴南区' },
  { value: '230100', label: '哈尔滨市' },
  { value: '330200', label: '宁波市' },
  { value: '371000', label: '威海市' },
  { value: '440704', label: '江门市江海区' }
];

const RELATIONSHIPS = [
  { value: 'parent', label: '父母' },
  { value: 'spouse', label: '配偶' },
  { value: 'child', label: '子女' },
  { value: 'other_relative', label: '其他亲属' },
  { value: 'community_officer', label: '社区工作人员' }
];

function statusText(code) {
  return STATUS[code] || code || '';
}
function policyName(code, fallback) {
  return fallback || POLICIES[code] || code || '';
}
function skillName(code) {
  const s = SKILLS.find((x) => x.value === code);
  return s ? s.label : code;
}
function certTypeName(code) {
  const t = CERT_TYPES.find((x) => x.value === code);
  return t ? t.label : code;
}

module.exports = {
  CERT_TYPES, CATEGORIES, GRADES, STATUS, POLICIES, SKILLS, REHAB_SERVICES, REGIONS, RELATIONSHIPS,
  statusText, policyName, skillName, certTypeName
};

// Rough centres, used as the location when the user does not share theirs.
const REGION_CENTRES = {
  500113: { lat: 29.38, lng: 106.54 },
  230100: { lat: 45.8, lng: 126.53 },
  330200: { lat: 29.87, lng: 121.55 },
  371000: { lat: 37.51, lng: 122.12 },
  440704: { lat: 22.56, lng: 113.11 }
};
module.exports.REGION_CENTRES = REGION_CENTRES;
