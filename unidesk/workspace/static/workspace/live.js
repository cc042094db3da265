// The live workspace: a websocket to the desk tells this page when something changes;
// the page then fetches the changed parts over HTTP (the same permission-checked views),
// shows who else is on the ticket, typing both ways, and notifies about new
// conversations in the agent's groups.
(function () {
  "use strict";

  var root = document.getElementById("live");
  if (!root || !window.WebSocket) return;
  var text = root.dataset;
  var me = Number(text.me);
  var ticketPage = document.querySelector("[data-live-ticket]");
  var list = document.querySelector("[data-live-list]");
  var watching = ticketPage ? Number(ticketPage.dataset.liveTicket) : null;
  var watchingId = null;
  var ws = null;
  var attempts = 0;
  var pingTimer = null;
  var viewers = {};
  var customerTyping = false;
  var customerTimer = null;
  var PRESENCE_TTL = 70000;

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (all, name) {
      return values[name] != null ? values[name] : all;
    });
  }

  function socketUrl() {
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + location.host + text.socket;
  }

  function connect() {
    ws = new WebSocket(socketUrl());
    ws.onopen = function () {
      attempts = 0;
      banner("");
      if (watching) send({ type: "watch", ticket: watching });
      clearInterval(pingTimer);
      pingTimer = setInterval(function () { send({ type: "ping" }); }, 25000);
      // What happened while we were away.
      if (list) refreshList();
      if (ticketPage) refreshTicket();
    };
    ws.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      var handler = HANDLERS[frame.type];
      if (handler) handler(frame);
    };
    ws.onclose = function (event) {
      ws = null;
      if (ticketPage) ticketPage.removeAttribute("data-live-watching");
      clearInterval(pingTimer);
      if (event.code === 4401) return; // signed out
      banner(text.reconnecting);
      var wait = Math.min(30000, 1000 * Math.pow(2, attempts++)) * (0.7 + Math.random() * 0.6);
      setTimeout(connect, wait);
    };
  }

  function send(frame) {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame));
  }

  // --- the inbox --------------------------------------------------------------------------

  var listTimer = null;

  function scheduleList() {
    clearTimeout(listTimer);
    listTimer = setTimeout(refreshList, 300);
  }

  function refreshList() {
    if (!list || !window.htmx) return;
    // An agent who loaded more pages keeps them; a button brings the newest.
    var rows = list.querySelectorAll("tr.ticket-row").length;
    if (rows > 50) { banner(text.newActivity, function () { location.reload(); }); return; }
    htmx.ajax("GET", list.dataset.liveList + location.search, { swap: "none" }).then(function () {
      list = document.querySelector("[data-live-list]");
    });
  }

  // --- the open ticket ----------------------------------------------------------------------

  var ticketTimer = null;
  var colleagueReplied = null;

  function scheduleTicket() {
    clearTimeout(ticketTimer);
    ticketTimer = setTimeout(refreshTicket, 150);
  }

  function composerText() {
    var box = document.getElementById("composer-text");
    return box ? box.value.trim() : "";
  }

  function refreshTicket() {
    if (!ticketPage || !window.htmx) return;
    htmx.ajax("GET", ticketPage.dataset.liveUrl, { swap: "none" }).then(afterTicketRefresh);
  }

  function afterTicketRefresh() {
    var messages = document.querySelectorAll("#timeline > li[data-message]");
    var newest = messages.length ? messages[messages.length - 1] : null;
    if (newest) newest.scrollIntoView({ block: "nearest" });
    if (colleagueReplied) {
      if (composerText()) {
        // The draft may now be the second answer to one question: say so now; the
        // desk refuses the send once more if the agent goes ahead without looking.
        warn(fill(text.colleagueReplied, { name: colleagueReplied }));
      } else {
        var seen = document.getElementById("composer-seen");
        if (seen && newest) seen.value = newest.dataset.message;
      }
      colleagueReplied = null;
    }
    markSeen();
  }

  function markSeen() {
    if (document.visibilityState === "hidden") return;
    var incoming = document.querySelectorAll("#timeline > li.message-in[data-message]");
    if (incoming.length) {
      send({ type: "seen", message: Number(incoming[incoming.length - 1].dataset.message) });
    }
  }

  function presenceBar() {
    var bar = document.getElementById("live-presence");
    if (!bar && ticketPage) {
      bar = document.createElement("p");
      bar.id = "live-presence";
      bar.className = "live-presence";
      bar.setAttribute("role", "status");
      bar.setAttribute("aria-live", "polite");
      ticketPage.insertBefore(bar, ticketPage.firstChild);
    }
    return bar;
  }

  function drawPresence() {
    var bar = presenceBar();
    if (!bar) return;
    var now = Date.now();
    var parts = [];
    Object.keys(viewers).forEach(function (id) {
      var viewer = viewers[id];
      if (now - viewer.at > PRESENCE_TTL) { delete viewers[id]; return; }
      parts.push(fill(viewer.state === "replying" ? text.replying : text.viewing, { name: viewer.name }));
    });
    if (customerTyping) parts.push(text.customerTyping);
    bar.textContent = parts.join(" · ");
    bar.classList.toggle("replying", Object.keys(viewers).some(function (id) {
      return viewers[id].state === "replying";
    }));
    bar.hidden = !parts.length;
  }

  setInterval(drawPresence, 15000);

  // Typing: tell colleagues (and a web chat visitor, for replies) at most every 2 s.
  var lastTyping = 0;
  var typingIdle = null;

  function composerMode() {
    var note = document.querySelector("#composer input[name=kind][value=note]");
    return note && note.checked ? "note" : "reply";
  }

  document.addEventListener("input", function (event) {
    if (!watchingId || event.target.id !== "composer-text") return;
    var now = Date.now();
    if (now - lastTyping > 2000) {
      lastTyping = now;
      send({ type: "typing", active: true, mode: composerMode() });
    }
    clearTimeout(typingIdle);
    typingIdle = setTimeout(stopTyping, 4000);
  });

  function stopTyping() {
    if (!lastTyping) return;
    lastTyping = 0;
    send({ type: "typing", active: false, mode: composerMode() });
  }

  document.addEventListener("submit", function (event) {
    if (event.target.id === "composer") stopTyping();
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && watchingId) markSeen();
  });

  // --- notices ------------------------------------------------------------------------------

  function banner(message, action) {
    var node = document.getElementById("live-banner");
    var tag = action ? "BUTTON" : "P";
    if (node && (!message || node.tagName !== tag)) { node.remove(); node = null; }
    if (!message) return;
    if (!node) {
      node = document.createElement(tag.toLowerCase());
      node.id = "live-banner";
      node.className = "live-banner";
      if (action) node.type = "button"; else node.setAttribute("role", "status");
      document.body.appendChild(node);
    }
    node.textContent = message;
    node.onclick = action || null;
  }

  function warn(message) {
    var area = document.getElementById("notice");
    if (!area) return;
    var paragraph = document.createElement("p");
    paragraph.className = "notice error live-warning";
    paragraph.setAttribute("role", "alert");
    paragraph.textContent = message;
    area.replaceChildren(paragraph);
  }

  // New conversations in my groups: a browser notification, and a sound if wanted.
  var notifyButton = document.getElementById("live-notify");
  var soundBox = document.getElementById("live-sound");
  if (notifyButton && window.Notification && Notification.permission === "default") {
    notifyButton.hidden = false;
    notifyButton.addEventListener("click", function () {
      Notification.requestPermission().then(function () { notifyButton.hidden = true; });
    });
  }
  if (soundBox) {
    soundBox.checked = localStorage.getItem("unidesk.sound") === "on";
    soundBox.addEventListener("change", function () {
      localStorage.setItem("unidesk.sound", soundBox.checked ? "on" : "off");
    });
  }

  function chime() {
    if (localStorage.getItem("unidesk.sound") !== "on") return;
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      var audio = new Context();
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.4);
    } catch (e) { /* no audio here */ }
  }

  function notifyNew(fact) {
    var title = fill(text.newChat, { number: fact.number });
    var body = (fact.message && fact.message.text) || fact.subject || "";
    document.dispatchEvent(new CustomEvent("unidesk:new-conversation", { detail: fact }));
    chime();
    if (!window.Notification || Notification.permission !== "granted") return;
    var note = new Notification(title, { body: body, tag: "unidesk-" + fact.ticket });
    note.onclick = function () {
      window.focus();
      location.href = "/t/" + fact.number + "/";
    };
  }

  // --- frames from the desk -----------------------------------------------------------------

  var HANDLERS = {
    ticket: function (frame) {
      var fact = frame.fact || {};
      if (list) scheduleList();
      if (watchingId && fact.ticket === watchingId) {
        var message = fact.message;
        if (fact.kind === "reply" && message && message.author_agent_id &&
            message.author_agent_id !== me && message.origin === "agent") {
          colleagueReplied = message.author_name;
        }
        if (fact.kind === "message" || fact.kind === "reply") {
          customerTyping = false;
          drawPresence();
        }
        scheduleTicket();
      }
      if (fact.kind === "created" && fact.mine && !fact.by_me) notifyNew(fact);
    },
    watching: function (frame) {
      watchingId = frame.ticket;
      if (ticketPage) ticketPage.setAttribute("data-live-watching", "");
      markSeen();
    },
    presence: function (frame) {
      if (frame.ticket !== watchingId || frame.agent === me) return;
      if (frame.state === "left") delete viewers[frame.agent];
      else viewers[frame.agent] = { name: frame.name, state: frame.state, at: Date.now() };
      drawPresence();
    },
    typing: function (frame) {
      if (frame.ticket !== watchingId) return;
      customerTyping = !!frame.active;
      clearTimeout(customerTimer);
      if (customerTyping) customerTimer = setTimeout(function () { customerTyping = false; drawPresence(); }, 8000);
      drawPresence();
    },
    pong: function () {},
    error: function () {}
  };

  connect();
})();
