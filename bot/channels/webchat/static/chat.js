// Qonys web chat: history over JSON, live replies over Server-Sent Events.
"use strict";
(() => {
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const status = document.getElementById("status");
  const strings = JSON.parse(document.getElementById("ui-strings").textContent);
  let lastId = 0;
  let locale = document.documentElement.lang;
  const pending = [];

  function applyLocale(next) {
    if (!next || next === locale || !strings[next]) return;
    locale = next;
    const s = strings[next];
    document.documentElement.lang = next;
    document.documentElement.dir = next.endsWith("-Arab") ? "rtl" : "ltr";
    input.placeholder = s.placeholder;
    input.setAttribute("aria-label", s.placeholder);
    document.getElementById("send").title = s.send;
    document.getElementById("subtitle").textContent = s.subtitle;
    status.textContent = s.offline;
  }

  function bubble(from, text) {
    const wrap = document.createElement("div");
    wrap.className = "msg " + from;
    const b = document.createElement("div");
    b.className = "bubble";
    b.dir = "auto";  // Kazakh in Arabic script reads right to left, each line on its own
    b.textContent = text;
    wrap.appendChild(b);
    return wrap;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function render(m) {
    if (m.id <= lastId) return;
    lastId = m.id;
    if (m.locale) applyLocale(m.locale);
    if (m.from === "user") {
      const mine = pending.shift();
      if (mine) mine.remove();
      if (!m.text || m.text.startsWith("/start")) return;
    }
    const el = bubble(m.from === "agent" ? "bot agent" : m.from, m.text);
    el.dataset.id = m.id;
    if (m.agent) {  // a caseworker wrote this: say who
      const who = document.createElement("div");
      who.className = "who";
      who.textContent = "👤 " + m.agent;
      el.insertBefore(who, el.firstChild);
    }
    // The server escapes every character of formatted text and adds only <b>.
    if (m.html) el.querySelector(".bubble").innerHTML = m.text;
    if (m.image) {
      const img = document.createElement("img");
      img.src = m.image.url;
      img.alt = m.image.alt;
      img.loading = "lazy";
      const b = el.querySelector(".bubble");
      b.textContent = "";
      b.classList.add("picture");
      const link = document.createElement("a");  // a tap opens the picture full size
      link.href = m.image.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.appendChild(img);
      b.appendChild(link);
      if (m.image.alt) {
        const cap = document.createElement("div");
        cap.className = "caption";
        cap.textContent = m.image.alt;
        b.appendChild(cap);
      }
    }
    if (m.file || m.map) {  // a document to download, or a place on the map
      const link = document.createElement("a");
      link.href = m.file ? m.file.url : m.map;
      link.className = "attachment";
      if (m.file) link.download = "";
      else { link.target = "_blank"; link.rel = "noopener"; }
      link.textContent = m.file ? "📄 " + (m.file.name || "PDF") : "📍 " + strings[locale].map;
      const b = el.querySelector(".bubble");
      if (!m.text) b.textContent = "";
      b.appendChild(link);
    }
    if (m.buttons && m.buttons.length) {
      const row = document.createElement("div");
      row.className = "buttons";
      for (const btn of m.buttons) {
        const b = document.createElement("button");
        b.type = "button";
        b.dir = "auto";
        b.textContent = btn.label;
        b.dataset.action = btn.action;
        b.addEventListener("click", () => send({ action: btn.action }, btn.label));
        row.appendChild(b);
      }
      el.appendChild(row);
    }
    log.appendChild(el);
    scrollDown();
  }

  // `shown` is what the person sees at once; null sends silently (the first /start).
  async function send(body, shown) {
    const el = shown === null ? null : bubble("user pending", shown);
    if (el) { log.appendChild(el); scrollDown(); }
    pending.push(el);
    try {
      const r = await fetch("/api/chat/messages", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      if (r.status === 429) slowDown(Number(r.headers.get("Retry-After")) || 5);
      if (!r.ok) throw new Error(r.status);
    } catch (e) {
      pending.splice(pending.indexOf(el), 1);
      if (el) { el.classList.replace("pending", "failed"); el.title = strings[locale].error; }
    }
  }

  // Too many messages at once: say so kindly for as long as the server asked to wait.
  function slowDown(seconds) {
    status.textContent = strings[locale].slow;
    status.hidden = false;
    setTimeout(() => { status.hidden = true; status.textContent = strings[locale].offline; },
      Math.min(seconds, 60) * 1000);
  }

  function connect() {
    const es = new EventSource("/api/chat/stream?after=" + lastId);
    es.addEventListener("message", (ev) => render(JSON.parse(ev.data)));
    es.onopen = () => { status.hidden = true; };
    es.onerror = () => {
      status.hidden = false;
      // A refused stream (too many open) is not retried by the browser: try again later.
      if (es.readyState === EventSource.CLOSED) setTimeout(connect, 15000);
    };
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    input.style.height = "";
    send({ text }, text);
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
  });
  input.addEventListener("input", () => {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 128) + "px";
  });

  async function start() {
    const r = await fetch("/api/chat/messages?after=0", { credentials: "same-origin" });
    const data = await r.json();
    applyLocale(data.locale);
    data.messages.forEach(render);
    connect();
    if (!data.messages.length) {
      const source = new URLSearchParams(location.search).get("start");
      await send({ text: source ? "/start " + source : "/start" }, null);
    }
  }
  start();
})();
