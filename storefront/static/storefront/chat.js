// Chat widget: vanilla JS, no CDN. Every text from the server or the user is shown with
// textContent (never innerHTML), so HTML typed into the chat stays text.
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root) return;
  var api = root.getAttribute("data-api");
  var panel = document.getElementById("chat-panel");
  var toggle = document.getElementById("chat-toggle");
  var log = document.getElementById("chat-log");
  var quick = document.getElementById("chat-quick");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var conversation = null;
  var busy = false;

  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }

  function call(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": cookie("csrftoken"),
      },
      body: JSON.stringify(body || {}),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) {
          var err = new Error(data.detail || "The chat is not available right now.");
          err.status = r.status;
          throw err;
        }
        return data;
      });
    });
  }

  function add(role, text, meta) {
    var div = document.createElement("div");
    div.className = "msg " + role;
    div.setAttribute("data-role", role);
    var p = document.createElement("p");
    p.textContent = text;
    div.appendChild(p);
    if (meta) {
      var small = document.createElement("small");
      small.className = "meta";
      small.textContent = meta;
      div.appendChild(small);
    }
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function showQuick(replies) {
    quick.replaceChildren();
    (replies || []).forEach(function (label) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "quick";
      b.textContent = label;
      b.addEventListener("click", function () { send(label); });
      quick.appendChild(b);
    });
  }

  var seen = {};
  var poller = null;
  var KEY = "shop-chat-conversation";

  function notHelpful(div, id) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "feedback";
    b.textContent = "Not helpful";
    b.setAttribute("aria-label", "This reply was not helpful");
    b.addEventListener("click", function () {
      b.disabled = true;
      call(api + encodeURIComponent(conversation) + "/messages/" + id + "/feedback/",
           { helpful: false })
        .then(function () { b.textContent = "Thanks, we'll learn from it"; })
        .catch(function () { b.disabled = false; });
    });
    div.appendChild(b);
  }

  function showMessage(message) {
    // The API sends what the bot understood (intent, confidence) to staff only; a
    // customer's replies have no such fields, so no label is shown to them.
    if (message.id != null) {
      if (seen[message.id]) return;
      seen[message.id] = true;
    }
    if (message.role === "user") { add("user", message.text); return; }
    if (message.role === "agent") {
      add("agent", message.text, "Customer service team");
      return;
    }
    var meta = message.intent
      ? message.intent + (message.confidence != null ? " · " + Math.round(message.confidence * 100) + "%" : "")
      : "";
    var div = add("bot", message.text, meta);
    if (message.id != null && message.action !== "welcome") notHelpful(div, message.id);
  }

  function showReply(reply) {
    showMessage(reply);
    showQuick(reply.quick_replies);
  }

  // After a handoff, the team's reply arrives in the transcript: look every 20 s.
  function follow(status) {
    if (status !== "handed_off" || poller) return;
    poller = window.setInterval(function () {
      fetch(api + encodeURIComponent(conversation) + "/", {
        credentials: "same-origin", headers: { Accept: "application/json" },
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
        if (!data) return;
        data.messages.forEach(function (m) { if (m.role === "agent") showMessage(m); });
      }).catch(function () {});
    }, 20000);
  }

  // A conversation survives page loads (the server checks it is this visitor's):
  // this tab's, else the visitor's latest open one (their account's when signed in,
  // this browser's session otherwise), so a support reply is read on a new visit.
  function transcript(url) {
    return fetch(url, {
      credentials: "same-origin", headers: { Accept: "application/json" },
    }).then(function (r) {
      if (!r.ok || r.status === 204) throw new Error("none");  // 204: nothing open
      return r.json();
    });
  }

  function resume() {
    var id = window.sessionStorage.getItem(KEY);
    var current = api + "current/";
    var found = id
      ? transcript(api + encodeURIComponent(id) + "/").catch(function () {
          return transcript(current);
        })
      : transcript(current);
    return found.then(function (data) {
      conversation = data.conversation.id;
      window.sessionStorage.setItem(KEY, conversation);
      data.messages.forEach(showMessage);
      var last = data.messages[data.messages.length - 1];
      if (last) showQuick(last.quick_replies);
      follow(data.conversation.status);
      return conversation;
    });
  }

  function start() {
    if (conversation) return Promise.resolve(conversation);
    return resume().catch(function () {
      return call(api).then(function (data) {
        conversation = data.conversation.id;
        window.sessionStorage.setItem(KEY, conversation);
        showReply(data.reply);
        return conversation;
      });
    });
  }

  function send(text) {
    if (busy) return;
    busy = true;
    add("user", text);
    showQuick([]);
    start()
      .then(function (id) {
        return call(api + encodeURIComponent(id) + "/messages/", { text: text });
      })
      .then(function (data) {
        showReply(data.reply);
        follow(data.conversation.status);
      })
      .catch(function (err) {
        add("bot error", err.status === 429
          ? "You're sending messages very fast; please wait a moment and try again."
          : err.message);
      })
      .finally(function () { busy = false; });
  }

  toggle.addEventListener("click", function () {
    var open = panel.hidden;
    panel.hidden = !open;
    root.classList.toggle("closed", !open);
    toggle.setAttribute("aria-expanded", String(open));
    if (open) {
      start().catch(function (err) { add("bot error", err.message); });
      input.focus();
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    send(text);
  });
})();
