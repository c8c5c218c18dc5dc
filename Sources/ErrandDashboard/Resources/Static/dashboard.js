// Errand dashboard: the little JavaScript the pages use. Everything here is an enhancement;
// the pages read fine without it. Text from runs is only ever set with textContent.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const output = document.getElementById("output");
  if (output) {
    setUpToggles(output);
    if (output.dataset.live === "1" && window.EventSource) tail(output);
  }
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  if (window.errandPage) window.errandPage();
});

// --- Run page: stream toggle and timestamps without a reload ---------------------------------

function setUpToggles(output) {
  const download = document.getElementById("download");
  const tsToggle = document.getElementById("ts-toggle");
  const update = () => {
    const show = output.dataset.show;
    const ts = output.dataset.ts === "1";
    for (const link of document.querySelectorAll(".toggles .seg")) {
      link.toggleAttribute("aria-current", link.dataset.show === show);
      if (link.dataset.show === show) link.setAttribute("aria-current", "true");
    }
    if (tsToggle) {
      tsToggle.toggleAttribute("aria-current", ts);
      if (ts) tsToggle.setAttribute("aria-current", "true");
    }
    const params = new URLSearchParams();
    if (show !== "all") params.set("stream", show);
    if (ts) params.set("timestamps", "1");
    const query = params.toString();
    if (download) download.href = download.dataset.base + (query ? "&" + query : "");
    history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
  };
  for (const link of document.querySelectorAll(".toggles .seg")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      output.dataset.show = link.dataset.show;
      update();
    });
  }
  if (tsToggle) {
    tsToggle.addEventListener("click", (event) => {
      event.preventDefault();
      output.dataset.ts = output.dataset.ts === "1" ? "0" : "1";
      update();
    });
  }
}

// --- Run page: live tail over the API's Server-Sent Events -----------------------------------

function tail(output) {
  const id = output.dataset.run;
  const live = document.getElementById("live");
  const empty = document.getElementById("no-output");
  let after = output.dataset.after || "0";
  let openStream = null; // the stream whose last line has no newline yet (same rule as the server)
  const events = new EventSource(`/api/v1/runs/${id}/events?after=${after}`);

  const atBottom = () => output.scrollHeight - output.scrollTop - output.clientHeight < 40;
  const addLine = (stream, time, text) => {
    const line = document.createElement("span");
    line.className = "l " + (stream === "error" ? "e" : "o");
    const ts = document.createElement("span");
    ts.className = "ts";
    ts.textContent = clock(time) + " ";
    line.append(ts, document.createTextNode(text));
    output.append(line);
  };

  events.addEventListener("output", (event) => {
    const chunk = JSON.parse(event.data);
    after = String(chunk.seq);
    const follow = atBottom();
    let text = chunk.text;
    if (text == null) text = new TextDecoder().decode(Uint8Array.from(atob(chunk.data || ""), (c) => c.charCodeAt(0)));
    const pieces = text.split("\n");
    const endsLine = pieces[pieces.length - 1] === "";
    if (endsLine) pieces.pop();
    if (pieces.length === 0) {
      if (openStream === chunk.stream) openStream = null; else addLine(chunk.stream, chunk.time, "");
    } else {
      let start = 0;
      const last = output.lastElementChild;
      if (openStream === chunk.stream && last) {
        last.append(document.createTextNode(pieces[0]));
        start = 1;
      }
      for (let i = start; i < pieces.length; i++) addLine(chunk.stream, chunk.time, pieces[i]);
      openStream = endsLine ? null : chunk.stream;
    }
    if (empty) empty.hidden = true;
    if (follow) output.scrollTop = output.scrollHeight;
  });
  events.addEventListener("state", () => refreshSummary());
  events.addEventListener("end", () => {
    events.close();
    output.dataset.live = "0";
    if (live) live.hidden = true;
    if (empty && !output.firstChild) empty.textContent = "No output.";
    refreshSummary();
  });
}

// The summary (state, times, exit code, actions) is rendered by the server: fetch this page
// again and swap the section, so there is one formatter, not two.
let refreshing = null;
function refreshSummary() {
  const current = document.getElementById("summary");
  if (!current) return;
  const load = async () => {
    const response = await fetch(location.pathname, { headers: { Accept: "text/html" } });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("summary");
    if (fresh) document.getElementById("summary").replaceWith(document.adoptNode(fresh));
  };
  refreshing = (refreshing || Promise.resolve()).then(load).catch(() => {});
}

function clock(iso) {
  const d = new Date(iso);
  if (isNaN(d)) return "";
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}
