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
  const deploy = document.getElementById("deploy");
  if (deploy) setUpDeploy(deploy);
  refreshParts();
});

// --- Jobs and job pages: parts marked data-refresh (the server marks them while a run is going) are
// fetched again every few seconds and swapped in place; forms elsewhere on the page are left alone.
function refreshParts() {
  if (!document.querySelector("[data-refresh]")) return;
  setTimeout(async () => {
    try {
      const response = await fetch(location.href, { headers: { Accept: "text/html" } });
      if (response.ok) {
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        for (const part of document.querySelectorAll("[data-refresh]")) {
          const fresh = page.getElementById(part.id);
          if (fresh) part.replaceWith(document.adoptNode(fresh)); else part.removeAttribute("data-refresh");
        }
      }
    } catch {}
    refreshParts();
  }, 3000);
}

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
  let openKey = null; // the stream (and host) whose last line has no newline yet (same rule as the server)
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
    // A fan-out's lines start with their host; only the same host's chunk continues a line.
    const key = chunk.stream + "\u0000" + (chunk.host || "");
    const label = chunk.host ? `[${chunk.host}] ` : "";
    if (pieces.length === 0) {
      if (openKey === key) openKey = null; else addLine(chunk.stream, chunk.time, label);
    } else {
      let start = 0;
      const last = output.lastElementChild;
      if (openKey === key && last) {
        last.append(document.createTextNode(pieces[0]));
        start = 1;
      }
      for (let i = start; i < pieces.length; i++) addLine(chunk.stream, chunk.time, label + pieces[i]);
      openKey = endsLine ? null : key;
    }
    // Keep the page light on a chatty run: the same cap as the server's (the log has everything).
    while (output.childElementCount > 5000) output.firstElementChild.remove();
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

// A query string with spaces as %20: the server reads "+" as a plus sign, as cron needs.
function query(params) {
  return Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
}

