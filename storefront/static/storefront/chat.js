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

  function showReply(reply) {
    // The API sends what the bot understood (intent, confidence) to staff only; a
    // customer's replies have no such fields, so no label is shown to them.
    var meta = reply.intent
      ? reply.intent + (reply.confidence != null ? " · " + Math.round(reply.confidence * 100) + "%" : "")
      : "";
    add("bot", reply.text, meta);
    showQuick(reply.quick_replies);
  }

  function start() {
    if (conversation) return Promise.resolve(conversation);
    return call(api).then(function (data) {
      conversation = data.conversation.id;
      showReply(data.reply);
      return conversation;
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
      .then(function (data) { showReply(data.reply); })
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
