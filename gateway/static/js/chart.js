// Horizontal SVG bar chart. The chart is an image with a title; the data table beside it is the
// text equivalent, so nothing is conveyed by the picture (or by colour) alone.
const NS = "http://www.w3.org/2000/svg";
let n = 0;

function s(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// bars: [{label, value, text, target?}], max: the scale's end (e.g. 100 for percentages)
export function barChart(title, bars, max) {
  const id = "chart-" + (++n);
  const rowH = 28, labelW = 190, width = 560, barW = width - labelW - 90;
  const top = Math.max(max || 0, ...bars.map((b) => Math.max(b.value, b.target || 0))) || 1;
  const svg = s("svg", { viewBox: "0 0 " + width + " " + (bars.length * rowH + 10), role: "img", "aria-labelledby": id + "-t" });
  svg.append(s("title", { id: id + "-t" }, title + "（数据见下表）"));
  bars.forEach((b, i) => {
    const y = i * rowH + 5;
    svg.append(s("text", { x: 0, y: y + 17 }, b.label.length > 14 ? b.label.slice(0, 13) + "…" : b.label));
    svg.append(s("rect", { class: "bar", x: labelW, y: y + 4, height: 18, width: Math.max(1, (b.value / top) * barW) }));
    svg.append(s("text", { x: labelW + Math.max(1, (b.value / top) * barW) + 6, y: y + 17 }, b.text));
    if (b.target) {
      const x = labelW + (b.target / top) * barW;
      svg.append(s("line", { class: "target", x1: x, x2: x, y1: y, y2: y + rowH - 2 }));
    }
  });
  const fig = document.createElement("figure");
  fig.className = "chart";
  const cap = document.createElement("figcaption");
  cap.textContent = title + (bars.some((b) => b.target) ? "（虚线为目标值）" : "");
  fig.append(cap, svg);
  return fig;
}
