// The live queue: redraw on every change pushed over the WebSocket (and on reconnect).
(() => {
  const rows = document.getElementById("rows");
  const notice = document.getElementById("notice");
  const minutes = (s) => (s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${s % 60}s`);
  // The customer's language ("zh-CN" in a portfolio is Mandarin): the agent calls back in it.
  const LANGUAGES = { en: "English", zh: "Mandarin (中文)" };
  const language = (code) => LANGUAGES[(code || "en").toLowerCase().split("-")[0]] || code;

  function cell(tr, text) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.appendChild(td);
  }

  async function refresh() {
    const response = await fetch("/console/api/queue", { credentials: "same-origin" });
    if (response.status === 401) { location.href = "/console/login"; return; }
    const data = await response.json();
    rows.innerHTML = "";
    for (const e of data.escalations) {
      const tr = document.createElement("tr");
      tr.dataset.id = e.id;
      tr.dataset.conversation = e.conversation_id || "";
      cell(tr, e.priority);
      cell(tr, e.reason.replaceAll("_", " "));
      cell(tr, e.customer_name);
      cell(tr, language(e.language));
      cell(tr, e.account_id);
      cell(tr, `${e.balance} ${e.currency}`);
      cell(tr, e.days_past_due);
      cell(tr, e.channel || "—");
      cell(tr, minutes(e.waiting_s));
      cell(tr, e.status === "claimed" ? `claimed by ${e.claimed_by}` : "open");
      const td = document.createElement("td");
      if (e.status === "open") {
        const button = document.createElement("button");
        button.textContent = "Claim";
        button.className = "claim";
        button.setAttribute("aria-label", `Claim ${e.reason.replaceAll("_", " ")} for ${e.customer_name}`);
        button.addEventListener("click", () => claim(e.id));
        td.appendChild(button);
      } else if (e.claimed_by === data.me) {
        const link = document.createElement("a");
        link.href = `/console/escalations/${e.id}`;
        link.textContent = "Open";
        td.appendChild(link);
      }
      tr.appendChild(td);
      rows.appendChild(tr);
    }
  }

  async function claim(id) {
    const response = await fetch(`/console/api/escalations/${id}/claim`, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": window.CSRF },
    });
    const data = await response.json();
    if (response.ok && data.claimed) { location.href = data.url; return; }
    notice.textContent = "Someone else claimed that case first.";
    refresh();
  }

  function live() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/console/ws");
    socket.onopen = refresh;
    socket.onmessage = refresh;
    socket.onclose = () => setTimeout(live, 1000);
  }

  refresh();
  live();
  setInterval(refresh, 15000); // waiting times keep counting
})();
