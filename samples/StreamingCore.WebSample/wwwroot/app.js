"use strict";

// One conversation per page load.
const conversationId = "c-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8);
const eventsUrl = `/api/conversations/${encodeURIComponent(conversationId)}/events`;
const messagesUrl = `/api/conversations/${encodeURIComponent(conversationId)}/messages`;

const $ = (id) => document.getElementById(id);
const ui = {
  messages: $("messages"), empty: $("empty"), status: $("status"), state: $("connection-state"),
  count: $("connection-count"), lastId: $("last-event-id"), form: $("composer"), input: $("message"),
  send: $("send"), drop: $("drop"), log: $("log"),
};

let source = null;       // the EventSource of the answer being streamed
let lastEventId = null;  // the id of the last event received: where a resume starts
let connections = 0;     // connections opened for the current answer (EventSource's own reconnections included)
let answer = null;       // the element the current answer's text goes into

ui.form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = ui.input.value.trim();
  if (!text || source) return;
  ui.input.value = "";
  addMessage("user", text);
  const response = await fetch(messagesUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text }),
  });
  if (response.status !== 202) {
    const problem = await response.json().catch(() => ({}));
    addMessage("error", problem.detail ?? `The server answered ${response.status}.`);
    return;
  }
  answer = addMessage("assistant", "");
  connections = 0;
  setState("streaming");
  openStream();
});

// Like a network drop: close the EventSource, then open a new one that resumes after the last event received.
// A new EventSource cannot set Last-Event-ID itself, so the position goes in the lastEventId query parameter.
ui.drop.addEventListener("click", () => {
  if (!source) return;
  source.close();
  source = null;
  ui.drop.disabled = true;
  setConnection("dropped — resuming…", "dropped");
  logLine(`dropped by you after ${lastEventId}`, "marker");
  setTimeout(openStream, 800);
});

function openStream() {
  const url = lastEventId ? `${eventsUrl}?lastEventId=${encodeURIComponent(lastEventId)}` : eventsUrl;
  source = new EventSource(url);
  source.onopen = () => {
    connections++;
    ui.status.dataset.connections = connections;
    ui.count.textContent = connections === 1 ? "connection 1" : `connection ${connections} · resumed ${connections - 1}×`;
    setConnection("connected", "connected");
    ui.drop.disabled = false;
    logLine(connections === 1 ? "connected" : `reconnected after ${lastEventId}`, "marker");
  };
  // A dropped connection or a normal end of the body: EventSource reconnects by itself with Last-Event-ID.
  source.onerror = () => {
    if (source && source.readyState === EventSource.CONNECTING) setConnection("reconnecting…", "reconnecting");
  };
  for (const kind of ["started", "delta", "finished", "failed"]) {
    source.addEventListener(kind, (e) => receive(kind, e));
  }
}

function receive(kind, e) {
  lastEventId = e.lastEventId;
  ui.lastId.textContent = lastEventId;
  const data = JSON.parse(e.data);
  logLine(`${e.lastEventId.split(":").pop().padStart(3)} ${kind}${data.text !== undefined ? " " + JSON.stringify(data.text) : ""}`, kind);
  if (kind === "delta") {
    answer.textContent += data.text;
    ui.messages.scrollTop = ui.messages.scrollHeight;
  } else if (kind === "finished" || kind === "failed") {
    source.close();
    source = null;
    ui.drop.disabled = true;
    if (kind === "failed") addMessage("error", data.error);
    const usage = data.usage ? ` · ${data.usage.outputTokens} tokens` : "";
    answer.parentElement.dataset.meta = `${connections} connection${connections === 1 ? "" : "s"}${usage}`;
    setConnection("closed", "idle");
    setState(kind === "finished" ? "done" : "failed");
  }
}

function addMessage(role, text) {
  ui.empty?.remove();
  const item = document.createElement("article");
  item.className = `message ${role}`;
  const body = document.createElement("div");
  body.className = "text";
  body.textContent = text;
  item.append(body);
  ui.messages.append(item);
  ui.messages.scrollTop = ui.messages.scrollHeight;
  return body;
}

function setState(state) {
  document.body.dataset.state = state;
  ui.send.disabled = state === "streaming"; // one answer at a time per conversation (the server answers 409 otherwise)
  answer?.parentElement.classList.toggle("streaming", state === "streaming");
}

function setConnection(label, kind) {
  ui.state.textContent = label;
  ui.state.dataset.kind = kind;
}

function logLine(text, kind) {
  const item = document.createElement("li");
  item.className = kind;
  item.textContent = text;
  ui.log.append(item);
  while (ui.log.children.length > 200) ui.log.firstChild.remove();
  ui.log.scrollTop = ui.log.scrollHeight;
}
