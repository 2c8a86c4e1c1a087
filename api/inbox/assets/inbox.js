// The inbox's only script: follows /inbox/events (server-sent events) and, when a run of this
// page changes, fetches the page's live region again from the server and swaps it in. No
// framework, no build; the server renders every piece of HTML.
/* global document, window, EventSource, fetch, DOMParser, setTimeout, clearTimeout */
(function () {
  'use strict';

  // A form is sent once: a second click while the first answer travels would be refused anyway.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (form.dataset.sent === '1') event.preventDefault();
    else form.dataset.sent = '1';
  });

  var region = document.getElementById('live');
  if (!region || !window.EventSource) return;
  var status = document.getElementById('live-status');
  var timer = null;
  var running = false;
  var again = false;

  function show(text, state) {
    if (!status) return;
    status.hidden = false;
    status.textContent = text;
    status.dataset.state = state;
  }

  function versionOf(element) {
    var value = element.getAttribute('data-version');
    return value === null ? null : Number(value);
  }

  function refresh() {
    if (running) { again = true; return; }
    running = true;
    var url = region.getAttribute('data-fragment');
    fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'text/html' } })
      .then(function (response) {
        // Signed out (expired session, keys changed): the page itself leads to the sign-in.
        if (response.status === 401) { window.location.reload(); return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (text) {
        if (text === null) return;
        var next = new DOMParser().parseFromString(text, 'text/html').getElementById('live');
        if (!next) return;
        var shown = versionOf(region);
        var fresh = versionOf(next);
        // A run page keeps what it shows (and what is being typed) until the run really moved on.
        if (shown !== null && fresh !== null && fresh <= shown) return;
        // Only a reminder since: the same question, so swap its deadline line and keep the form.
        var question = region.getAttribute('data-question');
        if (question !== null && question === next.getAttribute('data-question')) {
          var lines = region.querySelectorAll('.deadline');
          var freshLines = next.querySelectorAll('.deadline');
          if (lines.length === freshLines.length) {
            for (var i = 0; i < lines.length; i++) lines[i].replaceWith(freshLines[i]);
            region.setAttribute('data-version', String(fresh));
            return;
          }
        }
        region.replaceWith(next);
        region = next;
        document.body.dataset.liveUpdates = String(Number(document.body.dataset.liveUpdates || 0) + 1);
      })
      .catch(function () { /* the next event or reconnect tries again */ })
      .then(function () {
        running = false;
        if (again) { again = false; schedule(); }
      });
  }

  function schedule() {
    clearTimeout(timer);
    // Changes come in bursts (a resume, then the next pause): one fetch for the burst.
    timer = setTimeout(refresh, 150);
  }

  function connect() {
    var source = new EventSource(region.getAttribute('data-events'));
    source.addEventListener('ready', function () {
      show('Live', 'live');
      // Catch up on what changed before the stream was up: since the page was rendered, or while
      // a dropped stream reconnected. A run page swaps only when its run really moved on.
      schedule();
    });
    source.addEventListener('run', function (event) {
      var change;
      try { change = JSON.parse(event.data); } catch { return; }
      var runId = region.getAttribute('data-run-id');
      if (runId !== null) {
        if (change.runId !== runId) return;
        var shown = versionOf(region);
        if (shown !== null && change.version <= shown) return;
      }
      schedule();
    });
    source.addEventListener('error', function () {
      show('Reconnecting…', 'down');
      if (source.readyState === EventSource.CLOSED) {
        // Refused (signed out, server gone): check the page, then try again later.
        refresh();
        setTimeout(connect, 5000);
      }
    });
  }

  connect();
})();
