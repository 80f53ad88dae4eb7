// The parigot dashboard: draws what the host's /api answers, refreshed every second. Every
// value from the wos is put in the page as text, never as markup.
"use strict";

const REFRESH_MS = 1000;
const COLORS = ["#3257d6", "#2f8f5b", "#c88a12", "#8e44ad", "#c62f3d", "#16a2b8", "#6d4c41", "#d81b60"];

let wos = null;
let chosenTrace = null;
let colorOf = new Map();

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json();
  if (!response.ok && body.error === undefined) throw new Error(`${path}: ${response.status}`);
  return body;
}

/** An element with `attributes` and `children` (strings become text). */
function el(tag, attributes = {}, ...children) {
  const svg = ["svg", "g", "rect", "text", "path", "defs", "marker", "title"].includes(tag);
  const node = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function serviceColor(service) {
  if (!colorOf.has(service)) colorOf.set(service, COLORS[colorOf.size % COLORS.length]);
  return colorOf.get(service);
}

function micros(us) {
  if (us >= 1e6) return `${(us / 1e6).toFixed(2)} s`;
  if (us >= 1e3) return `${(us / 1e3).toFixed(2)} ms`;
  return `${us} µs`;
}

function bytes(n) {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  return `${Math.round(n / 1024)} KiB`;
}

/** The interface without its version: `example:hello/greeter`. */
function shortInterface(name) {
  return name.split("@")[0];
}

// ---- the picture ----

/** Places the nodes in columns: clients, then each service one column right of its callers. */
function layout(nodes, arrows) {
  const depth = new Map(nodes.map((node) => [node.id, 0]));
  for (let pass = 0; pass < nodes.length; pass++) {
    for (const arrow of arrows) {
      const next = depth.get(arrow.from) + 1;
      if (next > depth.get(arrow.to)) depth.set(arrow.to, next);
    }
  }
  const columns = [];
  for (const node of nodes) {
    const column = depth.get(node.id);
    (columns[column] ??= []).push(node);
  }
  const place = new Map();
  columns.forEach((column, x) => column.forEach((node, y) => place.set(node.id, { x: 30 + x * 230, y: 20 + y * 86 })));
  return place;
}

function drawPicture() {
  const nodes = [];
  const arrows = [];
  if (wos.served.length > 0) nodes.push({ id: "@edge", kind: "edge", name: "clients", sub: "gRPC and Connect" });
  for (const service of wos.services) {
    nodes.push({ id: service.name, kind: service.kind, name: service.name, sub: `${service.language ?? "component"} · ${service.kind}` });
  }
  for (const served of wos.served) arrows.push({ from: "@edge", to: served.provider, title: served.interface });
  for (const link of wos.links) arrows.push({ from: link.consumer, to: link.provider, title: link.interface });
  for (const remote of wos.remotes) {
    const id = `@remote ${remote.url}`;
    if (!nodes.some((node) => node.id === id)) nodes.push({ id, kind: "remote", name: "remote host", sub: remote.url });
    arrows.push({ from: remote.consumer, to: id, title: remote.interface, remote: true });
  }
  const place = layout(nodes, arrows);
  const width = Math.max(...[...place.values()].map((p) => p.x)) + 210;
  const height = Math.max(...[...place.values()].map((p) => p.y)) + 80;
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "the services of the wos and their links" },
    el("defs", {}, el("marker", { id: "head", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto" },
      el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#8792a8" }))));
  for (const arrow of arrows) {
    const from = place.get(arrow.from);
    const to = place.get(arrow.to);
    const [x1, y1, x2, y2] = [from.x + 170, from.y + 27, to.x, to.y + 27];
    const bend = (x2 - x1) / 2;
    svg.append(el("path", {
      class: arrow.remote ? "arrow remote" : "arrow",
      d: `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`,
      "data-from": arrow.from, "data-to": arrow.to,
    }, el("title", {}, shortInterface(arrow.title))));
  }
  for (const node of nodes) {
    const { x, y } = place.get(node.id);
    svg.append(el("g", { class: `node ${node.kind}`, "data-service": node.kind === "edge" || node.kind === "remote" ? null : node.name, transform: `translate(${x} ${y})` },
      el("rect", { width: 170, height: 54, rx: 8 }),
      el("text", { x: 12, y: 22 }, node.name),
      el("text", { x: 12, y: 41, class: "sub" }, node.sub)));
  }
  const picture = document.getElementById("wos-picture");
  picture.replaceChildren(svg);
}

// ---- the call form ----

function fillCallForm() {
  const select = document.getElementById("call-function");
  select.replaceChildren();
  for (const service of wos.services) {
    for (const exported of service.exports) {
      if (exported.interface.startsWith("wasi:")) continue;
      for (const fn of exported.functions) {
        const text = `${shortInterface(exported.interface)}.${fn}`;
        select.append(el("option", { value: text }, `${text}  (${service.name})`));
      }
    }
  }
  const logService = document.getElementById("log-service");
  for (const service of wos.services) logService.append(el("option", { value: service.name }, service.name));
}

async function callFunction(event) {
  event.preventDefault();
  const output = document.getElementById("call-result");
  const fn = document.getElementById("call-function").value;
  let args = document.getElementById("call-args").value.trim();
  let request;
  if (document.getElementById("call-mode").value === "json") {
    const dot = fn.lastIndexOf(".");
    let json;
    try {
      json = JSON.parse(args || "{}");
    } catch (error) {
      output.className = "result error";
      output.textContent = `the arguments are not JSON: ${error.message}`;
      return;
    }
    request = { interface: fn.slice(0, dot), function: fn.slice(dot + 1), json };
  } else {
    if (!args.startsWith("(")) args = `(${args})`;
    request = { call: `${fn}${args}` };
  }
  output.className = "result";
  output.textContent = "calling…";
  const answer = await api("/api/call", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(request),
  });
  if (answer.error !== undefined) {
    output.className = "result error";
    output.textContent = answer.error;
  } else {
    output.textContent = answer.json !== undefined ? JSON.stringify(answer.json, null, 2) : answer.results.join("\n") || "(no results)";
    chosenTrace = null; // show the call's own trace, the newest, when it arrives
    await refresh();
  }
}

// ---- live parts ----

function drawServices(state) {
  const language = new Map(wos.services.map((s) => [s.name, s.language ?? "component"]));
  const rows = state.services.map((s) => el("tr", { "data-service": s.name },
    el("td", {}, s.name), el("td", {}, language.get(s.name)),
    el("td", { class: `state-${s.state.toLowerCase()}` }, s.state),
    el("td", { class: "num" }, s.busy), el("td", { class: "num" }, s.idle), el("td", { class: "num" }, s.most),
    el("td", { class: "num" }, bytes(s.memory)), el("td", { class: "num" }, s.failures), el("td", { class: "num" }, s.restarts)));
  document.querySelector("#services-table tbody").replaceChildren(...rows);
  const functions = state.functions.map((f) => el("tr", { "data-function": f.function },
    el("td", {}, f.service), el("td", {}, f.function), el("td", { class: "num" }, f.calls),
    el("td", { class: "num" }, f.rate.toFixed(2)), el("td", { class: "num" }, micros(f.p50_us)),
    el("td", { class: "num" }, micros(f.p99_us)), el("td", { class: "num" }, f.errors)));
  document.querySelector("#functions-table tbody").replaceChildren(...functions);
}

function drawTraces(traces) {
  if (chosenTrace === null && traces.length > 0) chosenTrace = traces[0].trace;
  const items = traces.map((t) => {
    const failed = t.spans.some((s) => s.error);
    const item = el("li", { "data-trace": t.trace, class: [t.trace === chosenTrace ? "chosen" : "", failed ? "failed" : ""].join(" ") },
      el("div", { class: "root" }, t.root ?? t.trace),
      el("div", { class: "meta" }, `${t.spans.length} spans · ${micros(t.duration_us)} · ${t.trace.slice(0, 12)}…`));
    item.addEventListener("click", () => { chosenTrace = t.trace; drawTraces(traces); });
    return item;
  });
  document.getElementById("traces").replaceChildren(...items);
  const chosen = traces.find((t) => t.trace === chosenTrace);
  if (chosen) drawWaterfall(chosen);
}

function drawWaterfall(trace) {
  const depth = new Map();
  const byId = new Map(trace.spans.map((s) => [s.span, s]));
  const depthOf = (span) => {
    if (depth.has(span.span)) return depth.get(span.span);
    const parent = span.parent && byId.get(span.parent);
    const d = parent ? depthOf(parent) + 1 : 0;
    depth.set(span.span, d);
    return d;
  };
  const total = Math.max(trace.duration_us, 1);
  const rows = trace.spans.map((span) => {
    const left = (100 * span.offset_us) / total;
    const width = Math.max((100 * span.duration_us) / total, 0.3);
    const bar = el("div", { class: span.error ? "bar failed" : "bar", style: `left:${left}%;width:${width}%;background:${serviceColor(span.service)}`, title: span.error ?? span.name });
    // A span another host lent (the far side of a remote call) says which host it ran on.
    const where = span.host ? el("span", { class: "host" }, ` on ${span.host}`) : "";
    return el("div", { class: "span-row", "data-span": span.span, "data-service": span.service, "data-host": span.host ?? "" },
      el("div", { class: "label", style: `padding-left:${depthOf(span) * 14}px`, title: span.host ? `${span.name} on ${span.host}` : span.name },
        `${span.service} · ${span.kind === "client" ? "→ " : ""}${span.name}`, where),
      el("div", { class: "took" }, micros(span.duration_us)),
      el("div", { class: "track" }, bar));
  });
  const heading = el("p", { class: "hint" }, `trace ${trace.trace} · ${micros(trace.duration_us)}`);
  document.getElementById("waterfall").replaceChildren(heading, ...rows);
}

function drawLogs(lines) {
  const rows = lines.map((line) => {
    const fields = Object.entries(line.fields).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ");
    const trace = el("td", { class: "trace", title: "show only this trace" }, line.trace ? line.trace.slice(0, 12) : "");
    if (line.trace) trace.addEventListener("click", () => { document.getElementById("log-trace").value = line.trace; refresh(); });
    return el("tr", {},
      el("td", {}, new Date(line.time_ms).toISOString().slice(11, 23)), el("td", {}, line.service),
      el("td", { class: `level-${line.level}` }, line.level), el("td", {}, line.message), el("td", {}, fields), trace);
  });
  document.querySelector("#logs-table tbody").replaceChildren(...rows);
}

function drawTables(view) {
  const section = document.getElementById("tables-section");
  section.hidden = !view.shown || view.services.length === 0;
  if (section.hidden) return;
  const parts = view.services.map((db) => {
    if (db.error) return el("div", { class: "db" }, el("h3", {}, db.service), el("p", { class: "result error" }, db.error));
    const tables = db.tables.map((table) => el("div", { "data-table": `${db.service}.${table.name}` },
      el("h3", {}, `${db.service} · ${table.name} (${table.more ? "more than " : ""}${table.count} rows${table.count > table.rows.length ? `, first ${table.rows.length} shown` : ""})`),
      el("table", {}, el("thead", {}, el("tr", {}, ...table.columns.map((c) => el("th", {}, c)))),
        el("tbody", {}, ...table.rows.map((row) => el("tr", {}, ...row.map((v) => el("td", {}, v === null ? "NULL" : v))))))));
    return el("div", { class: "db", "data-service": db.service }, ...tables);
  });
  document.getElementById("tables").replaceChildren(...parts);
}

let ticks = 0;
async function refresh() {
  const live = document.getElementById("live");
  try {
    const filter = new URLSearchParams({
      service: document.getElementById("log-service").value,
      level: document.getElementById("log-level").value,
      trace: document.getElementById("log-trace").value.trim(),
    });
    const [state, traces, logs] = await Promise.all([api("/api/state"), api("/api/traces"), api(`/api/logs?${filter}`)]);
    drawServices(state);
    drawTraces(traces.traces);
    drawLogs(logs.lines);
    if (ticks++ % 5 === 0) drawTables(await api("/api/tables"));
    live.className = "live";
    live.textContent = "live";
  } catch (error) {
    live.className = "live stale";
    live.textContent = "not reached";
  }
}

async function main() {
  wos = await api("/api/wos");
  document.getElementById("wos-name").textContent = wos.name;
  document.title = `${wos.name} · parigot`;
  drawPicture();
  fillCallForm();
  document.getElementById("call-form").addEventListener("submit", callFunction);
  document.getElementById("call-mode").addEventListener("change", (event) => {
    document.getElementById("call-args").value = event.target.value === "json" ? "{}" : "()";
  });
  document.getElementById("log-filter").addEventListener("change", refresh);
  await refresh();
  document.body.dataset.ready = "true";
  setInterval(refresh, REFRESH_MS);
}

main();
