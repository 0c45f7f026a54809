import * as api from "../api.js";
import { el, field, formData, markInvalid, showError, announce } from "../ui.js";

export default async function loginPage(page) {
  const form = el("form", { class: "login-box", novalidate: true, "aria-labelledby": "page-title" },
    el("p", {}, "请使用工作账号登录。账号格式为“岗位.地区代码”，例如 county_dpf.500113。"),
    field({ label: "账号", name: "username", required: true, autocomplete: "username" }),
    field({ label: "密码", name: "password", type: "password", required: true, autocomplete: "current-password" }),
    el("div", { class: "button-row" }, el("button", { type: "submit", class: "button" }, "登录")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = formData(form);
    const missing = {};
    if (!data.username) missing.username = ["请填写账号"];
    if (!data.password) missing.password = ["请填写密码"];
    if (Object.keys(missing).length) { markInvalid(form, { details: missing }); return; }
    try {
      await api.login(data.username, data.password);
      announce("登录成功");
      window.dispatchEvent(new CustomEvent("console:login"));
    } catch (err) {
      showError(err);
      markInvalid(form, err);
      form.querySelector("[name=password]").focus();
    }
  });
  page.replaceChildren(form);
}
