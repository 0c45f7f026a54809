// Reading queue items whose exact fields belong to each service: one place that guesses.
export const since = (it) => it.step_entered_at || it.waiting_since || it.submitted_at || it.created_at || it.updated_at || null;
export const deadline = (it) => it.step_deadline || it.deadline || it.due_at || null;
export function isOverdue(it) {
  if (it.overdue === true || it.is_overdue === true) return true;
  const d = deadline(it);
  return !!(d && new Date(d).getTime() < Date.now() && it.overdue !== false);
}
export const TYPE_NAMES = {
  new: "新办", renewal: "换领", replacement: "补办", change: "变更", transfer: "迁移", cancellation: "注销",
  living_allowance: "困难残疾人生活补贴", nursing_allowance: "重度残疾人护理补贴",
  psychiatric_medication: "精神病人服药补贴", pension_premium: "养老保险补助", home_modification: "家庭无障碍改造",
  child_rehab_aid: "儿童康复救助", assistive_device: "辅助器具补贴", wheelchair_fuel: "机动轮椅车燃油补贴",
  driving_training: "驾驶培训补贴",
};
export function what(it) {
  const k = it.type || it.policy_code || it.service || it.kind || it.skill;
  return TYPE_NAMES[k] || k || "—";
}
export const ACTION_NAMES = {
  accept: "受理", return: "退回补正", reject: "不予通过", schedule_assessment: "安排评残",
  record_assessment: "录入评残结果", approve: "审核通过", issue: "发证", check_in: "签到",
  "check-in": "签到", complete: "完成服务", "no-show": "标记未到", no_show: "标记未到",
  verify: "审核通过", suspend: "暂停",
};
