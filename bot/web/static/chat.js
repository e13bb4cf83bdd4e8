// Web chat: one WebSocket; unacknowledged messages are kept and resent after a reconnect, and
// the conversation id is kept in sessionStorage so a reload or a network drop resumes it.
(() => {
  const main = document.querySelector("main.chat");
  const token = main.dataset.token;
  const log = document.getElementById("log");
  const typing = document.getElementById("typing");
  const status = document.getElementById("status");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const storeKey = "chat:" + token.slice(-16);
  // The page's words in the customer's language (bot/channels/webchat.py page_strings).
  const say = JSON.parse(document.getElementById("chat-strings").textContent);
  let conversationId = sessionStorage.getItem(storeKey);
  const pending = new Map(); // id -> text, until the server replies
  let socket = null;
  let retry = 500;
  let ended = false;

  function add(from, text) {
    const li = document.createElement("li");
    li.className = from === "bot" ? "bot" : "me";
    li.textContent = text;
    // The customer may switch language mid-conversation: each message says its own, so a
    // screen reader reads Chinese as Chinese on an English page and the other way round.
    li.lang = /[\u3400-\u9fff\uf900-\ufaff]/.test(text) ? "zh-CN" : "en";
    li.setAttribute("aria-label", (from === "bot" ? say.from_bot : say.from_me) + text);
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }

  function setEnded() {
    ended = true;
    input.disabled = true;
    document.getElementById("send").disabled = true;
    status.textContent = say.ended;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/chat/" + token + "/ws");
    socket.onopen = () => {
      retry = 500;
      status.textContent = say.connected;
      socket.send(JSON.stringify({ type: "hello", conversation_id: conversationId }));
    };
    socket.onmessage = (event) => {
      const msg = JSON.parse(event.data);
      if (msg.type === "typing") { typing.hidden = false; return; }
      typing.hidden = true;
      if (msg.type === "history") {
        conversationId = msg.conversation_id;
        sessionStorage.setItem(storeKey, conversationId);
        log.innerHTML = "";
        msg.messages.forEach((m) => add(m.from, m.text));
        for (const id of msg.answered_ids || []) pending.delete(id);
        for (const [id, text] of pending) {
          add("me", text);
          socket.send(JSON.stringify({ type: "message", id, text }));
        }
        if (msg.ended) setEnded();
      } else if (msg.type === "reply") {
        pending.delete(msg.id);
        msg.messages.forEach((t) => add("bot", t));
        if (msg.ended) setEnded();
      }
    };
    socket.onclose = () => {
      if (ended) return;
      status.textContent = say.reconnecting;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 8000);
    };
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || ended) return;
    const id = (crypto.randomUUID && crypto.randomUUID()) || String(Date.now() + Math.random());
    pending.set(id, text);
    add("me", text);
    input.value = "";
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "message", id, text }));
    }
  });

  connect();
})();
