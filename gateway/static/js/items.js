// Reading queue items whose exact fields belong to each service: one place that knows them.
export const since = (it) => it.waiting_since || it.since || it.step_entered_at || it.submitted_at || it.created_at || it.updated_at || null;
export const deadline = (it) => it.step_deadline || it.due_at || it.deadline || null;
export function isOverdue(it) {
  if (it.overdue === true || it.is_overdue === true) return true;
  if (it.overdue === false) return false;
  const d = deadline(it);
  return !!(d && new Date(d).getTime() < Date.now());
}
export const TYPE_NAMES = {
  new: "新办", renewal: "换领", replacement: "补办", change: "变更", transfer: "迁移", cancellation: "注销",
  living_allowance: "困难残疾人生活补贴", nursing_allowance: "重度残疾人护理补贴",
  psychiatric_medication: "精神病人服药补贴", pension_premium: "养老保险补助", home_modification: "家庭无障碍改造",
  child_rehab_aid: "儿童康复救助", assistive_device: "辅助器具补贴", wheelchair_fuel: "机动轮椅车燃油补贴",
  driving_training: "驾驶培训补贴",
};
export function what(it) {
  if (it.title) return it.title;
  if (it.type_name) return it.type_name;
  if (it.policy_name) return it.policy_name;
  const k = it.type || it.policy_code || it.service || it.kind;
  return TYPE_NAMES[k] || it.service_name || k || "—";
}
export const ACTION_NAMES = {
  accept: "受理", return: "退回补正", reject: "不予通过", schedule_assessment: "安排评残",
  record_assessment: "录入评残结果", approve: "审核通过", issue: "发证",
  "check-in": "签到", complete: "完成服务", "no-show": "登记爽约", verify: "审核通过", suspend: "暂停",
};
// status filters each service's queue understands
export const QUEUE_STATUSES = {
  certificate: ["submitted", "materials_accepted", "assessment_scheduled", "assessed", "public_notice", "approved"],
  subsidy: ["street_review", "county_review", "civil_affairs_review", "overdue", "routed_out"],
  rehab_booking: ["pending_staff_confirmation", "orphaned", "confirmed"],
  volunteer: ["pending_verification", "unmatched", "complaint"],
};
