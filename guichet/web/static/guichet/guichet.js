/* guichet – business-time countdowns, keyboard shortcuts and composer tabs.
 * Loaded as a static file (strict CSP: no inline script). Works without it: every value
 * the countdown shows is also rendered by the server, and lists re-poll through HTMX. */
(function () {
  "use strict";

  /* ---- Countdown ------------------------------------------------------------------------
   * The server renders, for each running clock, the business seconds left at render time
   * (data-remaining), whether the ticket's calendar is open now (data-open) and the seconds
   * until it next opens or closes (data-boundary-in, empty when none within two weeks).
   * Business time only passes while the calendar is open, so the countdown ticks while open
   * and stops at the boundary; a closed calendar starts ticking at its next opening. We know a
   * single boundary, so after crossing one the figure freezes, marked "pending refresh", until
   * the server re-renders it (queue every 30 s, ticket SLA panel every 30 s). */
  var body = document.body;

  /* ---- Language switch: with script, choosing the language submits it (the OK button is for
   * browsers without script), which leaves the top bar room on one row. */
  var languageSelect = document.getElementById("language-select");
  var languageSubmit = document.getElementById("language-submit");
  if (languageSelect && languageSubmit && languageSelect.form) {
    languageSubmit.hidden = true;
    languageSelect.addEventListener("change", function () { languageSelect.form.submit(); });
  }

  var t = {
    left: body.dataset.clockLeft || "%s left",
    over: body.dataset.clockOver || "overdue by %s",
    stale: body.dataset.clockStale || "refreshing",
    running: body.dataset.clockRunning || "Running",
  };

  /* Business time in hours and minutes, never days (24 business hours are not "1 d"): the same
   * words as the server's guichet.web.timefmt.duration_text. */
  function fmt(seconds) {
    seconds = Math.abs(Math.round(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    function two(n) { return (n < 10 ? "0" : "") + n; }
    if (h) { return h + " h " + two(m) + " min"; }
    if (m) { return m + " min " + two(s) + " s"; }
    return s + " s";
  }

  function tickClock(el) {
    if (!el.dataset.started) { el.dataset.started = String(Date.now()); }
    var remaining0 = parseFloat(el.dataset.remaining);
    if (isNaN(remaining0)) { return; }
    var open = el.dataset.open === "1";
    var boundaryIn = el.dataset.boundaryIn === "" || el.dataset.boundaryIn === undefined ? Infinity : parseFloat(el.dataset.boundaryIn);
    var real = (Date.now() - parseInt(el.dataset.started, 10)) / 1000;
    var business, stale = false;
    if (open) {
      business = Math.min(real, boundaryIn);
      stale = real >= boundaryIn;   // closed since: the server's next render says until when
    } else if (real < boundaryIn) {
      return;                        // still outside support hours: the server's text stands
    } else {
      business = real - boundaryIn;  // the hours opened: count, and say so
      if (!el.dataset.opened) {
        el.dataset.opened = "1";
        el.classList.remove("clock-idle");
        var state = el.querySelector(".clock-state");
        if (state && !el.classList.contains("clock-breached")) { state.textContent = t.running; }
      }
    }
    var remaining = remaining0 - business;
    var text = remaining >= 0 ? t.left.replace("%s", fmt(remaining)) : t.over.replace("%s", fmt(remaining));
    if (stale) { text += " (" + t.stale + ")"; }
    var out = el.querySelector(".clock-text");
    if (out && out.textContent !== text) { out.textContent = text; }
    if (remaining < 0 && !el.classList.contains("clock-breached")) {
      el.classList.remove("clock-running", "clock-warning");
      el.classList.add("clock-breached");
      var label = el.querySelector(".clock-state");
      if (label && body.dataset.clockBreached) { label.textContent = body.dataset.clockBreached; }
    }
  }

  function tickAll() {
    var clocks = document.querySelectorAll(".clock[data-remaining]");
    for (var i = 0; i < clocks.length; i++) { tickClock(clocks[i]); }
  }
  tickAll();
  window.setInterval(tickAll, 1000);

  /* ---- Toasts: a close button on each; confirmations leave by themselves after a while ----- */
  function setupToasts(root) {
    Array.prototype.forEach.call(root.querySelectorAll(".toast:not([data-ready])"), function (toast) {
      toast.dataset.ready = "1";
      var close = document.createElement("button");
      close.type = "button";
      close.className = "toast-close";
      close.setAttribute("aria-label", body.dataset.toastClose || "Dismiss");
      close.textContent = "\u00d7";
      close.addEventListener("click", function () { toast.hidden = true; });
      toast.appendChild(close);
      if (toast.classList.contains("toast-success")) {
        window.setTimeout(function () { toast.hidden = true; }, 8000);
      }
    });
  }
  setupToasts(document);

  /* ---- Queue selection and shortcuts ------------------------------------------------------ */
  var selectedId = null;

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr[data-ticket-url]")); }

  function select(row) {
    rows().forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-selected"); });
    if (!row) { return; }
    row.classList.add("selected");
    row.setAttribute("aria-selected", "true");
    selectedId = row.dataset.ticketId;
    var link = row.querySelector("a");
    if (link) { link.focus({ preventScroll: true }); }
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    var index = all.findIndex(function (r) { return r.dataset.ticketId === selectedId; });
    index = index === -1 ? 0 : Math.max(0, Math.min(all.length - 1, index + step));
    select(all[index]);
  }

  function typing(target) {
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function showTab(name) {
    var tab = document.querySelector('[role="tab"][data-panel="' + name + '"]');
    if (tab) { tab.click(); }
    var area = document.getElementById(name + "-body");
    if (area) { area.focus(); return true; }
    return false;
  }

  var pendingG = false;
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (typing(event.target)) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    var help = document.getElementById("shortcut-help");
    if (!help) { return; } // shortcuts are for the agent desk only
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      if (key === "q" && body.dataset.queueUrl) { window.location.href = body.dataset.queueUrl; event.preventDefault(); }
      return;
    }
    var handled = true;
    if (key === "j") { move(1); }
    else if (key === "k") { move(-1); }
    else if (key === "Enter" || key === "o") {
      var row = document.querySelector("tr.selected[data-ticket-url]");
      if (row) { window.location.href = row.dataset.ticketUrl; } else { handled = false; }
    }
    else if (key === "r") { handled = showTab("reply"); }
    else if (key === "n") { handled = showTab("note"); }
    else if (key === "/") { var search = document.getElementById("global-search"); if (search) { search.focus(); search.select(); } }
    else if (key === "?") { if (!help.open) { help.showModal(); } }
    else if (key === "g") { pendingG = true; }
    else { handled = false; }
    if (handled) { event.preventDefault(); }
  });

  /* Keep the selection when HTMX re-renders the queue, and start new countdowns. */
  document.addEventListener("htmx:afterSettle", function () {
    if (selectedId) {
      var row = document.querySelector('tr[data-ticket-id="' + selectedId + '"]');
      if (row) { row.classList.add("selected"); row.setAttribute("aria-selected", "true"); }
    }
    tickAll();
  });

  /* ---- Composer tabs (reply / note / call) ----------------------------------------------- */
  function setupTabs(list) {
    var tabs = Array.prototype.slice.call(list.querySelectorAll('[role="tab"]'));
    function activate(tab) {
      tabs.forEach(function (other) {
        var on = other === tab;
        other.setAttribute("aria-selected", on ? "true" : "false");
        other.tabIndex = on ? 0 : -1;
        var panel = document.getElementById(other.getAttribute("aria-controls"));
        if (panel) { panel.hidden = !on; }
      });
    }
    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { activate(tab); });
      tab.addEventListener("keydown", function (event) {
        var next = null;
        if (event.key === "ArrowRight") { next = tabs[(i + 1) % tabs.length]; }
        if (event.key === "ArrowLeft") { next = tabs[(i - 1 + tabs.length) % tabs.length]; }
        if (next) { next.focus(); activate(next); event.preventDefault(); }
      });
    });
    var initial = tabs.find(function (tab) { return tab.getAttribute("aria-selected") === "true"; }) || tabs[0];
    if (initial) { activate(initial); }
  }
  Array.prototype.forEach.call(document.querySelectorAll('[role="tablist"]'), setupTabs);
})();
