// Web chat page. Bot and user text are always rendered with textContent (never innerHTML).
(function () {
  "use strict";

  var SESSION_KEY = "hotich_session_id";
  var POLL_MS = 4000;
  var NETWORK_ERROR = "Không kết nối được tới máy chủ. Bạn kiểm tra kết nối mạng rồi gửi lại nhé.";
  var GENERIC_ERROR = "Xin lỗi, có lỗi xảy ra. Bạn vui lòng thử lại sau ít phút.";
  var QUEUED_NOTE = "Trả lời cho tin nhắn bạn gửi lúc ";

  var chat = document.getElementById("chat");
  var typing = document.getElementById("typing");
  var form = document.getElementById("composer");
  var input = document.getElementById("message");
  var inFlight = 0;
  var pollTimer = null;

  function randomId() {
    var bytes = new Uint8Array(18);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function newSessionId() {
    var id = randomId();
    try { localStorage.setItem(SESSION_KEY, id); } catch (e) { /* keep it for this page only */ }
    return id;
  }

  var sessionId = (function () {
    var id = null;
    try { id = localStorage.getItem(SESSION_KEY); } catch (e) { /* storage disabled */ }
    return (id && /^[A-Za-z0-9_-]{8,64}$/.test(id)) ? id : newSessionId();
  })();

  function scrollDown() { chat.scrollTop = chat.scrollHeight; }

  function addRow(cls) {
    var row = document.createElement("div");
    row.className = "msg " + cls;
    chat.appendChild(row);
    return row;
  }

  function addBubble(cls, text) {
    var row = addRow(cls);
    var p = document.createElement("p");
    p.className = "bubble";
    p.textContent = text;   // line breaks shown by CSS white-space: pre-line
    row.appendChild(p);
    scrollDown();
    return row;
  }

  function addNote(text) {
    var row = addRow("bot");
    var p = document.createElement("p");
    p.className = "note";
    p.textContent = text;
    row.appendChild(p);
  }

  function addBotMessage(m) {
    var row = addBubble("bot", m.text || "");
    if (m.image && /^https?:\/\//.test(m.image)) {
      var a = document.createElement("a");
      a.href = m.image; a.target = "_blank"; a.rel = "noopener noreferrer";
      a.textContent = "Xem hình ảnh";
      row.appendChild(a);
    }
    var buttons = m.buttons || [];
    if (!buttons.length) return;
    var group = document.createElement("div");
    group.className = "chips";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Lựa chọn");
    buttons.forEach(function (b) {
      var chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip";
      chip.textContent = b.title;
      chip.addEventListener("click", function () {
        if (group.dataset.used) return;          // a double tap acts once
        group.dataset.used = "1";
        Array.prototype.forEach.call(group.querySelectorAll("button"), function (c) { c.disabled = true; });
        chip.setAttribute("aria-pressed", "true");
        send({ payload: b.payload }, b.title);
        input.focus();
      });
      group.appendChild(chip);
    });
    row.appendChild(group);
    scrollDown();
  }

  function setTyping(delta) {
    inFlight += delta;
    typing.hidden = inFlight <= 0;
    if (!typing.hidden) scrollDown();
  }

  function timeOf(iso) {
    var d = new Date(iso);
    if (isNaN(d)) return "";
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  function startPolling() {
    if (pollTimer === null) pollTimer = setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer !== null) { clearInterval(pollTimer); pollTimer = null; }
  }

  // Answers to messages that were kept while the assistant was down.
  function poll() {
    // The session id goes in the body: URLs end up in proxy and browser logs.
    fetch("/api/pending", {
      method: "POST", cache: "no-store",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: sessionId })
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        (data.replies || []).forEach(function (reply) {
          // Officers' messages are not answers to a queued message
          if (!isHandoff(reply.messages)) addNote(QUEUED_NOTE + timeOf(reply.queued_at) + ":");
          (reply.messages || []).forEach(addBotMessage);
        });
        if (data.waiting > 0 || data.handoff) startPolling(); else stopPolling();
      })
      .catch(function () { /* try again at the next tick */ });
  }

  // A chat handed to an officer keeps polling for the officer's messages.
  function isHandoff(messages) {
    return (messages || []).some(function (m) { return m.custom && m.custom.handoff; });
  }

  function send(body, shownText) {
    if (shownText) addBubble("me", shownText);
    body.session_id = sessionId;
    setTyping(1);
    return fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        setTyping(-1);
        if (r.ok) {
          (data.messages || []).forEach(addBotMessage);
          if (isHandoff(data.messages)) startPolling();
          return;
        }
        addBubble("error", data.error || GENERIC_ERROR);
        if (r.status === 503 && data.queued) startPolling();
      });
    }, function () {
      setTyping(-1);
      addBubble("error", NETWORK_ERROR);
      if (body.text && !input.value) input.value = body.text;   // not received: let them resend
    });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) { input.focus(); return; }
    input.value = "";
    send({ text: text }, text);
    input.focus();
  });

  // ---- papers sent ahead, POST /api/upload (session_id first, then file) ----
  var fileInput = document.getElementById("file");
  if (fileInput) {
    fileInput.addEventListener("change", function () {
      var f = fileInput.files && fileInput.files[0];
      if (!f) return;
      fileInput.value = "";
      addBubble("me", "📎 " + f.name);
      var fd = new FormData();
      fd.append("session_id", sessionId);
      fd.append("file", f, f.name);
      setTyping(1);
      fetch("/api/upload", { method: "POST", body: fd }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          setTyping(-1);
          if (r.ok) { (data.messages || []).forEach(addBotMessage); return; }
          addBubble("error", data.error || GENERIC_ERROR);
        });
      }, function () {
        setTyping(-1);
        addBubble("error", NETWORK_ERROR);
      });
    });
  }
  // ---- end papers sent ahead ---------------------------------------------------------------------

  // "Cuộc trò chuyện mới": on a shared phone or PC the next person must not see, or continue as,
  // the previous one. A new random id is a new conversation on the server; the old one is left.
  var resetButton = document.getElementById("new-chat");
  if (resetButton) {
    resetButton.addEventListener("click", function () {
      stopPolling();
      sessionId = newSessionId();
      while (chat.firstChild) chat.removeChild(chat.firstChild);
      input.value = "";
      send({ start: "" });
      input.focus();
    });
  }

  // First load: a QR poster's deep link (?start=kh_TT01) opens that procedure; otherwise a greeting.
  var params = new URLSearchParams(window.location.search);
  var start = params.get("start");
  if (start !== null) {
    params.delete("start");
    var rest = params.toString();
    // A reload must not count as a second scan.
    history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : "") + window.location.hash);
  }
  send({ start: start || "" });
  poll();   // answers kept from an earlier visit
})();
