// The console's only script: live refresh over Server-Sent Events, a sound and a desktop
// notification when someone new is waiting, ready replies into the reply box.
(function () {
  "use strict";
  const baseTitle = document.title;
  let last = null;

  function beep() {
    try {
      const ctx = new (window.AudioContext || window.webkitAudioContext)();
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.08;
      osc.connect(gain).connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.18);
    } catch (e) { /* no audio: the title still changes */ }
  }

  function notify(text) {
    if ("Notification" in window && Notification.permission === "granted" && document.hidden) {
      new Notification("Qonys", { body: text, tag: "qonys-queue" });
    }
  }

  function show(waiting) {
    document.title = waiting > 0 ? "(" + waiting + ") " + baseTitle : baseTitle;
    const badge = document.getElementById("waiting-badge");
    if (badge) {
      badge.textContent = String(waiting);
      badge.hidden = waiting === 0;
    }
  }

  function scrollDown() {
    const box = document.getElementById("transcript");
    if (box) box.scrollTop = box.scrollHeight;
  }

  function listen() {
    const live = document.getElementById("live");
    if (!live || !window.EventSource) return;
    const source = new EventSource(live.dataset.events);
    source.addEventListener("changed", function (event) {
      const now = JSON.parse(event.data);
      show(now.waiting);
      if (last !== null) {
        if (now.case > last.case || now.waiting > last.waiting) {
          beep();
          notify(document.body.dataset.newCase || "+1");
        } else if (now.message > last.message) {
          beep();
        }
        document.body.dispatchEvent(new CustomEvent("qonys:changed"));
      }
      last = now;
    });
  }

  function cannedReplies() {
    const select = document.getElementById("canned-select");
    const box = document.getElementById("reply-text");
    if (!select || !box) return;
    select.addEventListener("change", function () {
      const option = select.selectedOptions[0];
      if (option && option.dataset.text) {
        box.value = box.value ? box.value + "\n" + option.dataset.text : option.dataset.text;
        box.focus();
      }
    });
  }

  function notificationsButton() {
    const button = document.getElementById("notify-toggle");
    if (!button || !("Notification" in window) || Notification.permission !== "default") return;
    button.hidden = false;
    button.addEventListener("click", function () {
      Notification.requestPermission().then(function () { button.hidden = true; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    listen();
    cannedReplies();
    notificationsButton();
    scrollDown();
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target.id === "transcript") scrollDown();
    });
  });
})();
