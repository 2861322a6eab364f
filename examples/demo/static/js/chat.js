// The demo's chat room: WebSockets, or server-sent events where they are blocked.
"use strict";

(function () {
  const root = document.getElementById("chat");
  const list = document.getElementById("messages");
  const status = root.querySelector(".status");
  const form = document.getElementById("send");
  const input = document.getElementById("text");
  let send = null;

  function show(data) {
    const message = JSON.parse(data);
    const item = document.createElement("li");
    const author = document.createElement("strong");
    author.textContent = message.author + ": ";  // text, never markup
    item.append(author, document.createTextNode(message.text));
    list.append(item);
  }

  function ready(transport) {
    root.dataset.transport = transport;
    status.textContent = "Connected (" + transport + ")";
  }

  function useEvents() {
    const events = new EventSource(root.dataset.events);
    events.onopen = () => ready("sse");
    events.onmessage = (event) => show(event.data);
    send = (text) => fetch(root.dataset.post, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": root.dataset.csrf},
      body: JSON.stringify({text: text}),
    });
  }

  function useSocket() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + root.dataset.socket);
    let opened = false;
    socket.onopen = () => { opened = true; ready("websocket"); };
    socket.onmessage = (event) => show(event.data);
    socket.onclose = () => {
      if (!opened) { useEvents(); }  // blocked on the way: fall back
      else { status.textContent = "Disconnected"; root.dataset.transport = "closed"; }
    };
    send = (text) => socket.send(JSON.stringify({text: text}));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (text && send) { send(text); input.value = ""; }
  });

  if ("WebSocket" in window && !new URLSearchParams(location.search).has("sse")) {
    useSocket();
  } else {
    useEvents();
  }
})();
