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

// Status codes as the services return them (certificate applications, subsidy applications and
// entitlements, rehab bookings, volunteer requests/tasks, certificates). The services also send a
// status_name; it is used for any code missing here (statusText's fallback).
const STATUS = {
  // certificate applications (services/certificate/workflow.py)
  submitted: '已提交，等待审核',
  returned_for_correction: '被退回，需要补正材料',
  materials_accepted: '街道已受理材料',
  assessment_scheduled: '已安排评残',
  assessed: '评残已完成',
  public_notice: '公示中',
  approved: '已审核通过',
  issued: '已发证',
  certificate_cancelled: '残疾人证已注销',
  rejected: '未通过',
  withdrawn: '已撤回',
  // subsidy applications and entitlements (services/subsidy)
  street_review: '街道初审中',
  county_review: '县残联审核中',
  civil_affairs_review: '民政审批中',
  returned: '被退回，需要补正材料',
  active: '正在享受',
  phase_out: '渐退期',
  suspended: '已暂停',
  ended: '已结束',
  pending: '处理中',
  paid: '已发放',
  failed: '发放失败',
  // rehab bookings (services/rehab_booking/states.py)
  held: '已占位，请确认',
  pending_staff_confirmation: '等待机构确认',
  confirmed: '已确认',
  checked_in: '已签到',
  completed: '已完成',
  cancelled: '已取消',
  expired: '已过期',
  no_show: '未到场',
  orphaned: '时段取消，请改约',
  // volunteer requests and tasks (services/volunteer/tasks.py)
  open: '等待志愿者接单',
  offering: '正在找志愿者',
  unmatched: '暂时没有找到志愿者',
  accepted: '志愿者已接单',
  in_progress: '服务中',
  // certificates
  valid: '有效',
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

// Codes of the rehab service catalogue (GET /rehab/services, services/rehab_booking/catalogue.py):
// the API takes and returns these codes, never the names.
const REHAB_SERVICES = [
  { value: 'movement_therapy', label: '运动疗法' },
  { value: 'hemiplegia_training', label: '偏瘫肢体综合训练' },
  { value: 'cerebral_palsy_training', label: '脑瘫肢体综合训练' },
  { value: 'paraplegia_training', label: '截瘫综合训练' },
  { value: 'occupational_therapy', label: '作业疗法' },
  { value: 'cognitive_perceptual_training', label: '认知知觉功能障碍训练' },
  { value: 'speech_training', label: '言语训练' },
  { value: 'dysphagia_training', label: '吞咽功能障碍训练' },
  { value: 'adl_assessment', label: '日常生活能力评定' },
  { value: 'assistive_device_fitting', label: '辅助器具适配' },
  { value: 'children_rehab_training', label: '儿童康复训练' },
  { value: 'child_screening', label: '疑似残疾儿童筛查' },
  { value: 'needs_assessment', label: '精准康复需求评估' },
  { value: 'home_visit', label: '康复进家庭' },
  { value: 'online_session', label: '线上康复指导' }
];

// Staff roles as they appear in an application's history (actor_role / role).
const ROLES = {
  applicant: '申请人',
  citizen: '申请人',
  suggestion: '系统主动发现',
  automatic: '系统',
  system: '系统',
  street_officer: '街道（乡镇）经办人',
  county_dpf: '县级残联',
  civil_affairs: '民政部门',
  assessor: '评残医生',
  institution_staff: '康复机构',
  volunteer_coordinator: '志愿服务协调员',
  admin: '管理员'
};

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

// fallback: the status_name the service sent, for codes this table does not know
function statusText(code, fallback) {
  return STATUS[code] || fallback || code || '';
}
function policyName(code, fallback) {
  return fallback || POLICIES[code] || code || '';
}
function skillName(code) {
  const s = SKILLS.find((x) => x.value === code);
  return s ? s.label : code;
}
function rehabServiceName(code, fallback) {
  const s = REHAB_SERVICES.find((x) => x.value === code);
  return s ? s.label : (fallback || code || '');
}
function roleName(code) {
  return ROLES[code] || code || '';
}
function certTypeName(code) {
  const t = CERT_TYPES.find((x) => x.value === code);
  return t ? t.label : code;
}

module.exports = {
  CERT_TYPES, CATEGORIES, GRADES, STATUS, POLICIES, SKILLS, REHAB_SERVICES, REGIONS, RELATIONSHIPS, ROLES,
  statusText, policyName, skillName, certTypeName, rehabServiceName, roleName
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
