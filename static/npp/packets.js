/* Packet builds on the admin case page: poll each running build's JSON status and move its
 * progress bar; show the download link or the error when it ends. Loaded as a file (no inline
 * script), so the page works under a Content-Security-Policy without 'unsafe-inline'.
 * Markup: templates/admin/cases/case/_packets.html. */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var ACTIVE = { queued: true, running: true };

  function show(element, visible) {
    if (element) { element.hidden = !visible; }
  }

  function render(row, data) {
    var bar = row.querySelector(".npp-packet-progress");
    var step = row.querySelector(".npp-packet-step");
    var error = row.querySelector(".npp-packet-error");
    var link = row.querySelector(".npp-packet-download");
    var active = ACTIVE[data.status] === true;
    if (bar) {
      bar.value = data.progress;
      bar.textContent = data.progress + "%";
      show(bar, active || data.status === "done");
    }
    if (step) {
      step.textContent = active ? data.progress + "%: " + data.step : (data.status === "done" ? "Done." : "");
    }
    if (error) {
      error.textContent = data.status === "failed" ? "Failed: " + data.error : "";
      show(error, data.status === "failed");
    }
    if (link && data.download_url) {
      link.href = data.download_url;
      show(link, true);
    }
    row.setAttribute("data-npp-packet-status", data.status);
    return active;
  }

  function poll(row) {
    var url = row.getAttribute("data-npp-packet-status-url");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (render(row, data)) { window.setTimeout(function () { poll(row); }, POLL_MS); }
      })
      .catch(function () {
        // A dropped request (server restarting, laptop asleep): try again a little later.
        window.setTimeout(function () { poll(row); }, POLL_MS * 5);
      });
  }

  function start() {
    var rows = document.querySelectorAll("[data-npp-packet-status-url]");
    Array.prototype.forEach.call(rows, function (row) {
      if (ACTIVE[row.getAttribute("data-npp-packet-status")] === true) { poll(row); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
