// Agent desk: shows the agent's live state from /desk/ws and sends agent
// actions to the REST API (session cookie + X-CSRF-Token). Hand-written, no library.
"use strict";
(function () {
  const $ = (sel) => document.querySelector(sel);
  const agent = document.body.dataset.agent;
  const codes = JSON.parse(document.body.dataset.codes || "[]");
  let retry = 500;

  function csrf() {
    const m = document.cookie.match(/(?:^|; )joignable_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : document.body.dataset.csrf;
  }
  async function call(path, body) {
    const res = await fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body || {}),
    });
    if (!res.ok) {
      let detail = res.statusText;
      try { const j = await res.json(); detail = typeof j.detail === "string" ? j.detail : JSON.stringify(j.detail); } catch (e) { /* not JSON */ }
      throw new Error(`${res.status}: ${detail}`);
    }
    return res.status === 204 ? null : res.json();
  }
  const base = `/api/agents/${encodeURIComponent(agent)}`;
  const enc = encodeURIComponent;
  const API = {
    login: () => call(`${base}/login`, { ready: true }),
    ready: () => call(`${base}/ready`),
    notReady: (reason) => call(`${base}/not-ready`, { reason }),
    logout: () => call(`${base}/logout`),
    accept: (c) => call(`${base}/offers/${enc(c)}/accept`),
    reject: (c) => call(`${base}/offers/${enc(c)}/reject`),
    complete: (c) => call(`${base}/contacts/${enc(c)}/complete`),
    wrapUp: (c, code, resolved) => call(`${base}/contacts/${enc(c)}/wrap-up`, { code, resolved }),
    transfer: (c, target) => call(`${base}/contacts/${enc(c)}/transfer`, target),
  };
  function toast(text, bad) {
    const t = $("#toast");
    t.textContent = text;
    t.className = bad ? "show bad" : "show";
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.className = ""; }, 3500);
  }
  async function act(label, fn) {
    try { await fn(); toast(`${label}: done`); } catch (e) { toast(`${label}: ${e.message}`, true); }
  }
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  }
  function button(label, cls, onclick) {
    const b = el("button", { type: "button", class: cls }, label);
    b.addEventListener("click", onclick);
    return b;
  }

  const cards = new Map(); // contact id/stage/leg -> card; kept while it stays
  function card(c) {
    const key = `${c.id}/${c.stage}/${c.leg || 0}`;
    if (cards.has(key)) return cards.get(key);
    const node = el("div", { class: `contact-card ${c.stage}`, "data-contact": c.id, "data-stage": c.stage });
    if (c.leg) node.dataset.leg = String(c.leg);
    const title = c.leg ? "Wrap-up after transfer"
      : { offered: "Incoming", connected: "In conversation", wrap_up: "Wrap-up" }[c.stage];
    const where = c.queue === c.channel ? c.channel : `${c.channel} · queue ${c.queue}`;
    node.append(el("div", { class: "title" }, `${title}: ${where}`));
    node.append(el("div", { class: "meta" }));
    const buttons = el("div", { class: "row-buttons" });
    if (c.stage === "offered") {
      buttons.append(button("Accept", "ok", () => act("Accept", () => API.accept(c.id))));
      buttons.append(button("Reject", "secondary", () => act("Reject", () => API.reject(c.id))));
    } else if (c.stage === "connected") {
      buttons.append(button("Complete", "", () => act("Complete", () => API.complete(c.id))));
      const target = el("select", { "aria-label": "transfer to", class: "transfer-target" });
      buttons.append(target, button("Transfer", "secondary", () => {
        const [kind, id] = (target.value || ":").split(":");
        if (!id) { toast("Transfer: choose a queue or a colleague", true); return; }
        act("Transfer", () => API.transfer(c.id, kind === "queue" ? { to_queue: id } : { to_agent: id }));
      }));
    } else {
      const select = el("select", { "aria-label": "wrap-up code" }, ...codes.map((k) => el("option", { value: k }, k)));
      if (c.leg) {  // its part of a contact handed on: the next agent says whether it is resolved
        buttons.append(select, button("Finish wrap-up", "ok", () => act("Wrap-up", () => API.wrapUp(c.id, select.value, null))));
      } else {
        const resolved = el("input", { type: "checkbox", id: `res-${c.id}`, checked: "" });
        // first-contact resolution (docs/kpis.md), not a wrap-up code of the same name
        buttons.append(select, el("label", { for: `res-${c.id}`, title: "counts in first-contact resolution" },
          resolved, " solved, no follow-up needed"),
          button("Finish wrap-up", "ok", () => act("Wrap-up", () => API.wrapUp(c.id, select.value, resolved.checked))));
      }
    }
    node.append(buttons);
    cards.set(key, node);
    return node;
  }

  // The transfer targets change while the conversation goes on (colleagues get
  // ready or busy): refresh the options, keeping the choice when still offered.
  function fillTargets(select, targets) {
    const options = [["", "transfer to…"],
      ...targets.queues.map((q) => [`queue:${q}`, `queue ${q}`]),
      ...targets.agents.map((a) => [`agent:${a}`, `agent ${a}`])];
    const wanted = options.map((o) => o[0]).join("\n");
    if (select.dataset.options === wanted) return;
    const chosen = select.value;
    select.replaceChildren(...options.map(([value, label]) => el("option", { value }, label)));
    select.value = options.some((o) => o[0] === chosen) ? chosen : "";
    select.dataset.options = wanted;
  }

  function render(msg) {
    const a = msg.agent;
    const st = $("#state");
    st.textContent = a ? a.state.replace("_", " ") + (a.state === "not_ready" && a.reason ? ` (${a.reason})` : "") : "unknown agent";
    st.className = `big ${a ? a.state : ""}`;
    document.body.dataset.state = a ? a.state : "";
    $("#agent-info").textContent = a ? `${a.id}${a.name ? " · " + a.name : ""} · ${a.site} · ${a.channels.join(", ")}` : "";
    $("#btn-login").hidden = !a || a.presence !== "offline";
    $("#btn-ready").hidden = !a || a.presence === "ready" || a.presence === "offline";
    $("#btn-break").hidden = !a || a.presence !== "ready";
    $("#btn-logout").hidden = !a || a.presence === "offline";
    const box = $("#contacts");
    const live = new Set();
    const nodes = msg.contacts.map((c) => {
      live.add(`${c.id}/${c.stage}/${c.leg || 0}`);
      const n = card(c);
      if (c.transfer) fillTargets(n.querySelector(".transfer-target"), c.transfer);
      const meta = [c.customer && `customer ${c.customer}`, !c.leg && `waited ${Math.round(c.waited)} s`, c.priority && `priority ${c.priority}`,
        c.stage === "offered" && c.remaining !== null && `answer within ${Math.round(c.remaining)} s`,
        c.leg && `transferred · closes by itself in ${Math.round(c.remaining)} s`].filter(Boolean).join(" · ");
      n.querySelector(".meta").textContent = meta;
      return n;
    });
    for (const k of [...cards.keys()]) if (!live.has(k)) cards.delete(k);
    if (nodes.length) box.replaceChildren(...nodes);
    else box.replaceChildren(el("p", { class: "muted" }, "No contact right now."));
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/desk/ws?agent=${encodeURIComponent(agent)}`);
    ws.onopen = () => { retry = 500; $("#conn").textContent = "live"; $("#conn").className = "pill pill-on"; };
    ws.onmessage = (m) => render(JSON.parse(m.data));
    ws.onclose = (e) => {
      $("#conn").textContent = "reconnecting…"; $("#conn").className = "pill pill-off";
      if (e.code === 4401) { location.href = "/login?next=/desk"; return; }
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 8000);
    };
  }
  $("#btn-login").addEventListener("click", () => act("Log in", API.login));
  $("#btn-ready").addEventListener("click", () => act("Ready", API.ready));
  $("#btn-break").addEventListener("click", () => act("Break", () => API.notReady("break")));
  $("#btn-logout").addEventListener("click", () => act("Log out", API.logout));
  connect();
})();
