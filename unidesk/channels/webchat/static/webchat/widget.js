/* unidesk chat widget: <script src="https://DESK/widget.js" data-channel="KEY" async></script>
 * One file, no framework, no globals besides window.UnideskChat (open/close/toggle).
 * Everything it draws lives in a shadow root, so the page's styles and the widget's
 * never meet. Protocol and settings: docs/webchat.md. */
(function () {
  "use strict";

  var script = document.currentScript ||
    document.querySelector('script[data-channel][src*="widget.js"]');
  if (!script) return;
  var KEY = script.getAttribute("data-channel") || "";
  if (!KEY) return;
  var HOST_ID = "unidesk-chat-" + KEY;
  if (document.getElementById(HOST_ID)) return; // the tag is on the page twice

  var BASE = new URL(script.getAttribute("src"), location.href).origin;
  var SITE = window.UnideskChatSettings || {};
  var STORE = "unidesk-chat:" + KEY;
  var LANG = pickLanguage();
  var IDENTITY = pickIdentity();
  var TYPING_EVERY = 2000;
  var PING_EVERY = 25000;

  function pickLanguage() {
    var wanted = script.getAttribute("data-lang") || SITE.lang ||
      document.documentElement.lang || navigator.language || "en";
    return /^ru/i.test(wanted) ? "ru" : "en";
  }

  function pickIdentity() {
    var given = SITE.identity || {};
    var attr = function (name) { return script.getAttribute("data-" + name) || ""; };
    var identity = {
      user_id: given.user_id || given.userId || attr("user-id"),
      email: given.email || attr("email"),
      name: given.name || attr("name"),
      signature: given.signature || attr("signature")
    };
    return identity.signature ? identity : null;
  }

  // --- storage: the visitor's token, and messages not yet acknowledged -------------------

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE) || "{}") || {}; } catch (e) { return {}; }
  }
  var saved = load();
  var state = {
    cfg: null,
    t: {},
    token: saved.token || null,
    outbox: Array.isArray(saved.outbox) ? saved.outbox : [],
    seen: saved.seen || 0,
    skipped: !!saved.skipped,
    emailLeft: saved.emailLeft || "",
    messages: {},
    lastId: 0,
    readUntil: 0,
    profile: {},
    signed: false,
    ws: null,
    ready: false,
    attempts: 0,
    refused: false,
    open: false,
    unread: 0,
    failures: {},
    codePending: false,
    lastTyping: 0,
    sentRead: 0,
    sentDelivered: 0
  };

  function persist() {
    try {
      localStorage.setItem(STORE, JSON.stringify({
        token: state.token, seen: state.seen,
        outbox: state.outbox.filter(function (item) { return !item.upload; }),
        skipped: state.skipped, emailLeft: state.emailLeft
      }));
    } catch (e) { /* private mode: the chat works, it just forgets on reload */ }
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (all, name) {
      return values[name] != null ? values[name] : all;
    });
  }

  // --- the DOM, inside a shadow root -----------------------------------------------------

  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value == null || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child != null) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var CSS = [
    ":host{all:initial}",
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif}",
    ".launcher{position:fixed;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;",
    "background:var(--accent);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);",
    "display:flex;align-items:center;justify-content:center;z-index:2147483000}",
    ".launcher svg{width:28px;height:28px;fill:currentColor}",
    ".right{right:20px}.left{left:20px}",
    ".badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 6px;",
    "border-radius:10px;background:#dc2626;color:#fff;font-size:12px;line-height:20px;text-align:center}",
    ".panel{position:fixed;bottom:88px;width:370px;max-width:calc(100vw - 24px);height:560px;",
    "max-height:calc(100vh - 110px);background:#fff;color:#111827;border-radius:14px;",
    "box-shadow:0 10px 40px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden;",
    "z-index:2147483000;font-size:14px;line-height:1.4}",
    ".panel[hidden]{display:none}",
    "header{background:var(--accent);color:#fff;padding:12px 14px;display:flex;gap:8px;align-items:flex-start}",
    "header .titles{flex:1;min-width:0}header h2{margin:0;font-size:16px;font-weight:600}",
    "header p{margin:2px 0 0;font-size:12px;opacity:.9}",
    ".x{background:none;border:0;color:#fff;font-size:22px;line-height:1;cursor:pointer;padding:0 4px}",
    ".conn{background:#fef3c7;color:#92400e;font-size:12px;padding:6px 12px}",
    ".conn[hidden]{display:none}",
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f9fafb}",
    ".msg{max-width:82%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}",
    ".msg.in{align-self:flex-end;background:var(--accent);color:#fff;border-bottom-right-radius:4px}",
    ".msg.out{align-self:flex-start;background:#fff;border:1px solid #e5e7eb;border-bottom-left-radius:4px}",
    ".msg.in a{color:#fff}.msg a{color:inherit;text-decoration:underline}",
    ".who{display:block;font-size:11px;font-weight:600;color:#6b7280;margin-bottom:2px}",
    ".mark{display:inline-block;margin-left:6px;padding:0 5px;border-radius:6px;background:#e0e7ff;",
    "color:#3730a3;font-size:10px;font-weight:600;text-transform:uppercase}",
    ".meta{display:block;font-size:11px;opacity:.75;margin-top:3px;text-align:right}",
    ".msg.failed{background:#fee2e2;color:#991b1b;border:1px solid #fecaca}",
    ".msg img{display:block;max-width:100%;max-height:220px;border-radius:8px;margin-top:4px}",
    ".file{display:block;margin-top:4px}",
    ".buttons{display:flex;flex-direction:column;gap:6px;align-self:flex-start;max-width:82%}",
    ".row{display:flex;flex-wrap:wrap;gap:6px}",
    ".row button,.row a{border:1px solid var(--accent);background:#fff;color:var(--accent);",
    "border-radius:16px;padding:6px 12px;font-size:13px;cursor:pointer;text-decoration:none}",
    ".row button:disabled{opacity:.5;cursor:default}",
    ".typing{font-size:12px;color:#6b7280;padding:2px 14px 6px;min-height:20px;background:#f9fafb}",
    ".notice{font-size:12px;color:#6b7280;text-align:center;padding:2px 8px}",
    ".form{background:#fff;border:1px solid #e5e7eb;border-radius:12px;padding:12px;display:flex;",
    "flex-direction:column;gap:8px;align-self:stretch}",
    ".form h3{margin:0;font-size:14px}.form p{margin:0;font-size:13px;color:#374151}",
    "input,textarea{font:inherit;border:1px solid #d1d5db;border-radius:8px;padding:8px 10px;width:100%;",
    "color:#111827;background:#fff}",
    ".actions{display:flex;gap:8px;justify-content:flex-end}",
    ".primary{background:var(--accent);color:#fff;border:0;border-radius:8px;padding:8px 14px;cursor:pointer;font:inherit}",
    ".plain{background:none;border:0;color:#4b5563;cursor:pointer;font:inherit;text-decoration:underline}",
    ".composer{display:flex;gap:6px;align-items:flex-end;padding:10px;border-top:1px solid #e5e7eb;background:#fff}",
    ".composer textarea{resize:none;max-height:120px;min-height:40px}",
    ".icon{background:none;border:0;cursor:pointer;padding:8px;color:#6b7280;line-height:0}",
    ".icon svg{width:20px;height:20px;fill:currentColor}",
    ".send{background:var(--accent);color:#fff;border:0;border-radius:8px;padding:9px 11px;cursor:pointer;line-height:0}",
    ".send svg{width:20px;height:20px;fill:currentColor}",
    ".hide{display:none!important}",
    ".err{color:#b91c1c;font-size:12px}",
    "@media (max-width:480px){.panel{bottom:0;right:0;left:0;width:100vw;max-width:100vw;height:100%;",
    "max-height:100%;border-radius:0}}"
  ].join("");

  var ICON = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';

  var CLIP = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z"/></svg>';

  var PLANE = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 20.5 21 12 3 3.5v6.6L15 12 3 13.9z"/></svg>';

  var ui = {};

  function build() {
    var host = h("div", { id: HOST_ID, "data-unidesk-chat": KEY });
    var root = host.attachShadow({ mode: "open" });
    var t = state.t;
    var side = state.cfg.position === "left" ? "left" : "right";
    root.appendChild(h("style", { text: CSS + ":host{--accent:" + state.cfg.color + "}" }));
    ui.badge = h("span", { "class": "badge hide", "aria-hidden": "true" });
    ui.launcher = h("button", {
      "class": "launcher " + side, type: "button", "aria-label": t.open,
      "aria-expanded": "false", onclick: toggle
    }, [ui.badge]);
    ui.launcher.insertAdjacentHTML("afterbegin", ICON);
    ui.status = h("p", { "class": "status", text: t.status });
    ui.conn = h("div", { "class": "conn", role: "status", hidden: true });
    ui.log = h("div", { "class": "log", role: "log", "aria-live": "polite" });
    ui.typing = h("div", { "class": "typing", "aria-live": "polite" });
    ui.text = h("textarea", {
      rows: "1", placeholder: t.placeholder, "aria-label": t.placeholder,
      maxlength: String(state.cfg.max_text || 10000), onkeydown: onKey, oninput: onInput
    });
    ui.file = h("input", { type: "file", "class": "hide", onchange: onFile, tabindex: "-1" });
    ui.attach = h("button", {
      "class": "icon" + (state.cfg.uploads ? "" : " hide"), type: "button",
      title: t.attach, "aria-label": t.attach, onclick: function () { ui.file.click(); }
    });
    ui.attach.innerHTML = CLIP;
    var sendButton = h("button", { "class": "send", type: "submit", title: t.send, "aria-label": t.send });
    sendButton.innerHTML = PLANE;
    ui.composer = h("form", { "class": "composer", onsubmit: onSubmit }, [
      ui.attach, ui.file, ui.text, sendButton
    ]);
    ui.panel = h("div", {
      "class": "panel " + side, role: "dialog", "aria-label": t.title, hidden: true
    }, [
      h("header", {}, [
        h("div", { "class": "titles" }, [h("h2", { text: t.title }), ui.status]),
        h("button", { "class": "x", type: "button", "aria-label": t.close, onclick: close, text: "\u00D7" })
      ]),
      ui.conn, ui.log, ui.typing, ui.composer
    ]);
    root.appendChild(ui.panel);
    root.appendChild(ui.launcher);
    (document.body || document.documentElement).appendChild(host);
    render();
  }

  // --- rendering -------------------------------------------------------------------------

  var URL_RE = /(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]])/g;

  function linked(text) {
    var nodes = [];
    var last = 0;
    String(text || "").replace(URL_RE, function (url, _m, offset) {
      if (offset > last) nodes.push(text.slice(last, offset));
      nodes.push(h("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow", text: url }));
      last = offset + url.length;
      return url;
    });
    if (last < text.length) nodes.push(text.slice(last));
    return nodes;
  }

  function clock(at) {
    var when = at ? new Date(at) : new Date();
    try {
      return when.toLocaleTimeString(LANG, { hour: "2-digit", minute: "2-digit" });
    } catch (e) { return ""; }
  }

  function sorted() {
    return Object.keys(state.messages).map(function (id) { return state.messages[id]; })
      .sort(function (a, b) { return a.id - b.id; });
  }

  function ownStatus(message) {
    if (message.id <= state.readUntil) return state.t.read + " \u2713\u2713";
    return state.t.sent + " \u2713";
  }

  function bubble(message) {
    var t = state.t;
    var own = message.dir === "in";
    var children = [];
    if (!own) {
      var name = message.author || t.someone;
      var mark = message.origin === "bot" ? t.bot : (message.origin === "auto_reply" ? t.auto : "");
      children.push(h("span", { "class": "who" }, [name, mark ? h("span", { "class": "mark", text: mark }) : null]));
    }
    if (message.text) linked(message.text).forEach(function (node) { children.push(node); });
    (message.files || []).forEach(function (file) {
      if (file.image) {
        children.push(h("a", { href: file.url, target: "_blank", rel: "noopener" },
          [h("img", { src: file.url, alt: file.name, loading: "lazy" })]));
      } else {
        children.push(h("a", { "class": "file", href: file.url, target: "_blank", rel: "noopener",
          text: file.name + " (" + Math.max(1, Math.round(file.size / 1024)) + " KB)" }));
      }
    });
    children.push(h("span", { "class": "meta", text: clock(message.at) + (own ? " \u00B7 " + ownStatus(message) : "") }));
    return h("div", { "class": "msg " + (own ? "in" : "out"), "data-id": String(message.id) }, children);
  }

  function buttons(message) {
    var rows = (message.buttons || []).map(function (row) {
      return h("div", { "class": "row" }, row.map(function (button) {
        if (button.url) {
          return h("a", { href: button.url, target: "_blank", rel: "noopener noreferrer", text: button.text });
        }
        return h("button", { type: "button", text: button.text, onclick: function (event) {
          event.target.disabled = true;
          queue({ text: button.text, button: button.data });
        } });
      }));
    });
    return h("div", { "class": "buttons" }, rows);
  }

  function pendingBubble(item) {
    var failure = state.failures[item.id];
    var status = failure ? failure : (state.ready ? state.t.sending : state.t.retrying);
    return h("div", { "class": "msg in" + (failure ? " failed" : ""), "data-pending": item.id },
      linked(item.text || item.label || "").concat([h("span", { "class": "meta", text: status })]));
  }

  // Forms are built once and kept, so a re-render never loses what the visitor typed.
  var forms = {};
  function kept(name, make) {
    if (!forms[name]) forms[name] = make();
    return forms[name];
  }

  function emailForm(message) {
    if (state.emailLeft) return h("p", { "class": "notice", text: fill(state.t.email_left, { email: state.emailLeft }) });
    return kept("email", function () { return makeEmailForm(message); });
  }

  function makeEmailForm(message) {
    var input = h("input", { type: "email", required: true, placeholder: state.t.email, "aria-label": state.t.email,
      autocomplete: "email", value: state.profile.email || "" });
    var id = "contact-" + message.id;
    return h("form", { "class": "form", onsubmit: function (event) {
      event.preventDefault();
      if (!input.value) return;
      queue({ type: "contact", email: input.value, text: input.value, id: id });
    } }, [h("p", { text: state.t.leave_email }), input,
      h("div", { "class": "actions" }, [h("button", { "class": "primary", type: "submit", text: state.t.send })])]);
  }

  function needsPrechat() {
    var cfg = state.cfg;
    if (!cfg || state.signed || cfg.prechat === "off") return false;
    if (state.profile.name || state.profile.email) return false;
    return cfg.prechat === "required" || !state.skipped;
  }

  function prechatForm() {
    var t = state.t;
    var name = h("input", { type: "text", placeholder: t.name, "aria-label": t.name, autocomplete: "name", maxlength: "200" });
    var email = h("input", { type: "email", placeholder: t.email, "aria-label": t.email, autocomplete: "email" });
    var error = h("p", { "class": "err", role: "alert" });
    var skip = state.cfg.prechat === "optional" ? h("button", {
      "class": "plain", type: "button", text: t.skip,
      onclick: function () { state.skipped = true; persist(); render(); }
    }) : null;
    return h("form", { "class": "form prechat", onsubmit: function (event) {
      event.preventDefault();
      if (!name.value.trim() && !email.value.trim()) { error.textContent = t.error; return; }
      ui.prechatError = error;
      send({ type: "prechat", name: name.value.trim(), email: email.value.trim() });
    } }, [h("h3", { text: t.prechat_title }), name, email, error,
      h("div", { "class": "actions" }, [skip, h("button", { "class": "primary", type: "submit", text: t.start })])]);
  }

  function codeForm() {
    var t = state.t;
    var code = h("input", { type: "text", inputmode: "numeric", maxlength: "6", placeholder: t.code,
      "aria-label": t.code, autocomplete: "one-time-code" });
    var error = h("p", { "class": "err", role: "alert" });
    ui.codeError = error;
    return h("form", { "class": "form code", onsubmit: function (event) {
      event.preventDefault();
      send({ type: "verify", code: code.value });
    } }, [h("p", { text: fill(t.code_prompt, { email: state.profile.email }) }), code, error,
      h("div", { "class": "actions" }, [
        h("button", { "class": "plain", type: "button", text: t.resend, onclick: function () { send({ type: "resend_code" }); } }),
        h("button", { "class": "primary", type: "submit", text: t.confirm })
      ])]);
  }

  function render() {
    if (!ui.log) return;
    var t = state.t;
    var atBottom = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 40;
    var nodes = [h("div", { "class": "msg out greeting" }, [t.greeting])];
    var list = sorted();
    // Quick replies and the email form belong to what was said since the visitor last
    // wrote; once they answer, the buttons go.
    var lastOwn = -1;
    list.forEach(function (message, index) { if (message.dir === "in") lastOwn = index; });
    var answering = state.outbox.some(function (item) { return !item.upload; });
    list.forEach(function (message, index) {
      nodes.push(bubble(message));
      var current = index > lastOwn && !answering && message.dir === "out";
      if (current && message.buttons) nodes.push(buttons(message));
      if (current && message.ask_email) nodes.push(emailForm(message));
    });
    state.outbox.forEach(function (item) { nodes.push(pendingBubble(item)); });
    var prechat = needsPrechat();
    if (prechat) nodes.push(kept("prechat", prechatForm));
    if (state.codePending && !state.profile.verified) nodes.push(kept("code", codeForm));
    else delete forms.code;
    ui.log.replaceChildren.apply(ui.log, nodes);
    ui.composer.classList.toggle("hide", prechat && state.cfg.prechat === "required");
    if (atBottom || !state.open) ui.log.scrollTop = ui.log.scrollHeight;
    ui.badge.textContent = String(state.unread);
    ui.badge.classList.toggle("hide", !state.unread);
    ui.badge.setAttribute("aria-label", fill(t.unread, { n: state.unread }));
  }

  function showConnection(text) {
    if (!ui.conn) return;
    ui.conn.textContent = text || "";
    ui.conn.hidden = !text;
  }

  // --- the connection ----------------------------------------------------------------------

  var pingTimer = null;
  var pongTimer = null;
  var retryTimer = null;

  function socketUrl() {
    return BASE.replace(/^http/, "ws") + "/ws/webchat/" + encodeURIComponent(KEY) + "/";
  }

  function connect() {
    if (state.ws || state.refused || !state.cfg) return;
    clearTimeout(retryTimer);
    var ws;
    try { ws = new WebSocket(socketUrl()); } catch (e) { return later(); }
    state.ws = ws;
    showConnection(state.t.connecting);
    ws.onopen = function () {
      ws.send(JSON.stringify({
        type: "hello", token: state.token, lang: LANG, page: location.href,
        identity: IDENTITY, after: state.lastId
      }));
    };
    ws.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      var handler = HANDLERS[frame.type];
      if (handler) handler(frame);
    };
    ws.onclose = function (event) {
      if (state.ws !== ws) return;
      state.ws = null;
      state.ready = false;
      clearInterval(pingTimer);
      clearTimeout(pongTimer);
      if (event.code === 4403 || event.code === 4404) {
        state.refused = true;
        showConnection(state.t.refused);
        return;
      }
      showConnection(state.t.offline);
      render();
      later(event.code === 4429 ? 30000 : 0);
    };
  }

  // Back-off: 1 s, 2 s, 4 s … up to 30 s, with jitter so a restarted desk is not
  // hit by every visitor in the same second.
  function later(minimum) {
    var wait = Math.min(30000, 1000 * Math.pow(2, state.attempts));
    state.attempts = Math.min(state.attempts + 1, 10);
    wait = Math.max(wait * (0.7 + Math.random() * 0.6), minimum || 0);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, wait);
  }

  function send(frame) {
    if (!state.ws || state.ws.readyState !== 1) return false;
    state.ws.send(JSON.stringify(frame));
    return true;
  }

  function flush() {
    if (!state.ready) return;
    state.outbox.forEach(function (item) {
      if (item.upload || state.failures[item.id] || item.waitUntil > Date.now()) return;
      if (item.type === "contact") send({ type: "contact", id: item.id, email: item.email });
      else send({ type: "message", id: item.id, text: item.text, button: item.button });
    });
  }

  function queue(item) {
    item.id = item.id || newId();
    item.at = new Date().toISOString();
    state.outbox.push(item);
    persist();
    render();
    if (state.ready) flush(); else connect();
  }

  function addMessage(message) {
    if (!message || !message.id) return false;
    var known = state.messages[message.id];
    state.messages[message.id] = message;
    if (message.id > state.lastId) state.lastId = message.id;
    if (message.client_id) dropFromOutbox(message.client_id);
    return !known;
  }

  function dropFromOutbox(id) {
    var before = state.outbox.length;
    state.outbox = state.outbox.filter(function (item) { return item.id !== id; });
    delete state.failures[id];
    if (state.outbox.length !== before) persist();
  }

  function lastOut() {
    var top = 0;
    Object.keys(state.messages).forEach(function (id) {
      var message = state.messages[id];
      if (message.dir === "out" && message.id > top) top = message.id;
    });
    return top;
  }

  function acknowledge() {
    var top = lastOut();
    if (!top) return;
    var looking = state.open && document.visibilityState !== "hidden";
    if (looking) {
      state.seen = Math.max(state.seen, top);
      state.unread = 0;
      persist();
      if (top > state.sentRead) { state.sentRead = top; send({ type: "read", until: top }); }
    } else {
      if (top > state.sentDelivered) { state.sentDelivered = top; send({ type: "delivered", until: top }); }
      state.unread = sorted().filter(function (m) { return m.dir === "out" && m.id > state.seen; }).length;
    }
    render();
  }

  var typingHide = null;

  var HANDLERS = {
    welcome: function (frame) {
      state.token = frame.token;
      state.profile = frame.profile || {};
      state.signed = !!frame.signed;
      state.readUntil = Math.max(state.readUntil, frame.read_until || 0);
      (frame.messages || []).forEach(addMessage);
      state.ready = true;
      state.attempts = 0;
      persist();
      showConnection("");
      clearInterval(pingTimer);
      pingTimer = setInterval(function () {
        send({ type: "ping" });
        clearTimeout(pongTimer);
        pongTimer = setTimeout(function () { if (state.ws) state.ws.close(); }, 10000);
      }, PING_EVERY);
      render();
      flush();
      acknowledge();
    },
    pong: function () { clearTimeout(pongTimer); },
    ack: function (frame) {
      dropFromOutbox(frame.id);
      addMessage(frame.message);
      if (frame.message && frame.message.dir === "in" && String(frame.id).indexOf("contact-") === 0) {
        state.emailLeft = frame.message.text;
        persist();
      }
      render();
    },
    message: function (frame) {
      var message = frame.message;
      if (addMessage(message) && message.dir === "out") {
        ui.typing.textContent = "";
      }
      render();
      acknowledge();
    },
    typing: function (frame) {
      clearTimeout(typingHide);
      ui.typing.textContent = frame.active ? fill(state.t.typing, { name: frame.name || state.t.someone }) : "";
      if (frame.active) typingHide = setTimeout(function () { ui.typing.textContent = ""; }, 6000);
    },
    read: function (frame) {
      state.readUntil = Math.max(state.readUntil, frame.until || 0);
      render();
    },
    profile: function (frame) {
      state.profile = frame.profile || {};
      state.codePending = !!frame.code_sent || (state.codePending && !state.profile.verified);
      render();
      flush();
    },
    code_sent: function () { state.codePending = true; render(); },
    error: function (frame) { onError(frame); }
  };

  var RETRYABLE = { rate_limited: 1, server_error: 1, hello_first: 1, prechat_required: 1 };

  function onError(frame) {
    var item = frame.id && state.outbox.filter(function (i) { return i.id === frame.id; })[0];
    if (frame.code === "wrong_code" || frame.code === "code_expired" || frame.code === "code_limit") {
      if (ui.codeError) ui.codeError.textContent = frame.message;
      return;
    }
    if (!item) {
      if (frame.code === "bad_email" && ui.prechatError) ui.prechatError.textContent = frame.message;
      else showConnection(frame.message);
      return;
    }
    if (RETRYABLE[frame.code]) {
      var wait = Math.max(1, frame.retry_after || 3) * 1000;
      item.waitUntil = Date.now() + wait;
      setTimeout(flush, wait + 50);
      render();
      return;
    }
    state.failures[item.id] = frame.message;
    render();
  }

  // --- what the visitor does ---------------------------------------------------------------

  function onSubmit(event) {
    event.preventDefault();
    var text = ui.text.value.trim();
    if (!text) return;
    ui.text.value = "";
    send({ type: "typing", active: false });
    state.lastTyping = 0;
    queue({ text: text });
    // A failed message the visitor gave up on goes once they write again.
    Object.keys(state.failures).forEach(dropFromOutbox);
  }

  function onKey(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.composer.requestSubmit ? ui.composer.requestSubmit() : onSubmit(event);
    }
  }

  function onInput() {
    var now = Date.now();
    if (ui.text.value && now - state.lastTyping > TYPING_EVERY) {
      state.lastTyping = now;
      send({ type: "typing", active: true });
    }
  }

  function onFile() {
    var files = Array.prototype.slice.call(ui.file.files || []);
    ui.file.value = "";
    files.forEach(upload);
  }

  function upload(file) {
    var t = state.t;
    var id = newId();
    var item = { id: id, label: fill(t.uploading, { name: file.name }), upload: true };
    if (file.size > state.cfg.max_upload_bytes) {
      state.failures[id] = fill(t.file_too_large, { mb: Math.round(state.cfg.max_upload_bytes / 1048576) });
      item.label = file.name;
      state.outbox.push(item);
      render();
      return;
    }
    state.outbox.push(item);
    render();
    var form = new FormData();
    form.append("token", state.token || "");
    form.append("id", id);
    form.append("lang", LANG);
    if (IDENTITY) form.append("identity", JSON.stringify(IDENTITY));
    form.append("file", file, file.name);
    fetch(BASE + "/webchat/" + encodeURIComponent(KEY) + "/upload", { method: "POST", body: form })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (result) {
        if (result.ok) {
          state.outbox = state.outbox.filter(function (i) { return i.id !== id; });
          addMessage(result.body.message);
        } else {
          state.failures[id] = (result.body.error && result.body.error.message) || t.error;
        }
        render();
      })
      .catch(function () { state.failures[id] = t.offline; render(); });
  }

  function open() {
    if (!ui.panel) return;
    state.open = true;
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    connect();
    render();
    ui.log.scrollTop = ui.log.scrollHeight;
    ui.text.focus();
    acknowledge();
  }

  function close() {
    if (!ui.panel) return;
    state.open = false;
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.focus();
  }

  function toggle() { if (state.open) close(); else open(); }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      acknowledge();
      if (!state.ws && !state.refused && state.token) connect();
    }
  });
  window.addEventListener("online", function () {
    if (!state.ws) { state.attempts = 0; connect(); }
  });
  // Another tab of the same site changed the shared storage (a new token, the outbox).
  window.addEventListener("storage", function (event) {
    if (event.key !== STORE) return;
    var fresh = load();
    if (fresh.token && fresh.token !== state.token) state.token = fresh.token;
  });

  if (!window.UnideskChat) {
    window.UnideskChat = { open: open, close: close, toggle: toggle };
  }

  // --- start: settings and texts first, then the launcher --------------------------------

  function start() {
    fetch(BASE + "/webchat/" + encodeURIComponent(KEY) + "/config?lang=" + LANG)
      .then(function (response) {
        if (!response.ok) throw new Error("config " + response.status);
        return response.json();
      })
      .then(function (cfg) {
        state.cfg = cfg;
        state.t = cfg.texts || {};
        build();
        // A returning visitor (or one with unsent messages) connects at once, to get
        // replies that came while they were away; a new one when they open the chat.
        if (state.token || state.outbox.length) connect();
      })
      .catch(function () { setTimeout(start, 15000); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
