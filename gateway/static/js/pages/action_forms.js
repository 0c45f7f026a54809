// The extra fields each workflow action asks for (services/certificate/workflow.py and
// services/subsidy/workflow.py: return and reject need a reason).

export function actionFields(action, maxlength) {
  const REASON = { label: "原因", name: "reason", type: "textarea", required: true, maxlength, hint: "将告知申请人，最多" + maxlength + "字" };
  const NOTE = { label: "意见（可选）", name: "reason", type: "textarea", maxlength };
  switch (action) {
    case "return": return [Object.assign({}, REASON, { label: "退回补正的原因" })];
    case "reject": return [Object.assign({}, REASON, { label: "不予通过的原因" })];
    case "schedule_assessment": return [
      { label: "评残专家账号", name: "assessor_id", required: true, hint: "例如 assessor.500113" },
      { label: "评残时间", name: "scheduled_at", type: "datetime-local", required: true },
      { label: "方式", name: "mode", options: [["clinic", "到评定机构"], ["home_visit", "上门评残"]] },
      { label: "地点", name: "location" },
    ];
    case "record_assessment": return [
      { label: "残疾类别", name: "category", required: true, options: [["", "请选择"], ["1", "视力"], ["2", "听力"],
        ["3", "言语"], ["4", "肢体"], ["5", "智力"], ["6", "精神"], ["7", "多重"]] },
      { label: "残疾等级", name: "grade", required: true, options: [["", "请选择"], ["1", "一级"], ["2", "二级"], ["3", "三级"], ["4", "四级"]] },
      { label: "评定意见", name: "notes", type: "textarea" },
    ];
    default: return [NOTE];
  }
}

// When the service does not list the actions, the workflow tables give them by status and role.
const CERT = {
  submitted: { street_officer: ["accept", "return", "reject"], county_dpf: ["approve", "reject"] },
  materials_accepted: { county_dpf: ["schedule_assessment", "approve", "reject"] },
  assessment_scheduled: { county_dpf: ["schedule_assessment", "reject"], assessor: ["record_assessment", "reject"] },
  assessed: { county_dpf: ["approve", "reject"] },
  public_notice: { county_dpf: ["issue", "reject"] },
  approved: { county_dpf: ["issue"] },
};
const SUBSIDY = {
  street_review: { street_officer: ["approve", "return", "reject"] },
  county_review: { county_dpf: ["approve", "return", "reject"] },
  civil_affairs_review: { civil_affairs: ["approve", "return", "reject"] },
};

export function fallbackActions(service, status, roles) {
  const table = (service === "certificate" ? CERT : SUBSIDY)[status] || {};
  const all = roles.includes("admin") ? Object.values(table).flat() : roles.flatMap((r) => table[r] || []);
  return [...new Set(all)];
}
