// What each role sees. A menu entry appears only when the role may use it AND the gateway's
// route table (GET /api/openapi.json) has the routes it needs with that role allowed.
export const ROLE_NAMES = {
  street_officer: "街道/乡镇经办", county_dpf: "县残联", civil_affairs: "民政",
  assessor: "评残专家", institution_staff: "康复机构", volunteer_coordinator: "志愿服务协调员",
  auditor: "审计（只读）", admin: "管理员",
};

export const QUEUES = {
  certificate: { title: "残疾人证办理", roles: ["street_officer", "county_dpf", "assessor", "auditor"] },
  subsidy: { title: "补贴审核", roles: ["street_officer", "county_dpf", "civil_affairs", "auditor"] },
  rehab_booking: { title: "预约待办", roles: ["institution_staff", "county_dpf"] },
  volunteer: { title: "志愿者审核", roles: ["volunteer_coordinator", "auditor"] },
};

export const MENU = [
  ...Object.entries(QUEUES).map(([svc, q]) => ({
    path: "/console/queue/" + svc, title: q.title, roles: q.roles, tag: svc, needs: ["GET /admin/queues"],
  })),
  { path: "/console/payouts", title: "发放批次", roles: ["civil_affairs", "county_dpf"], tag: "subsidy",
    needs: ["POST /admin/subsidy/payout-batches"] },
  { path: "/console/bookings", title: "今日预约", roles: ["institution_staff", "county_dpf"], tag: "rehab_booking",
    needs: ["GET /admin/rehab/bookings"] },
  { path: "/console/rehab", title: "机构与排班", roles: ["institution_staff", "county_dpf"], tag: "rehab_booking",
    needs: ["GET /rehab/institutions"] },
  { path: "/console/dashboard", title: "数据看板", roles: null, needs: ["GET /admin/dashboard"] },
];

export function allowed(op, roles) {
  if (!op) return false;
  const need = op["x-roles"] || [];
  return !need.length || roles.includes("admin") || need.some((r) => roles.includes(r));
}

export function visibleMenu(staff, table) {
  const roles = (staff && staff.roles) || [];
  const tags = new Set(Object.values(table).flatMap((op) => op.tags || []));
  return MENU.filter((m) =>
    (!m.roles || roles.includes("admin") || m.roles.some((r) => roles.includes(r))) &&
    (!m.tag || tags.has(m.tag)) &&
    m.needs.every((k) => allowed(table[k], roles)));
}
