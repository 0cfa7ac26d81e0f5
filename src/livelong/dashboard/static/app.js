// livelong dashboard: one page, routes in the address's #fragment, live over a WebSocket.
// No build step: plain browser JavaScript, with uPlot (vendored, MIT) for the charts.
"use strict";

const S = { session: null, history: [], paused: false, ws: null, charts: [], view: null,
            table: { sort: "pid", order: "asc", filter: "", offset: 0, limit: 50 } };

const esc = (s) => String(s ?? "").replace(/[&<>"']/g,
  (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const pidPath = (pid) => pid.replace(/^#PID</, "").replace(/>$/, "");
const pidLink = (pid, alive) => `<a class="pid${alive === false ? " dead" : ""}" href="#/process/${
  encodeURIComponent(pidPath(pid))}">${esc(pid)}</a>`;
const fmtBytes = (n) => n == null ? "—" : n > 1e9 ? (n / 1e9).toFixed(2) + " GB"
  : n > 1e6 ? (n / 1e6).toFixed(1) + " MB" : n > 1e3 ? (n / 1e3).toFixed(1) + " kB" : n + " B";
const fmt = (v) => v == null ? "—" : typeof v === "number" ? v.toLocaleString() : esc(v);
const $ = (sel) => document.querySelector(sel);

async function api(path, opts = {}) {
  const r = await fetch("/api/v1/" + path, opts);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(body.error || r.statusText), { status: r.status });
  return body;
}
const post = (path) => api(path, { method: "POST", headers: { "X-Livelong-CSRF": S.session.csrf } });

// --- the live channel ------------------------------------------------------------------
function connect() {
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/live");
  S.ws = ws;
  ws.onopen = () => { $("#conn").textContent = "live"; };
  ws.onclose = () => { $("#conn").textContent = "disconnected"; S.ws = null; setTimeout(connect, 2000); };
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === "hello") { S.history = msg.history; if (S.view === "overview") renderOverview(); }
    else if (msg.type === "sample") {
      S.history.push(msg.sample);
      if (S.history.length > 600) S.history.shift();
      $("#alert-count").textContent = msg.alerts ? msg.alerts : "";
      if (!S.paused) refresh();
    }
  };
}

// --- routing -----------------------------------------------------------------------------
function route() {
  const h = decodeURIComponent(location.hash.replace(/^#\/?/, ""));
  const [page, arg] = h.split("/");
  S.view = page || "overview"; S.arg = arg;
  document.querySelectorAll("nav a[data-page]").forEach((a) =>
    a.classList.toggle("active", a.dataset.page === S.view));
  S.charts.forEach((c) => c.destroy()); S.charts = [];
  $("#view").innerHTML = "";
  refresh(true);
}

function refresh(first) {
  const v = S.view;
  if (v === "overview") return first ? renderOverview() : updateOverview();
  if (v === "processes") return renderProcesses(first);
  if (v === "process") return renderProcess(S.arg, first);
  if (v === "tree") return renderTree();
  if (v === "graph") return renderGraph(S.arg, first);
  if (v === "alerts") return renderAlerts();
  if (v === "trace") return renderTrace(S.arg, first);
}

// --- overview ------------------------------------------------------------------------------
const CARDS = [
  ["processes", "processes", fmt], ["run_queue", "run queue", fmt],
  ["reductions_per_s", "reductions/s", fmt], ["messages_per_s", "messages/s", fmt],
  ["queued_messages", "queued messages", fmt], ["cpu_percent", "CPU % (OS process)", fmt],
  ["loop_lag_ms", "loop lag (ms)", fmt], ["rss", "RSS", fmtBytes],
  ["memory_estimate", "livelong estimate", fmtBytes], ["gc_per_s", "GC collections/s", fmt],
  ["gc_pause_ms", "GC pauses (ms, total)", fmt], ["uptime", "uptime (s)", fmt],
  ["virtual_time", "virtual time", fmt], ["dashboard_ms_per_s", "dashboard cost (ms/s)", fmt],
  ["clients", "dashboard clients", fmt],
];
const CHARTS = [["processes", "processes"], ["reductions_per_s", "reductions/s"],
                ["loop_lag_ms", "loop lag (ms)"], ["rss", "RSS (bytes)"], ["cpu_percent", "CPU %"],
                ["queued_messages", "queued messages"]];

function renderOverview() {
  const view = $("#view");
  view.innerHTML = `<h2>Overview</h2><div class="cards">${CARDS.map(([k, label]) =>
    `<div class="card"><div class="v" id="card-${k}">—</div><div class="k">${label}</div></div>`).join("")}
    </div><div class="charts" id="charts"></div>`;
  S.charts.forEach((c) => c.destroy()); S.charts = [];
  const box = $("#charts");
  for (const [key, label] of CHARTS) {
    const div = document.createElement("div"); div.className = "chart"; box.appendChild(div);
    if (typeof uPlot === "undefined") continue;
    const values = (u, vals) => vals.map((v) => key === "rss" ? fmtBytes(v) : v);
    const chart = new uPlot({ width: Math.max(300, div.clientWidth - 16), height: 160, title: label,
      legend: { show: false }, series: [{}, { stroke: "#6b3fa0", width: 1.5, label }],
      axes: [{}, { size: 70, values }] }, [[], []], div);
    chart._key = key; S.charts.push(chart);
  }
  updateOverview();
}

function updateOverview() {
  const last = S.history[S.history.length - 1];
  if (!last) return;
  for (const [k, , f] of CARDS) { const el = $("#card-" + k); if (el) el.innerHTML = f(last[k]); }
  const t = S.history.map((s) => s.t);
  for (const c of S.charts) c.setData([t, S.history.map((s) => s[c._key])]);
}

// --- processes -----------------------------------------------------------------------------
const COLS = [["pid", "pid"], ["name", "name"], ["label", "label"], ["current_function", "current function"],
  ["status", "status"], ["queue", "queue", 1], ["queue_growth", "queue/s", 1], ["reductions", "reductions", 1],
  ["reductions_rate", "reductions/s", 1], ["memory", "memory", 1], ["age", "age (s)", 1]];

async function renderProcesses(first) {
  const T = S.table;
  if (first) {
    $("#view").innerHTML = `<h2>Processes</h2><div class="toolbar">
      <input type="search" id="filter" placeholder="filter by name, label or pid" value="${esc(T.filter)}">
      <label><input type="checkbox" id="top"> top by reductions/s</label>
      <button id="prev">‹ prev</button><span id="range" class="muted"></span><button id="next">next ›</button>
      </div><table id="procs"><thead><tr>${COLS.map(([k, l, n]) =>
        `<th data-col="${k}" class="${n ? "num" : ""}">${l}</th>`).join("")}</tr></thead><tbody></tbody></table>`;
    let timer = null;
    $("#filter").oninput = (e) => { clearTimeout(timer); timer = setTimeout(() => {
      T.filter = e.target.value; T.offset = 0; renderProcesses(); }, 200); };
    $("#top").onchange = (e) => { if (e.target.checked) { T.sort = "reductions_rate"; T.order = "desc"; }
      else { T.sort = "pid"; T.order = "asc"; } T.offset = 0; renderProcesses(); };
    $("#prev").onclick = () => { T.offset = Math.max(0, T.offset - T.limit); renderProcesses(); };
    $("#next").onclick = () => { T.offset += T.limit; renderProcesses(); };
    document.querySelectorAll("#procs th").forEach((th) => th.onclick = () => {
      const col = th.dataset.col;
      if (T.sort === col) T.order = T.order === "asc" ? "desc" : "asc";
      else { T.sort = col; T.order = th.classList.contains("num") ? "desc" : "asc"; }
      renderProcesses();
    });
  }
  const q = new URLSearchParams({ sort: T.sort, order: T.order, filter: T.filter, offset: T.offset, limit: T.limit });
  let page;
  try { page = await api("processes?" + q); } catch (e) { return; }
  if (S.view !== "processes") return;
  if (T.offset >= page.total && T.offset > 0) { T.offset = 0; return renderProcesses(); }
  document.querySelectorAll("#procs th").forEach((th) => {
    th.classList.toggle("sorted", th.dataset.col === T.sort); th.classList.toggle("asc", T.order === "asc"); });
  $("#range").textContent = page.total ? `${page.offset + 1}–${page.offset + page.rows.length} of ${page.total}` : "none";
  $("#procs tbody").innerHTML = page.rows.map((r) => `<tr class="row" data-pid="${esc(r.pid)}">${COLS.map(([k, , n]) =>
    `<td class="${n ? "num" : ""}">${k === "pid" ? pidLink(r.pid) : k === "memory" ? fmtBytes(r[k]) : fmt(r[k])}</td>`).join("")}</tr>`).join("");
  document.querySelectorAll("#procs tr.row").forEach((tr) => tr.onclick = (e) => {
    if (e.target.tagName !== "A") location.hash = "#/process/" + encodeURIComponent(pidPath(tr.dataset.pid)); });
}

// --- one process ---------------------------------------------------------------------------
async function renderProcess(id, first) {
  let p;
  try { p = await api("processes/" + encodeURIComponent(id)); }
  catch (e) {
    if (S.view === "process" && S.arg === id)
      $("#view").innerHTML = `<h2>Process ${esc(id)}</h2><p id="gone" class="muted">This process is not alive (it has exited).</p>`;
    return;
  }
  if (S.view !== "process" || S.arg !== id) return;
  const sig = JSON.stringify(p);
  if (!first && sig === S.lastProcess && $("#pid")) return;  // unchanged: keep the page as it is
  S.lastProcess = sig;
  const pids = (list) => list.length ? list.map((x) => pidLink(x.pid, x.alive)).join(" ") : "<span class='muted'>none</span>";
  const kv = [["label", esc(p.label)], ["name", fmt(p.name)], ["status", `<span id="status">${esc(p.status)}</span>`],
    ["current function", esc(p.current_function)], ["initial call", esc(p.initial_call)],
    ["message queue", fmt(p.queue)], ["reductions", fmt(p.reductions)], ["memory", fmtBytes(p.memory)],
    ["trap_exit", String(p.trap_exit)], ["links", pids(p.links)], ["monitors", pids(p.monitors)],
    ["monitored by", pids(p.monitored_by)],
    ["supervisor path", p.supervisor_path.length ? p.supervisor_path.map((x) => pidLink(x)).join(" › ") : "<span class='muted'>none</span>"]];
  const html = `<h2>Process <span id="pid">${esc(p.pid)}</span></h2>
    <div class="toolbar"><button class="danger" id="kill" ${S.session.kill_allowed ? "" : "disabled title='kill is off on this binding'"}>Kill</button>
    <a href="#/graph/${encodeURIComponent(pidPath(p.pid))}">link/monitor graph</a>
    <a href="#/trace/${encodeURIComponent(pidPath(p.pid))}">trace</a></div>
    <table class="kv">${kv.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join("")}</table>
    <div class="section"><h3>Await chain</h3><pre id="chain">${p.await_chain.map((f) =>
      `${f.internal ? "  (livelong) " : ""}${esc(f.function)}  ${esc(f.file)}:${f.line}`).join("\n") || "(not started)"}</pre></div>
    <div class="section"><h3>Mailbox (first ${p.messages.length} of ${p.queue})</h3><pre id="messages">${p.messages.map(esc).join("\n") || "(empty)"}</pre></div>
    ${p.has_state ? `<div class="section"><h3>State</h3><button id="show-state">Show state</button><pre id="state" hidden></pre></div>` : ""}`;
  const view = $("#view");
  const stateShown = $("#state") && !$("#state").hidden ? $("#state").textContent : null;
  view.innerHTML = html;
  if (stateShown !== null) { $("#state").hidden = false; $("#state").textContent = stateShown; }
  $("#kill").onclick = async () => {
    if (!confirm(`Kill ${p.pid}? It exits with reason killed.`)) return;
    try { await post("processes/" + encodeURIComponent(pidPath(p.pid)) + "/kill"); } catch (e) { alert(e.message); }
    setTimeout(() => renderProcess(id), 150);
  };
  const btn = $("#show-state");
  if (btn) btn.onclick = async () => {
    try { const s = await api("processes/" + encodeURIComponent(id) + "/state");
      $("#state").textContent = s.state; } catch (e) { $("#state").textContent = e.message; }
    $("#state").hidden = false;
  };
}

// --- supervision trees ---------------------------------------------------------------------
function supHtml(s) {
  const near = s.max_restarts && s.restarts_in_window >= s.max_restarts * 0.8;
  const kids = s.children.map((c) => `<li class="child${c.flash ? " flash" : ""}" data-id="${esc(c.id)}">
    ${c.pid ? pidLink(c.pid) : "<span class='muted'>(not running)</span>"} <span class="cid">${esc(c.id)}</span>
    <span class="muted">${esc(c.label)} · ${esc(c.restart)}</span>
    <span class="restarts" data-restarts="${c.restarts}">${c.restarts ? `restarts: ${c.restarts}` : ""}</span>
    ${c.last_exit ? `<span class="muted">last exit: ${esc(c.last_exit)}</span>` : ""}
    ${c.supervisor ? supHtml(c.supervisor) : ""}</li>`).join("");
  const more = s.count > s.children.length ? `<li class="muted">… and ${s.count - s.children.length} more</li>` : "";
  return `<ul><li><span class="sup">${pidLink(s.pid)} ${esc(s.label)}</span>
    <span class="muted">${esc(s.strategy)} · ${s.count} children ·</span>
    <span class="${near ? "restarts" : "muted"}">${s.restarts_in_window}/${s.max_restarts} restarts in ${s.max_seconds} s</span>
    <ul>${kids}${more}</ul></li></ul>`;
}

async function renderTree() {
  let d;
  try { d = await api("supervisors"); } catch (e) { return; }
  if (S.view !== "tree") return;
  $("#view").innerHTML = `<h2>Supervision trees</h2><div class="tree" id="trees">${
    d.trees.length ? d.trees.map(supHtml).join("") : "<p class='muted'>No supervisors.</p>"}</div>`;
}

// --- link/monitor graph --------------------------------------------------------------------
async function renderGraph(id, first) {
  const hops = S.hops || 1;
  let g;
  try { g = await api(`processes/${encodeURIComponent(id)}/graph?hops=${hops}`); } catch (e) {
    $("#view").innerHTML = `<h2>Graph</h2><p class="muted">Not alive.</p>`; return; }
  if (S.view !== "graph") return;
  const W = 760, H = 520, cx = W / 2, cy = H / 2, pos = {};
  const rings = [[], [], []];
  g.nodes.forEach((n) => rings[n.depth].push(n));
  rings.forEach((ring, d) => ring.forEach((n, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, ring.length), r = d * 180;
    pos[n.pid] = [cx + r * Math.cos(a), cy + r * Math.sin(a) * 0.85]; }));
  const edges = g.edges.map((e) => { const [x1, y1] = pos[e.from], [x2, y2] = pos[e.to];
    return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${e.kind === "link" ? "#888" : "#c07"}"
      stroke-dasharray="${e.kind === "link" ? "" : "4 3"}"/>`; }).join("");
  const nodes = g.nodes.map((n) => { const [x, y] = pos[n.pid];
    return `<a href="#/graph/${encodeURIComponent(pidPath(n.pid))}"><circle cx="${x}" cy="${y}" r="7"
      fill="${n.depth === 0 ? "#6b3fa0" : n.alive ? "#fff" : "#ccc"}" stroke="#6b3fa0"/>
      <text x="${x + 9}" y="${y + 4}">${esc(n.pid)} ${esc(n.label)}</text></a>`; }).join("");
  $("#view").innerHTML = `<h2>Links and monitors of ${pidLink(g.root)}</h2>
    <div class="toolbar"><label>hops <select id="hops"><option ${hops === 1 ? "selected" : ""}>1</option>
    <option ${hops === 2 ? "selected" : ""}>2</option></select></label>
    <span class="muted">solid: link · dashed: monitor (watcher → watched)</span></div>
    <svg width="${W}" height="${H}" style="background:#fff;border:1px solid #ddd">${edges}${nodes}</svg>`;
  $("#hops").onchange = (e) => { S.hops = Number(e.target.value); renderGraph(id); };
}

// --- trace: a live sequence diagram ----------------------------------------------------------
async function renderTrace(id, first) {
  if (first) {
    $("#view").innerHTML = `<h2>Trace</h2><div class="toolbar">
      <input id="trace-pids" placeholder="pids, e.g. 0.85.0, 0.86.0" size="30" value="${esc(id || "")}">
      <label>limit <input id="trace-limit" type="number" value="50" min="1" max="1000" style="width:5em"></label>
      <label>seconds <input id="trace-seconds" type="number" value="30" min="1" max="300" style="width:5em"></label>
      <button id="trace-start">Start</button><button id="trace-stop">Stop</button>
      <span id="trace-status" class="muted"></span></div><div id="seq"></div>`;
    $("#trace-start").onclick = async () => {
      const pids = $("#trace-pids").value.split(/[ ,]+/).filter(Boolean);
      const body = JSON.stringify({ pids, limit: Number($("#trace-limit").value),
                                    seconds: Number($("#trace-seconds").value) });
      try { await api("trace", { method: "POST", body, headers: { "X-Livelong-CSRF": S.session.csrf,
        "Content-Type": "application/json" } }); } catch (e) { $("#trace-status").textContent = e.message; return; }
      renderTrace(id);
    };
    $("#trace-stop").onclick = async () => { await post("trace/stop"); renderTrace(id); };
  }
  let t;
  try { t = await api("trace"); } catch (e) { return; }
  if (S.view !== "trace") return;
  $("#trace-status").textContent = t.active ? `tracing ${t.pids.join(", ")}: ${t.events.length} of at most ${t.limit} events`
    : t.stopped ? `${t.events.length} events; ${t.stopped}` : "no trace yet";
  const lanes = [...t.pids];
  for (const e of t.events) for (const p of [e.from, e.to]) if (!lanes.includes(p)) lanes.push(p);
  const LW = 170, top = 40, step = 34, W = Math.max(400, lanes.length * LW + 40), H = top + t.events.length * step + 30;
  const x = (p) => 40 + lanes.indexOf(p) * LW + LW / 2;
  const heads = lanes.map((p) => `<text x="${x(p)}" y="20" text-anchor="middle" font-weight="600">${esc(p)}</text>
    <line x1="${x(p)}" y1="28" x2="${x(p)}" y2="${H - 10}" stroke="#bbb" stroke-dasharray="3 3"/>`).join("");
  const arrows = t.events.map((e, i) => { const y = top + i * step + 14, x1 = x(e.from), x2 = x(e.to);
    const self = x1 === x2, color = e.kind === "send" ? "#6b3fa0" : "#2e7d32";
    const path = self ? `M${x1},${y} h30 v12 h-30` : `M${x1},${y} L${x2},${y}`;
    return `<g class="event" data-kind="${e.kind}"><path d="${path}" stroke="${color}" fill="none" marker-end="url(#arrow)"/>
      <text x="${(x1 + x2) / 2 + (self ? 36 : 0)}" y="${y - 4}" text-anchor="middle" fill="${color}">${e.n}. ${e.kind}: ${esc(e.msg)}</text></g>`; }).join("");
  $("#seq").innerHTML = `<svg width="${W}" height="${H}" style="background:#fff;border:1px solid #ddd">
    <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
    <path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>${heads}${arrows}</svg>`;
}

// --- alerts ----------------------------------------------------------------------------------
async function renderAlerts() {
  let d;
  try { d = await api("alerts"); } catch (e) { return; }
  if (S.view !== "alerts") return;
  $("#view").innerHTML = `<h2>Alerts</h2><div id="alerts">${d.alerts.length ? d.alerts.map((a) =>
      `<div class="alert" data-kind="${esc(a.kind)}"><b>${esc(a.kind.replace(/_/g, " "))}</b> ${pidLink(a.pid)} ${esc(a.text)}</div>`).join("")
      : "<p class='muted'>No alerts.</p>"}</div>
    <h2>Crash feed</h2><div id="crashes">${d.crashes.length ? d.crashes.map((c) =>
      `<div class="crash">${new Date(c.t * 1000).toLocaleTimeString()} ${pidLink(c.pid, false)} ${esc(c.initial_call)}:
       <b>${esc(c.reason)}</b><details><summary>traceback</summary><pre>${esc(c.traceback)}</pre></details></div>`).join("")
      : "<p class='muted'>No crashes seen.</p>"}</div>`;
}

// --- start -------------------------------------------------------------------------------------
async function main() {
  S.session = await api("session");
  $("#node").textContent = S.session.node;
  $("#rescue-link").href = S.session.rescue_url;
  $("#pause").onclick = () => { S.paused = !S.paused; $("#pause").textContent = S.paused ? "Resume" : "Pause"; };
  window.addEventListener("hashchange", route);
  route();
  connect();
}
main();