function clock(iso) {
  const d = new Date(iso);
  if (isNaN(d)) return "";
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

// --- Deploy page: schedule builder with live preview, upload with progress -----------------------

function setUpDeploy(form) {
  const $ = (id) => document.getElementById(id);
  const value = (name) => (form.querySelector(`input[name="${name}"]:checked`) || {}).value;
  const recurrence = $("recurrence");

  const showFieldError = (field, message) => {
    const box = form.querySelector(`[data-field="${field}"] .error`) || $("deploy-error");
    box.textContent = message;
    box.hidden = false;
    const input = box.closest(".field") && box.closest(".field").querySelector("input, textarea");
    if (input) input.setAttribute("aria-invalid", "true");
  };
  const clearErrors = () => {
    for (const box of form.querySelectorAll(".error")) { box.hidden = true; box.textContent = ""; }
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  };

  const buildRecurrence = () => {
    const frequency = $("frequency").value;
    const [hour, minute] = ($("at-time").value || "00:00").split(":").map(Number);
    const object = { frequency, interval: Math.max(1, Number($("interval").value) || 1) };
    const schedule = {};
    if (frequency === "Hour") schedule.minutes = [minute];
    if (["Day", "Week", "Month"].includes(frequency)) { schedule.hours = [hour]; schedule.minutes = [minute]; }
    if (frequency === "Week") {
      schedule.weekDays = [...form.querySelectorAll('input[name="weekday"]:checked')].map((box) => box.value);
    }
    if (frequency === "Month") {
      if (value("monthly") === "nth") {
        schedule.monthlyOccurrences = [{ day: $("nth-day").value, occurrence: Number($("nth").value) }];
      } else {
        schedule.monthDays = $("month-days").value.split(/[\s,]+/).filter(Boolean).map(Number);
      }
    }
    if (Object.keys(schedule).length) object.schedule = schedule;
    const zone = $("tz").value.trim();
    if (zone) object.timeZone = zone;
    recurrence.value = JSON.stringify(object);
  };

  let timer = null;
  let asked = 0;
  const preview = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      if (value("kind") !== "scheduled") return;
      const useCron = value("form") === "cron";
      const params = useCron ? { cron: $("cron").value } : { recurrence: recurrence.value };
      const ticket = ++asked;
      let result;
      try {
        result = await (await fetch("/deploy/preview?" + query(params))).json();
      } catch { return; }
      if (ticket !== asked) return; // an older answer arriving late
      for (const field of ["cron", "recurrence"]) {
        const box = form.querySelector(`[data-field="${field}"] .error`);
        box.hidden = true;
      }
      $("preview-words").textContent = result.description || "";
      const list = $("preview-next");
      list.replaceChildren(...(result.next || []).map((text) => { const li = document.createElement("li"); li.textContent = text; return li; }));
      if (result.error) {
        const field = useCron ? "cron" : "recurrence";
        showFieldError(field, (result.field && !result.field.startsWith(field) ? result.field + ": " : "") + result.error);
      }
    }, 200);
  };

  const sync = () => {
    const scheduled = value("kind") === "scheduled";
    $("schedule-fields").hidden = !scheduled;
    const cron = value("form") === "cron";
    $("cron-fields").hidden = !cron;
    $("recurrence-fields").hidden = cron;
    const frequency = $("frequency").value;
    $("weekly").hidden = frequency !== "Week";
    $("monthly").hidden = frequency !== "Month";
    preview();
  };

  for (const input of form.querySelectorAll('input[name="kind"], input[name="form"]')) input.addEventListener("change", sync);
  for (const id of ["frequency", "interval", "at-time", "tz", "month-days", "nth", "nth-day"]) {
    $(id).addEventListener("input", () => { buildRecurrence(); sync(); });
    $(id).addEventListener("change", () => { buildRecurrence(); sync(); });
  }
  for (const box of form.querySelectorAll('input[name="weekday"], input[name="monthly"]')) {
    box.addEventListener("change", () => { buildRecurrence(); sync(); });
  }
  $("cron").addEventListener("input", preview);
  recurrence.addEventListener("input", preview);
  // A recurrence given with the page (replacing a job) stays as it is until a control changes.
  if (recurrence.dataset.given !== "1") buildRecurrence();
  sync();

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearErrors();
    const name = $("job-name").value.trim();
    const file = $("package").files[0];
    let problem = false;
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) { showFieldError("name", "Give a name: letters, digits, _ and -, starting with a letter or digit."); problem = true; }
    if (!file) { showFieldError("package", "Choose a zip or a script to upload."); problem = true; }
    const kind = value("kind");
    const params = { kind };
    if (kind === "scheduled") {
      if (value("form") === "cron") {
        if (!$("cron").value.trim()) { showFieldError("cron", "Enter a cron expression."); problem = true; }
        params.schedule = $("cron").value.trim();
      } else {
        params.recurrence = recurrence.value;
      }
    }
    if (problem) return;

    const request = new XMLHttpRequest();
    const bar = $("progress");
    const text = $("progress-text");
    const button = $("deploy-button");
    form.querySelector(".progress-row").hidden = false;
    button.disabled = true;
    request.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      bar.value = Math.round((e.loaded / e.total) * 100);
      text.textContent = `${bar.value} % of ${(e.total / 1048576).toFixed(1)} MiB`;
    });
    request.upload.addEventListener("load", () => { bar.value = 100; text.textContent = "Uploaded; checking the package…"; });
    request.addEventListener("load", () => {
      button.disabled = false;
      if (request.status === 200 || request.status === 201) {
        text.textContent = "Deployed.";
        location.assign("/jobs/" + encodeURIComponent(name));
        return;
      }
      form.querySelector(".progress-row").hidden = true;
      let message = `The deploy failed (HTTP ${request.status}).`;
      try { message = JSON.parse(request.responseText).error.message; } catch {}
      const lower = message.toLowerCase();
      const field = lower.includes("job name") ? "name"
        : lower.includes("recurrence") && kind === "scheduled" ? "recurrence"
        : (lower.includes("schedule") || lower.includes("cron")) && kind === "scheduled" ? (value("form") === "cron" ? "cron" : "recurrence")
        : "package";
      showFieldError(field, message);
    });
    request.addEventListener("error", () => {
      button.disabled = false;
      showFieldError("package", "The upload was interrupted (is the daemon still running?).");
    });
    request.open("PUT", `/api/v1/jobs/${encodeURIComponent(name)}?${query(params)}`);
    const zip = /\.zip$/i.test(file.name);
    request.setRequestHeader("Content-Type", zip ? "application/zip" : "application/octet-stream");
    if (!zip) request.setRequestHeader("Content-Disposition", `attachment; filename="${file.name.replace(/["\\]/g, "")}"`);
    request.send(file);
  });
}
