/* On call in the desk: while a desk tab is open, ask the server for pages every few seconds and show
   each as a browser notification with a sound (and a banner in the page, also the fallback when
   notifications are not allowed). Clicking the notification or the banner's button acknowledges
   through the page's one-click link. Static file, no inline code (strict CSP). */
(function () {
  "use strict";
  var holder = document.getElementById("oncall-alerts");
  if (!holder || !window.fetch) { return; }
  var POLL_MS = 4000;
  var state = { notifications: [], shown: [] };
  window.guichetOncall = state;

  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) { return; }
      var ctx = new Ctx(), osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.type = "square"; osc.frequency.value = 880; gain.gain.value = 0.08;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.6);
    } catch (e) { /* no sound: the notification and the banner remain */ }
  }

  function acknowledge(alert, banner) {
    return fetch(alert.ack_url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (banner) {
          var p = banner.querySelector(".oncall-result");
          p.textContent = data.message || holder.dataset.doneLabel;
          var b = banner.querySelector("button"); if (b) { b.disabled = true; }
        }
        document.dispatchEvent(new CustomEvent("guichet:oncall-ack", { detail: data }));
        return data;
      });
  }

  function banner(alert) {
    var box = document.createElement("section");
    box.className = "oncall-banner"; box.setAttribute("role", "alert"); box.dataset.testid = "oncall-banner";
    var h = document.createElement("h2"); h.textContent = alert.title; box.appendChild(h);
    var p = document.createElement("p"); p.textContent = alert.body.split("\n")[0]; box.appendChild(p);
    var a = document.createElement("a"); a.href = alert.url; a.textContent = "#" + (alert.url.match(/(\d+)\/?$/) || ["", ""])[1];
    box.appendChild(a);
    var b = document.createElement("button"); b.type = "button"; b.className = "primary";
    b.textContent = holder.dataset.ackLabel;
    b.addEventListener("click", function () { acknowledge(alert, box); });
    box.appendChild(b);
    var r = document.createElement("p"); r.className = "oncall-result"; r.setAttribute("role", "status"); box.appendChild(r);
    document.body.appendChild(box);
    return box;
  }

  function show(alert) {
    var box = banner(alert);
    state.shown.push(alert);
    beep();
    if ("Notification" in window && Notification.permission === "granted") {
      var n = new Notification(alert.title, { body: alert.body.split("\n")[0], tag: "guichet-" + alert.id, requireInteraction: true });
      n.addEventListener("click", function () {
        window.focus();
        acknowledge(alert, box).then(function () { n.close(); });
      });
      state.notifications.push(n);
    }
  }

  function poll() {
    fetch(holder.dataset.url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { alerts: [] }; })
      .then(function (data) { (data.alerts || []).forEach(show); })
      .catch(function () { /* offline: try again at the next tick */ })
      .then(function () { window.setTimeout(poll, POLL_MS); });
  }

  // Notifications need the person's permission, asked on a click (browsers refuse it otherwise).
  if ("Notification" in window && Notification.permission === "default") {
    var ask = document.createElement("button");
    ask.type = "button"; ask.className = "oncall-enable small ghost";
    ask.textContent = holder.dataset.enableShort || "Alerts"; ask.title = holder.dataset.enableLabel || "";
    ask.setAttribute("aria-label", holder.dataset.enableLabel || ask.textContent);
    ask.addEventListener("click", function () { Notification.requestPermission().then(function () { ask.remove(); }); });
    var now = document.querySelector(".oncall-now");
    if (now && now.parentNode) { now.parentNode.insertBefore(ask, now); }
  }
  poll();
}());
