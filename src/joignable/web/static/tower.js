// Control tower: renders the live snapshots of /tower/ws and sends supervisor
// actions to the REST API (session cookie + X-CSRF-Token). Hand-written, no library.
"use strict";
(function () {
  const $ = (sel) => document.querySelector(sel);
  // the window shown is remembered on this browser ("5m", "sliding" = 15 min, "today")
  const WINDOW_KEY = "joignable.tower.window";
  const WINDOWS = ["5m", "sliding", "today"];
  const kept = (() => { try { return localStorage.getItem(WINDOW_KEY); } catch { return null; } })();
  const state = { window: WINDOWS.includes(kept) ? kept : "sliding", snap: null, received: 0, ws: null, retry: 500, find: { find: "", state: "" } };

  // --- times of day in the center's time zone, whatever the browser's ------------------
  const zone = document.body.dataset.timezone || "UTC";
  function formatter(options) {
    try { return new Intl.DateTimeFormat(undefined, { ...options, timeZone: zone, hourCycle: "h23" }); }
    catch (e) { return new Intl.DateTimeFormat(undefined, { ...options, timeZone: "UTC", hourCycle: "h23" }); }
  }
  const clockFmt = formatter({ hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const minuteFmt = formatter({ hour: "2-digit", minute: "2-digit" });
  const at = (epochSeconds) => clockFmt.format(new Date(epochSeconds * 1000));
  const place = zone.split("/").pop().replace(/_/g, " ");
  function tickCenterTime() { $("#center-time").textContent = `${minuteFmt.format(new Date())} ${place}`; }

  // --- the REST API (the server's routes) ---------------------------------------------
  function csrf() {
    const m = document.cookie.match(/(?:^|; )joignable_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : document.body.dataset.csrf;
  }
  async function call(method, path, body) {
    const res = await fetch(path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) {
      let detail = res.statusText;
      try { const j = await res.json(); detail = typeof j.detail === "string" ? j.detail : JSON.stringify(j.detail); } catch (e) { /* not JSON */ }
      throw new Error(`${res.status}: ${detail}`);
    }
    return res.status === 204 ? null : res.json();
  }
  const enc = encodeURIComponent;
  // Moving an agent to a channel: that channel alone, at its default limit.
  const LIMITS = { voice: 1, callback: 1, chat: 3, email: 5, sms: 5, social: 5 };
  const API = {
    move: (agent, channel) => call("POST", `/api/supervisor/agents/${enc(agent)}/move`, { capacity: { [channel]: LIMITS[channel] || 1 } }),
    // the agent's queue list: one queue, or [] for every queue
    moveQueues: (agent, queues) => call("POST", `/api/supervisor/agents/${enc(agent)}/move`, { queues }),
    moveSite: (agent, site) => call("POST", `/api/supervisor/agents/${enc(agent)}/move`, { site }),
    logout: (agent) => call("POST", `/api/supervisor/agents/${enc(agent)}/logout`, {}),
    queueStandby: (q, on) => call("POST", `/api/supervisor/queues/${enc(q)}/standby`, { standby: on }),
    channelStandby: (ch, on) => call("POST", `/api/supervisor/channels/${enc(ch)}/standby`, { standby: on }),
    priority: (c, p) => call("POST", `/api/supervisor/contacts/${enc(c)}/priority`, { priority: p }),
    outage: (on) => call("POST", "/api/demo/outage", { on }),
  };
  async function act(label, fn) {
    try { const said = await fn(); toast(`${label}: ${typeof said === "string" && said ? said : "done"}`); }
    catch (e) { toast(`${label}: ${e.message}`, true); }
  }
  const ordinal = (n) => `${n}${n % 100 >= 11 && n % 100 <= 13 ? "th" : ["th", "st", "nd", "rd"][n % 10] || "th"}`;
  function toast(text, bad) {
    const t = $("#toast");
    t.textContent = text;
    t.className = bad ? "show bad" : "show";
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.className = ""; }, 3500);
  }

  // --- formatting ---------------------------------------------------------------------
  const pct = (v) => (v === null || v === undefined ? "–" : `${Math.round(v * 1000) / 10} %`);
  function dur(v) {
    if (v === null || v === undefined) return "–";
    const s = Math.round(v);
    if (s < 60) return `${s} s`;
    const m = Math.floor(s / 60);
    return m < 60 ? `${m}:${String(s % 60).padStart(2, "0")}` : `${Math.floor(m / 60)} h ${m % 60}`;
  }
  const num = (v) => (v === null || v === undefined ? "–" : String(v));
  // [metric, formatter]: a cell's colour is its status from the server (the queue's
  // targets, the alert rules, the active alerts: core/kpis/status.py), never judged here
  const COLUMNS = [
    ["waiting", num],
    ["longest_wait", dur],
    ["service_level", pct],
    ["abandonment_rate", pct],
    ["asa", dur],
    ["aht", dur],
    ["occupancy", pct],
  ];
  const STATUS_CLASS = { ok: "good", warning: "warn", critical: "bad" };
  const STATUS_TITLE = {
    ok: "ok: within the queue's target and every alert rule",
    warning: "warning: short of the queue's target, or past a warning rule",
    critical: "critical: past a critical alert rule, or a critical alert is active",
  };
  // the status of `metric` on row `id` of `dim` in the window shown (undefined: none)
  function statusOf(snap, dim, id, metric) {
    return ((((snap.statuses || {})[state.window] || {})[dim] || {})[id] || {})[metric];
  }

  // any figure a rule may watch, formatted as the tables format it
  const FORMATS = Object.fromEntries(COLUMNS.map(([metric, fmt]) => [metric, fmt]));
  function figure(metric, v) {
    const fmt = FORMATS[metric] || (metric.endsWith("rate") || metric.startsWith("service") ? pct : metric === "avg_wait" ? dur : num);
    return fmt(v);
  }
  function held(seconds) {
    const m = Math.floor(Math.max(seconds, 0) / 60);
    return m < 1 ? "for < 1 min" : m < 60 ? `for ${m} min` : `for ${Math.floor(m / 60)} h ${m % 60} min`;
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  }

  // Rows are kept and updated in place, so a select being used is not destroyed.
  function upsert(tbody, id, build) {
    let row = tbody.querySelector(`tr[data-id="${CSS.escape(id)}"]`);
    if (!row) { row = build(); row.dataset.id = id; tbody.append(row); }
    return row;
  }
  function prune(tbody, ids) {
    for (const row of [...tbody.rows]) if (!ids.has(row.dataset.id)) row.remove();
  }
  function setCell(cell, text, level) {
    if (cell.textContent !== text) cell.textContent = text;
    cell.className = level || "";
  }
  // a figure cell: its text, and its status as a class, a mark (CSS) and a title
  function setFigure(cell, text, status) {
    setCell(cell, text, STATUS_CLASS[status] || "");
    if (status) cell.dataset.status = status; else delete cell.dataset.status;
    cell.title = STATUS_TITLE[status] || "";
  }

  // Agents by state of one row: "2 av · 1 busy · 1 NR" (zeros left out), "0" when none.
  const STATE_SHORT = [["available", "av"], ["reserved", "res"], ["busy", "busy"], ["wrap_up", "wrap"], ["not_ready", "NR"]];
  function agentCounts(counts) {
    if (!counts) return ["–", ""];
    const parts = STATE_SHORT.filter(([k]) => counts[k]).map(([k, s]) => `${counts[k]} ${s}`);
    const title = STATE_SHORT.map(([k]) => `${counts[k] || 0} ${k.replace("_", " ")}`).join(", ");
    return [parts.length ? parts.join(" · ") : "0", title];
  }

  // Agents needed now (server-side Erlang staffing on the last 15 min, the queue's own
  // target) beside the agents logged in: "7 · 5 in · −2", red when short.
  function renderNeeded(cell, n) {
    if (!n) { setCell(cell, "—", "needed"); cell.title = ""; return; }
    const model = n.model === "erlang_a" ? "Erlang A" : "Erlang C";
    const target = `target ${pct(n.sl_target)} answered within ${n.sl_seconds} s`;
    const inputs = `${n.offered} arrivals in the last ${Math.round(n.window_s / 60)} min`
      + (n.aht === null ? "" : `, AHT ${dur(n.aht)}${n.aht_from === "default" ? " (queue default)" : ""}`);
    if (n.agents === null) {
      setCell(cell, `— · ${n.logged_in} in`, "needed");
      cell.title = `No figure: ${n.why}. ${model} on ${inputs}; ${target}.`;
      return;
    }
    const gap = n.short > 0 ? ` · −${n.short}` : n.short < 0 ? ` · +${-n.short}` : "";
    setCell(cell, `${n.agents} · ${n.logged_in} in${gap}`, n.short > 0 ? "needed bad" : "needed");
    cell.title = `${model} for ${inputs} (${n.traffic} Erlangs); ${target}: ${n.agents} agent${n.agents === 1 ? "" : "s"} needed, `
      + `${n.logged_in} logged in${n.short > 0 ? `, ${n.short} short` : n.short < 0 ? `, ${-n.short} spare` : ""}.`;
  }

  function renderDimension(dim, members, snap) {
    const table = document.getElementById(`t-${dim}`);
    const tbody = table.tBodies[0];
    const ids = new Set(Object.keys(members));
    const standby = new Set(dim === "queue" ? snap.standby.queues : dim === "channel" ? snap.standby.channels : []);
    for (const [id, f] of Object.entries(members)) {
      const row = upsert(tbody, id, () => {
        const r = el("tr", {});
        const none = dim === "site" ? "(no site)" : dim === "outsourcer" ? "(in-house)" : "(none)";
        r.append(el("th", { scope: "row" }, id === "-" ? none : id));
        for (let i = 0; i < COLUMNS.length + 2; i++) r.append(el("td", {}));
        if (dim === "queue") r.append(el("td", { class: "needed" })); // agents needed now
        if (dim === "queue" || (dim === "channel" && !snap.scoped)) { // a whole channel: unscoped only
          const btn = el("button", { type: "button", class: "small-btn", "data-action": "standby" }, "Standby");
          btn.addEventListener("click", () => {
            const on = btn.dataset.on !== "1";
            const fn = dim === "queue" ? API.queueStandby : API.channelStandby;
            act(`${on ? "Standby" : "Resume"} ${dim} ${id}`, () => fn(id, on));
          });
          r.append(el("td", {}, btn));
        }
        return r;
      });
      COLUMNS.forEach(([metric, fmt], i) => {
        setFigure(row.cells[i + 1], fmt(f[metric]), statusOf(snap, dim, id, metric));
      });
      setCell(row.cells[COLUMNS.length + 1], `${num(f.offered)} / ${num(f.answered)}`, "");
      const [counts, title] = agentCounts(((snap.agent_states || {})[dim] || {})[id]);
      const cell = row.cells[COLUMNS.length + 2];
      setCell(cell, counts, "agents");
      cell.title = title;
      if (dim === "queue") renderNeeded(row.cells[COLUMNS.length + 3], (snap.needed || {})[id]);
      const btn = row.querySelector('button[data-action="standby"]');
      if (btn) {
        const on = standby.has(id);
        btn.dataset.on = on ? "1" : "0";
        btn.textContent = on ? "Resume" : "Standby";
        row.classList.toggle("standby", on);
        row.cells[0].title = on ? "on standby" : "";
      }
    }
    prune(tbody, ids);
  }

  function renderSummary(snap) {
    const all = (snap.figures[state.window].center || {}).all || {};
    $("#summary-scope").hidden = !snap.scoped;
    const set = (id, text, metric) => {
      const e = document.getElementById(id);
      const status = metric ? statusOf(snap, "center", "all", metric) : undefined;
      e.textContent = text;
      e.className = `value ${STATUS_CLASS[status] || ""}`;
      if (status) e.dataset.status = status; else delete e.dataset.status;
      e.title = STATUS_TITLE[status] || "";
    };
    set("c-waiting", num(all.waiting), "waiting");
    set("c-longest", dur(all.longest_wait), "longest_wait");
    set("c-sl", pct(all.service_level), "service_level");
    set("c-abandon", pct(all.abandonment_rate), "abandonment_rate");
    set("c-asa", dur(all.asa), "asa");
    set("c-aht", dur(all.aht), "aht");
    set("c-occ", pct(all.occupancy), "occupancy");
    set("c-offered", num(all.offered));
  }

  function renderAlerts(snap) {
    const active = $("#alerts-active");
    active.replaceChildren();
    $("#alert-count").textContent = String(snap.alerts.active.length);
    $("#alert-count").className = "count" + (snap.alerts.active.some((a) => a.severity === "critical") ? " bad" : snap.alerts.active.length ? " warn" : "");
    if (!snap.alerts.active.length) active.append(el("li", { class: "muted" }, "No alert."));
    // the figure now, from the snapshot's figures (its row's number, formatted as
    // the row formats it), and how long the alert has held
    for (const a of snap.alerts.active) {
      const now = a.value_now === undefined ? a.value : a.value_now;
      const raised = a.value === null || a.value === undefined ? "" : `, raised on ${figure(a.metric, a.value)}`;
      const window = a.window === "today" ? " (since midnight)" : "";
      active.append(el("li", { class: `alert ${a.severity}`, "data-alert": a.alert_id },
        el("strong", {}, `${a.scope} ${a.scope_id}`), ` ${a.title} — now `,
        el("span", { class: "now" }, figure(a.metric, now)), `${window} · `,
        el("span", { class: "held" }, held(a.held_s ?? snap.at - a.at)),
        el("span", { class: "muted small" }, ` · since ${at(a.since ?? a.at)}${raised}${a.contract ? " · contract" : ""}`)));
    }
    const recent = $("#alerts-recent");
    recent.replaceChildren();
    const items = [...snap.alerts.recent.map((a) => ({ at: a.at, text: `${a.kind === "AlertRaised" ? "▲" : "▼"} ${a.scope} ${a.scope_id}: ${a.title}`, cls: a.kind === "AlertRaised" ? a.severity : "cleared" })),
      ...snap.throttles.recent.map((t) => ({ at: t.at, text: `⇄ ${t.queue} → ${t.site}: share ${pct(t.previous)} → ${pct(t.share)}`, cls: "info" }))]
      .sort((x, y) => y.at - x.at).slice(0, 12);
    for (const it of items) recent.append(el("li", { class: `alert ${it.cls}` }, `${at(it.at)} ${it.text}`));
  }

  // The server lists the agents the filter matches (the first 300 in id order) and
  // counts every agent in the supervisor's scope: the page says how many it shows.
  function renderAgents(snap) {
    const tbody = $("#t-agents").tBodies[0];
    const agents = snap.agents;
    const channels = JSON.parse(document.body.dataset.channels || "[]");
    const queues = JSON.parse(document.body.dataset.queues || "[]");
    const sites = JSON.parse(document.body.dataset.sites || "[]");
    const ids = new Set();
    for (const a of agents.list) {
      ids.add(a.id);
      const row = upsert(tbody, a.id, () => {
        const select = el("select", { "aria-label": `channel for ${a.id}`, "data-field": "channel" }, ...channels.map((c) => el("option", { value: c }, c)));
        const move = el("button", { type: "button", class: "small-btn", "data-action": "move" }, "Move");
        move.addEventListener("click", () => act(`Move ${a.id} to ${select.value}`, () => API.move(a.id, select.value)));
        const queue = el("select", { "aria-label": `queues for ${a.id}`, "data-field": "queue" },
          el("option", { value: "" }, "every queue"), ...queues.map((q) => el("option", { value: q }, q)));
        const toQueue = el("button", { type: "button", class: "small-btn", "data-action": "move-queue" }, "Queue");
        toQueue.addEventListener("click", () => act(`Move ${a.id} to ${queue.value || "every queue"}`,
          () => API.moveQueues(a.id, queue.value ? [queue.value] : [])));
        const site = el("select", { "aria-label": `site for ${a.id}`, "data-field": "site" }, ...sites.map((s) => el("option", { value: s }, s)));
        const toSite = el("button", { type: "button", class: "small-btn", "data-action": "move-site" }, "Site");
        toSite.addEventListener("click", () => act(`Move ${a.id} to site ${site.value}`, () => API.moveSite(a.id, site.value)));
        const out = el("button", { type: "button", class: "small-btn ghost", "data-action": "logout" }, "Log out");
        out.addEventListener("click", () => act(`Log out ${a.id}`, () => API.logout(a.id)));
        return el("tr", {}, el("th", { scope: "row" }, a.name ? `${a.id} · ${a.name}` : a.id), el("td", {}), el("td", {}), el("td", {}), el("td", {}),
          el("td", { class: "actions" }, select, move, queue, toQueue, site, toSite, out));
      });
      setCell(row.cells[1], a.outsourcer ? `${a.site} · ${a.outsourcer}` : a.site, "");
      setCell(row.cells[2], a.state + (a.reason && a.state === "not_ready" ? ` (${a.reason})` : "") + (a.contacts ? ` · ${a.contacts}` : ""), `state ${a.state}`);
      setCell(row.cells[3], a.channels.join(", "), "");
      setCell(row.cells[4], a.queues && a.queues.length ? a.queues.join(", ") : "every queue", "");
    }
    prune(tbody, ids);
    $("#agent-states").textContent = Object.entries(agents.by_state).map(([k, v]) => `${v} ${k}`).join(" · ");
    const total = agents.total ?? agents.list.length, matching = agents.matching ?? total;
    const filtered = matching < total || !!(agents.filter && (agents.filter.find || agents.filter.state));
    const n = (v) => v.toLocaleString("en");
    $("#agent-shown").textContent = `showing ${n(agents.list.length)} of ${filtered ? `${n(matching)} matching (${n(total)} agents)` : n(total)}`
      + (agents.list.length < matching ? " — filter to find the others" : "");
    const select = $("#agent-state");
    const wanted = [...new Set([...Object.keys(agents.by_state), state.find.state].filter(Boolean))].sort();
    const have = [...select.options].slice(1).map((o) => o.value);
    if (wanted.join() !== have.join()) {
      select.replaceChildren(el("option", { value: "" }, "any state"), ...wanted.map((k) => el("option", { value: k }, k)));
      select.value = state.find.state;
    }
  }

  // The agent filter is applied by the server (over every agent in scope).
  function sendFilter() {
    state.find = { find: $("#agent-filter").value.trim(), state: $("#agent-state").value };
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify({ type: "agents", ...state.find }));
  }

  // The server sends each queue's longest-waiting contacts (the first 20 of each);
  // the queue list chooses one queue's, so any queue's contact can be reached.
  function renderWaiting(snap) {
    const table = $("#t-waiting");
    const tbody = table.tBodies[0];
    // while the supervisor points at (or types in) the list, rows keep their places
    const typing = document.activeElement && document.activeElement.matches("input") && table.contains(document.activeElement);
    const frozen = table.matches(":hover") || typing;
    const pick = $("#waiting-queue");
    const inLine = [...new Set([...Object.keys(snap.figures[state.window].queue || {}), ...snap.waiting.map((c) => c.queue)])].sort();
    const wanted = [...new Set([...inLine, pick.value].filter(Boolean))].sort();
    if (wanted.join() !== [...pick.options].slice(1).map((o) => o.value).join()) {
      const chosen = pick.value;
      pick.replaceChildren(el("option", { value: "" }, "every queue"), ...wanted.map((q) => el("option", { value: q }, q)));
      pick.value = chosen;
    }
    const ids = new Set();
    let shown = 0;
    for (const c of snap.waiting) {
      if (pick.value && c.queue !== pick.value) continue;
      ids.add(c.id);
      shown += 1;
      const row = upsert(tbody, c.id, () => {
        const value = el("input", { type: "number", min: "-1000", max: "1000", step: "1", value: String(c.priority), "aria-label": `priority of ${c.id}`, class: "priority" });
        const set = el("button", { type: "button", class: "small-btn", "data-action": "priority" }, "Set priority");
        set.addEventListener("click", () => {
          const p = Number(value.value);
          if (!Number.isInteger(p) || p < -1000 || p > 1000) { toast(`Priority of ${c.id}: a whole number from -1000 to 1000`, true); return; }
          act(`Priority of ${c.id} to ${p}`, async () => {
            const out = await API.priority(c.id, p);
            return out.position ? `now ${ordinal(out.position)} of ${out.waiting} in ${out.queue}` : "";
          });
        });
        return el("tr", {}, el("th", { scope: "row" }, c.id), el("td", {}, c.queue), el("td", {}, c.channel), el("td", {}), el("td", {}),
          el("td", { class: "actions" }, value, set));
      });
      const input = row.querySelector("input.priority");
      if (row.dataset.priority !== String(c.priority) && document.activeElement !== input) input.value = String(c.priority);
      row.dataset.priority = String(c.priority);
      // past its queue's answer-time target (the server's, beside agents needed)
      const target = ((snap.needed || {})[c.queue] || {}).sl_seconds;
      setCell(row.cells[3], dur(c.waited), target !== undefined && c.waited > target ? "warn" : "");
      setCell(row.cells[4], String(c.priority), "");
      row.classList.remove("gone");
      for (const b of row.querySelectorAll("button, input")) b.disabled = false;
      if (!frozen) tbody.append(row); // in line order (an existing row moves)
    }
    if (frozen) { // under the mouse, nothing moves: a row whose contact left is greyed, not removed
      const present = new Set(snap.waiting.map((c) => c.id));
      for (const row of [...tbody.rows]) {
        if (ids.has(row.dataset.id)) continue;
        if (present.has(row.dataset.id)) { row.remove(); continue; } // another queue was chosen
        row.classList.add("gone");
        for (const b of row.querySelectorAll("button, input")) b.disabled = true;
      }
    } else prune(tbody, ids);
    $("#waiting-shown").textContent = `${shown} listed (each queue's ${snap.waiting_per_queue || 20} longest waits)`;
  }

  function renderThrottles(snap) {
    const box = $("#throttles");
    box.hidden = !snap.throttles.list.length;
    const tbody = $("#t-throttles").tBodies[0];
    tbody.replaceChildren();
    for (const t of snap.throttles.list) {
      tbody.append(el("tr", {}, el("th", { scope: "row" }, `${t.queue} → ${t.site}`), el("td", {}, pct(t.share)), el("td", {}, pct(t.target)),
        el("td", { class: t.abandonment_rate > 0.1 ? "bad" : "" }, `${pct(t.abandonment_rate)} (${t.sample})`), el("td", {}, `▼${t.lowered} ▲${t.raised}`)));
    }
  }

  function render() {
    const snap = state.snap;
    if (!snap) return;
    renderSummary(snap);
    for (const dim of ["queue", "channel", "site", "outsourcer"]) renderDimension(dim, snap.figures[state.window][dim] || {}, snap);
    renderAlerts(snap);
    renderAgents(snap);
    renderWaiting(snap);
    renderThrottles(snap);
    const demo = snap.demo, box = $("#outage-box"); // the page has the switch for whom may use it
    if (box) box.hidden = !demo;
    if (box && demo && document.activeElement !== $("#outage")) $("#outage").checked = !!demo.outage;
    document.body.dataset.seq = String(snap.seq);
    document.body.dataset.at = String(snap.at);
  }

  // --- the feed -----------------------------------------------------------------------
  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/tower/ws`);
    state.ws = ws;
    ws.onopen = () => {
      state.retry = 500; $("#conn").textContent = "live"; $("#conn").className = "pill pill-on";
      if (state.find.find || state.find.state) sendFilter(); // a new connection starts unfiltered
    };
    ws.onmessage = (m) => {
      state.snap = JSON.parse(m.data);
      state.received = Date.now();
      render();
    };
    ws.onclose = (e) => {
      $("#conn").textContent = "reconnecting…"; $("#conn").className = "pill pill-off";
      if (e.code === 4401) { location.href = "/login?next=/tower"; return; }
      setTimeout(connect, state.retry);
      state.retry = Math.min(state.retry * 2, 8000);
    };
  }
  setInterval(() => {
    if (!state.received) return;
    const age = (Date.now() - state.received) / 1000;
    const f = $("#fresh");
    f.textContent = `updated ${age.toFixed(1)} s ago`;
    f.className = age > 3 ? "stale" : "muted";
  }, 250);

  for (const b of document.querySelectorAll(".window-toggle .seg")) {
    b.classList.toggle("on", b.dataset.window === state.window);
    b.setAttribute("aria-pressed", b.dataset.window === state.window ? "true" : "false");
    b.addEventListener("click", () => {
      state.window = b.dataset.window;
      try { localStorage.setItem(WINDOW_KEY, state.window); } catch { /* private mode: not kept */ }
      for (const o of document.querySelectorAll(".window-toggle .seg")) {
        o.classList.toggle("on", o === b);
        o.setAttribute("aria-pressed", o === b ? "true" : "false");
      }
      render();
    });
  }
  $("#agent-filter").addEventListener("input", () => { clearTimeout(sendFilter.timer); sendFilter.timer = setTimeout(sendFilter, 150); });
  $("#agent-state").addEventListener("change", sendFilter);
  $("#waiting-queue").addEventListener("change", render);
  $("#t-waiting").addEventListener("mouseleave", () => { if (state.snap) render(); });
  $("#t-waiting").addEventListener("focusout", () => setTimeout(() => { if (state.snap) render(); }, 0));
  if ($("#outage")) $("#outage").addEventListener("change", (e) => act(e.target.checked ? "Outage simulated" : "Outage over", () => API.outage(e.target.checked)));
  tickCenterTime();
  setInterval(tickCenterTime, 1000);
  connect();
})();
