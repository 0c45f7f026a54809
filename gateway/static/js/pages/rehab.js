// Designated institutions and their weekly schedules (institution staff, county 残联).
import * as api from "../api.js";
import { el, field, formData, markInvalid, table, announce, showError, render } from "../ui.js";

const SERVICES = [["运动疗法", "运动疗法"], ["作业疗法", "作业疗法"], ["言语训练", "言语训练"],
  ["辅具适配", "辅具适配"], ["儿童康复训练", "儿童康复训练"], ["精准康复需求评估", "精准康复需求评估"]];

export default async function rehabPage(page, ctx) {
  ctx.setTitle("机构与排班");
  const staff = ctx.session.staff || {};
  const data = await api.get("/rehab/institutions", { region: staff.region });
  const list = (data && data.items) || [];
  const mine = staff.institution_id ? list.filter((i) => i.id === staff.institution_id) : list;
  const scheduleForm = el("form", { novalidate: true, "aria-labelledby": "sched-h" },
    el("h2", { id: "sched-h" }, "新增每周排班"),
    field({ label: "机构", name: "institution_id", required: true, options: [["", "请选择"], ...mine.map((i) => [i.id, i.name || i.id])] }),
    field({ label: "服务项目", name: "service", required: true, options: [["", "请选择"], ...SERVICES] }),
    field({ label: "星期", name: "weekday", required: true, options: [["1", "星期一"], ["2", "星期二"], ["3", "星期三"], ["4", "星期四"], ["5", "星期五"], ["6", "星期六"], ["7", "星期日"]] }),
    field({ label: "开始时间", name: "start", type: "time", required: true, value: "09:00" }),
    field({ label: "时长（分钟）", name: "duration_minutes", type: "number", required: true, value: "60", min: 10, max: 480 }),
    field({ label: "名额", name: "capacity", type: "number", required: true, value: "4", min: 1, max: 100 }),
    el("div", { class: "button-row" }, el("button", { type: "submit", class: "button" }, "保存排班")));
  scheduleForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = formData(scheduleForm);
    for (const k of ["weekday", "duration_minutes", "capacity"]) if (body[k]) body[k] = Number(body[k]);
    try {
      await api.post("/admin/rehab/schedules", body);
      announce("排班已保存");
      await rehabPage(page, ctx);
    } catch (err) { showError(err); markInvalid(scheduleForm, err); }
  });
  page.replaceChildren(
    el("p", {}, "今日预约的签到、完成和未到，请在", el("a", { href: "/console/queue/rehab_booking" }, "今日预约与排班"), "中办理。"),
    el("section", { "aria-labelledby": "inst-h" }, el("h2", { id: "inst-h" }, "定点康复机构"),
      table({ caption: "本辖区定点康复机构", rows: mine, empty: "本辖区暂无定点康复机构。", columns: [
        { label: "名称", render: (i) => i.name || i.id },
        { label: "地址", render: (i) => i.address || "—" },
        { label: "服务项目", render: (i) => (i.services || []).map((s) => s.name || s.code || s).join("、") || "—" },
        { label: "无障碍设施", render: (i) => render(i.accessibility) },
        { label: "状态", render: (i) => i.designated === false ? "已取消定点" : (i.status || "定点") }] })),
    scheduleForm);
}
