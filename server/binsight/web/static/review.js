// Binsight's review page: the one plain module behind the server-rendered views.
//
// The server renders every view and fragment (Jinja2); htmx pages grids in as they scroll into
// view; this module adds what HTML cannot say: drag and drop (SortableJS), the keyboard, the
// current shot and the selection, the player, dialogs, the undo stack and live updates (SSE).
// Every change is a POST to /api/… with the per-launch token; after it, the regions that carry
// data-refresh are fetched again, so the page always shows what the server holds.

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;

const TOKEN = meta("binsight-token");
const DEFAULT_ACTOR = meta("binsight-actor");
const state = {
  versions: JSON.parse(meta("binsight-versions")),
  undo: JSON.parse(sessionStorage.getItem("binsight-undo") || "[]"),
  redo: JSON.parse(sessionStorage.getItem("binsight-redo") || "[]"),
  busy: 0,
};

// -- talking to the server ----------------------------------------------------------------------
function actor() {
  return localStorage.getItem("binsight-actor") || DEFAULT_ACTOR;
}

function toast(text, kind = "info") {
  const box = document.createElement("div");
  box.className = `toast ${kind}`;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  box.textContent = text;
  $("#toasts").append(box);
  setTimeout(() => box.remove(), kind === "error" ? 9000 : 3500);
}

async function api(path, body = {}) {
  state.busy += 1;
  document.body.classList.add("busy");
  try {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-Binsight-Token": TOKEN, "X-Binsight-Actor": actor() },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
    if (!response.ok) {
      toast(data.error || `${response.status} ${response.statusText}`, "error");
      throw new Error(data.error);
    }
    if (data.versions) state.versions = data.versions;
    if (data.message) toast(data.message);
    return data;
  } finally {
    state.busy -= 1;
    if (!state.busy) document.body.classList.remove("busy");
  }
}

function saveStacks() {
  sessionStorage.setItem("binsight-undo", JSON.stringify(state.undo.slice(-200)));
  sessionStorage.setItem("binsight-redo", JSON.stringify(state.redo.slice(-200)));
}

// A correction: one or more feedback calls the page can undo as one.
async function correct(path, body) {
  const data = await api(path, body);
  if (data.feedback_ids && data.feedback_ids.length) {
    state.undo.push(data.feedback_ids);
    state.redo = [];
    saveStacks();
  }
  await refresh();
  return data;
}

async function undo() {
  const group = state.undo.pop() || [];
  saveStacks();
  try {
    const data = await api("/api/undo", { feedback_ids: group });
    state.redo.push(data.feedback_ids.slice().reverse());
  } catch (error) {
    if (group.length) state.undo.push(group);
  }
  saveStacks();
  await refresh();
}

async function redo() {
  const group = state.redo.pop() || [];
  saveStacks();
  try {
    const data = await api("/api/redo", { feedback_ids: group });
    state.undo.push(data.feedback_ids);
  } catch (error) {
    if (group.length) state.redo.push(group);
  }
  saveStacks();
  await refresh();
}

// Fetch every region that says where it comes from; a grid keeps as many shots as it had.
async function refresh() {
  const editing = document.activeElement?.matches?.("input:not([type=checkbox])") ? document.activeElement : null;
  const regions = $$("[data-refresh]").filter((region) => !(editing && region.contains(editing)));  // never under the typist's hands
  const focus = currentIndex();
  await Promise.all(regions.map((region) => {
    let url = region.dataset.refresh;
    if (region.id === "bin-view") url += `&limit=${Math.min(500, Math.max(40, $$(".shot", region).length))}`;
    return htmx.ajax("GET", url, { target: region, swap: "outerHTML" });
  }));
  if (focus >= 0) setCurrent(cards()[Math.min(focus, cards().length - 1)], false);
}

// -- the current shot and the selection ------------------------------------------------------------
function reviewing() {
  return document.body.dataset.view === "review";
}

function cards() {
  if (reviewing()) return $$(".review-item:not(.decided) .shot");
  return $$("#grid .shot");
}

function current() {
  if (reviewing()) return $(".review-item.current .shot");
  return $("#grid .shot.current");
}

function currentIndex() {
  const card = current();
  return card ? cards().indexOf(card) : -1;
}

function setCurrent(card, scroll = true) {
  if (!card) return;
  if (reviewing()) {
    $$(".review-item.current").forEach((item) => item.classList.remove("current"));
    card.closest(".review-item").classList.add("current");
    const items = $$(".review-item");
    $("#review-pos").textContent = `${items.indexOf(card.closest(".review-item")) + 1} / ${items.length}`;
  } else {
    $$("#grid .shot.current").forEach((c) => c.classList.remove("current"));
    card.classList.add("current");
  }
  if (scroll) card.scrollIntoView({ block: "nearest" });
}

function step(delta) {
  const list = reviewing() ? $$(".review-item .shot") : cards();
  if (!list.length) return;
  const at = list.indexOf(current());
  const next = list[Math.max(0, Math.min(list.length - 1, at < 0 ? 0 : at + delta))];
  setCurrent(next);
  if (!reviewing() && next === list[list.length - 1]) $("#grid .more")?.scrollIntoView({ block: "nearest" });
}

// After a decision in the review queue: this shot is done, show the next one.
function advance() {
  const item = $(".review-item.current");
  if (!item) return;
  item.classList.add("decided");
  const next = $$(".review-item").slice($$(".review-item").indexOf(item) + 1).find((i) => !i.classList.contains("decided"));
  item.classList.remove("current");
  if (next) setCurrent($(".shot", next));
  else $(".review .done").hidden = false;
}

function selected() {
  return $$(".shot.selected");
}

function toggleSelect(card, on = !card.classList.contains("selected")) {
  card.classList.toggle("selected", on);
  const box = $("input[data-action=select]", card);
  if (box) box.checked = on;
}

// The shots an action on `card` means: the selection when the card is part of it.
function shotsFor(card) {
  const chosen = selected();
  return chosen.includes(card) ? chosen.map((c) => c.dataset.shotId) : [card.dataset.shotId];
}

function binView() {
  return $("#bin-view");
}

// -- corrections ------------------------------------------------------------------------------------
async function moveShots(shotIds, to) {
  const data = await correct("/api/move", { shot_ids: shotIds, to });
  if (reviewing()) advance();
  return data;
}

async function accept(card, button) {
  if (button.classList.contains("own")) {  // it is already there: nothing to correct
    if (reviewing()) advance();
    else step(1);
    return;
  }
  await moveShots(shotsFor(card), button.dataset.binId);
}

async function reject(card) {
  let bin = card.dataset.binId;
  if (bin === "noise") {  // a noise shot is "not" its first suggestion
    const first = $("button[data-action=accept]", card);
    if (!first) return toast("This noise shot has no suggestion to turn down.", "error");
    bin = first.dataset.binId;
  }
  await correct("/api/reject", { shot_ids: shotsFor(card), cluster_id: bin });
  if (reviewing()) advance();
}

async function newBin(card) {
  const view = binView();
  const chosen = card ? shotsFor(card) : selected().map((c) => c.dataset.shotId);
  if (!view || view.dataset.kind !== "scene") {
    return toast("A new bin is split off a scene bin: open the bin whose shots you select.", "error");
  }
  if (!chosen.length) return toast("Select the shots for the new bin first (click their boxes).", "error");
  const name = await ask(`Name of the new bin (${chosen.length} shot${chosen.length === 1 ? "" : "s"})`, "");
  if (name === null) return;
  await correct("/api/split", { cluster_id: view.dataset.binId, shot_ids: chosen, name });
}

async function makeBin(button) {
  const shots = button.dataset.shotIds.split(" ").filter(Boolean);
  const name = await ask(`Name of the new bin (${shots.length} shot${shots.length === 1 ? "" : "s"})`, "");
  if (name === null) return;
  await correct("/api/create-bin", { shot_ids: shots, name });
}

async function rename(input) {
  if (input.value === input.defaultValue) return;
  const path = input.dataset.action === "rename-person" ? "/api/rename-person" : "/api/rename";
  const key = input.dataset.action === "rename-person" ? "character_id" : "cluster_id";
  try {
    await correct(path, { [key]: input.dataset.binId, name: input.value });
  } catch (error) {
    input.value = input.defaultValue;
  }
}

async function lock(button) {
  await correct("/api/lock", { cluster_id: button.dataset.binId, locked: button.getAttribute("aria-pressed") !== "true" });
}

// -- dialogs ------------------------------------------------------------------------------------------
function ask(label, value) {
  const dialog = $("#prompt-dialog");
  $("#prompt-label").textContent = label;
  $("#prompt-input").value = value;
  dialog.returnValue = "";
  dialog.showModal();
  $("#prompt-input").select();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok" ? $("#prompt-input").value : null),
                            { once: true });
  });
}

async function showMerge(kind, into, from) {
  if (into === from) return;
  const url = `/fragments/merge?kind=${kind}&into=${encodeURIComponent(into)}&from=${encodeURIComponent(from)}`;
  const response = await fetch(url, { headers: { Accept: "application/json", "HX-Request": "true" } });
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    return toast(data.error || response.statusText, "error");
  }
  const dialog = $("#merge-dialog");
  dialog.innerHTML = await response.text();
  dialog.returnValue = "";
  dialog.showModal();
  dialog.addEventListener("close", async () => {
    if (dialog.returnValue !== "ok") return;
    const survivor = $("input[name=survivor]:checked", dialog).value;
    const other = survivor === into ? from : into;
    const shown = binView()?.dataset.binId;
    if (kind === "people") {
      await correct("/api/merge-people", { character_ids: [survivor, other] });
    } else {
      await correct("/api/merge", { cluster_ids: [survivor, other] });
      if (shown === other) location.href = `/scenes?bin=${encodeURIComponent(survivor)}`;
    }
  }, { once: true });
}

async function openPicker(card) {
  const ids = shotsFor(card);
  const response = await fetch(`/api/targets?shot=${encodeURIComponent(card.dataset.shotId)}`,
                               { headers: { Accept: "application/json" } });
  const data = await response.json();
  if (!response.ok) return toast(data.error, "error");
  const dialog = $("#picker");
  const list = $("#picker-list");
  const filter = $("#picker-filter");
  list.replaceChildren(...data.targets.map((t) => {
    const li = document.createElement("li");
    li.dataset.binId = t.bin_id;
    li.setAttribute("role", "option");
    li.textContent = t.name;
    if (t.score !== null) li.insertAdjacentHTML("beforeend", ` <span class="s">${t.score.toFixed(2)}</span>`);
    if (t.locked) li.insertAdjacentHTML("beforeend", " 🔒");
    return li;
  }));
  const visible = () => $$("li:not([hidden])", list);
  const mark = (li) => {
    $$("li.active", list).forEach((x) => x.classList.remove("active"));
    if (li) { li.classList.add("active"); li.scrollIntoView({ block: "nearest" }); }
  };
  const choose = async (li) => {
    dialog.close();
    if (li) await moveShots(ids, li.dataset.binId);
  };
  filter.value = "";
  filter.oninput = () => {
    const words = filter.value.toLowerCase();
    $$("li", list).forEach((li) => { li.hidden = !li.textContent.toLowerCase().includes(words); });
    mark(visible()[0]);
  };
  filter.onkeydown = (event) => {
    const items = visible();
    const at = items.indexOf($("li.active", list));
    if (event.key === "ArrowDown") { mark(items[Math.min(items.length - 1, at + 1)]); event.preventDefault(); }
    if (event.key === "ArrowUp") { mark(items[Math.max(0, at - 1)]); event.preventDefault(); }
    if (event.key === "Enter") { event.preventDefault(); choose($("li.active", list)); }
  };
  list.onclick = (event) => choose(event.target.closest("li"));
  dialog.showModal();
  mark(visible()[0]);
  filter.focus();
}

function openExport() {
  const chosen = $$("input[data-action=choose]:checked").map((box) => box.dataset.binId);
  $("#export-which").textContent = chosen.length
    ? `${chosen.length} chosen bin${chosen.length === 1 ? "" : "s"}.` : "All bins (tick bins in the list to export only those).";
  const dialog = $("#export-dialog");
  dialog.returnValue = "";
  dialog.showModal();
  dialog.addEventListener("close", () => {
    if (dialog.returnValue !== "ok") return;
    const params = new URLSearchParams({ format: $("#export-format").value, noise: $("#export-noise").checked ? "1" : "0" });
    if ($("#export-name").value) params.set("name", $("#export-name").value);
    chosen.forEach((bin) => params.append("bin", bin));
    const link = document.createElement("a");
    link.href = `/export?${params}`;
    link.download = "";
    document.body.append(link);
    link.click();
    link.remove();
  }, { once: true });
}

// -- playing shots ----------------------------------------------------------------------------------
async function play(card) {
  const dialog = $("#player");
  const video = $("#player-video");
  const note = $("#player-note");
  const id = card.dataset.shotId;
  const info = async (proxy) => {
    const response = await fetch(`/shots/${encodeURIComponent(id)}/play${proxy ? "?proxy=1" : ""}`,
                                 { headers: { Accept: "application/json" } });
    return response.json();
  };
  const startProxy = async (how) => {
    note.textContent = "Making a playable copy of this shot…";
    const response = await fetch(how.src);
    if (!response.ok) { note.textContent = await response.text(); return; }
    note.textContent = `Playing a small H.264 copy: the browser cannot play ${how.codec} itself.`;
    video.src = URL.createObjectURL(await response.blob());
    video.play().catch(() => {});
  };
  note.textContent = "";
  video.onerror = null;
  video.ontimeupdate = null;
  dialog.showModal();
  const how = await info(false);
  if (how.error) { note.textContent = how.error; return; }
  if (how.proxy) return startProxy(how);
  video.onerror = async () => { video.onerror = null; startProxy(await info(true)); };
  video.ontimeupdate = () => { if (how.end !== null && video.currentTime >= how.end) video.pause(); };
  video.src = `${how.src}#t=${how.start.toFixed(3)},${how.end.toFixed(3)}`;
  video.play().catch(() => {});
}

$("#player").addEventListener("close", () => {
  const video = $("#player-video");
  video.pause();
  if (video.src.startsWith("blob:")) URL.revokeObjectURL(video.src);
  video.removeAttribute("src");
  video.load();
});

// Hovering a thumbnail scrubs through the shot's keyframes.
document.addEventListener("mousemove", (event) => {
  const thumb = event.target.closest?.(".thumb");
  if (!thumb) return;
  const keyframes = thumb.closest(".shot").dataset.keyframes.split(" ").filter(Boolean);
  const img = $("img", thumb);
  if (keyframes.length < 2 || !img) return;
  const box = thumb.getBoundingClientRect();
  const pick = keyframes[Math.min(keyframes.length - 1, Math.floor(((event.clientX - box.left) / box.width) * keyframes.length))];
  const src = `/keyframes/${pick}.jpg`;
  if (!img.src.endsWith(src)) img.src = src;
});

// -- drag and drop ----------------------------------------------------------------------------------
// Shots, bins, people and faces are dragged as clones; drop zones take them and hand the ids to
// a correction, and the refresh that follows redraws everything from the server.
function dropped(evt, handler) {
  const item = evt.item;
  item.remove();
  handler(item, evt.to.dataset.binId).catch(() => {});
}

// Where things are picked up (a source: cloned while dragged) and where they are dropped.
const SOURCES = [
  ["#grid", "shots", ".shot", "button, input, a, label"],
  ["#bin-list", "bins", "li.bin", "input, .subs"],
  ["#people", "people", ".person:not(.new-person):not(.nobody)", "input"],
  ["#faces", "faces", ".face", "button"],
];

async function dropOnBin(item, to) {
  if (item.dataset.shotId) {
    return moveShots(shotsFor($(`#grid .shot[data-shot-id="${item.dataset.shotId}"]`) || item), to);
  }
  if (to === "noise" || item.dataset.binId === "noise") {
    return toast("The noise bucket does not merge: drag shots into it instead.", "error");
  }
  return showMerge("scenes", to, item.dataset.binId);
}

async function dropOnPerson(item, to) {
  if (item.dataset.faceId) {
    return correct("/api/assign-face", { face_ids: [item.dataset.faceId], character_id: to === "new-person" ? "" : to });
  }
  if (to === "new-person") return toast("Drop faces on “New person”, or a person on another to merge.", "error");
  return showMerge("people", to, item.dataset.binId);
}

const TARGETS = [
  [".bin-drop", "bin-drop", ["shots", "bins"], dropOnBin],
  [".person-drop", "person-drop", ["people", "faces"], dropOnPerson],
];

function once(selector, options) {
  $$(selector).forEach((el) => {
    if (el.dataset.sortable) return;
    el.dataset.sortable = "1";
    Sortable.create(el, { sort: false, animation: 0, forceFallback: true, fallbackTolerance: 3, ...options });
  });
}

function initDrag() {
  for (const [selector, name, draggable, filter] of SOURCES) {
    once(selector, { group: { name, pull: "clone", put: false }, draggable, filter, preventOnFilter: false,
                     onStart: (evt) => { document.body.classList.add("dragging"); if (name === "shots") setCurrent(evt.item, false); },
                     onEnd: () => document.body.classList.remove("dragging") });
  }
  for (const [selector, name, accepts, handler] of TARGETS) {
    once(selector, { group: { name, pull: false, put: accepts }, draggable: ".none",
                     onAdd: (evt) => dropped(evt, handler) });
  }
}

// -- clicks, keys, forms ----------------------------------------------------------------------------
document.addEventListener("click", (event) => {
  const target = event.target;
  const action = target.closest("[data-action]");
  const card = target.closest(".shot");
  const name = action?.dataset.action;
  if (card && (event.ctrlKey || event.metaKey || event.shiftKey) && !action) {
    toggleSelect(card);
    event.preventDefault();
    return;
  }
  if (card) setCurrent(card, false);
  switch (name) {
    case "select": toggleSelect(card, target.checked); return;
    case "play": play(card); return;
    case "accept": accept(card, action).catch(() => {}); return;
    case "reject": reject(card).catch(() => {}); return;
    case "move": openPicker(card); return;
    case "lock": lock(action).catch(() => {}); return;
    case "split": newBin(null).catch(() => {}); return;
    case "make-bin": makeBin(action).catch(() => {}); return;
    case "undo": undo(); return;
    case "redo": redo(); return;
    case "export": openExport(); return;
    case "help": $("#help-dialog").showModal(); return;
    case "cancel-job": api("/api/cancel-job", { job_id: action.dataset.jobId }).then(refresh).catch(() => {}); return;
    case "reject-face":
      correct("/api/reject-face", { face_ids: [action.dataset.faceId], character_id: action.dataset.binId }).catch(() => {});
      return;
    default:
  }
});

document.addEventListener("keydown", (event) => {
  const field = event.target.closest?.("input:not([type=checkbox]), textarea, select, dialog");
  if (event.target.matches?.("input.bin-name, input.person-name")) {
    if (event.key === "Enter") { event.preventDefault(); event.target.blur(); }
    if (event.key === "Escape") { event.target.value = event.target.defaultValue; event.target.blur(); }
    return;
  }
  if (field) return;
  const key = event.key.toLowerCase();
  if ((event.ctrlKey || event.metaKey) && key === "z") {
    event.preventDefault();
    if (event.shiftKey) redo(); else undo();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const card = current() || cards()[0];
  const run = (promise) => promise?.catch?.(() => {});
  switch (event.key) {
    case "j": step(1); break;
    case "k": step(-1); break;
    case "1": case "2": case "3": {
      const button = card && $(`button[data-action=accept][data-key="${event.key}"]`, card);
      if (button) run(accept(card, button));
      break;
    }
    case "m": if (card) openPicker(card); break;
    case "n": run(newBin(selected().length ? null : card)); break;
    case "x": if (card) run(reject(card)); break;
    case "r": {
      const input = $("input.bin-name") || $(".person.selected input.person-name");
      if (input) { input.focus(); input.select(); }
      break;
    }
    case "l": { const button = $("button[data-action=lock]"); if (button) run(lock(button)); break; }
    case " ": if (card) play(card); break;
    case "?": $("#help-dialog").showModal(); break;
    case "Escape": selected().forEach((c) => toggleSelect(c, false)); break;
    default: return;
  }
  event.preventDefault();
});

document.addEventListener("change", (event) => {
  if (event.target.matches("input.bin-name, input.person-name")) rename(event.target);
  if (event.target.id === "actor") {
    const name = event.target.value.trim();
    if (name) localStorage.setItem("binsight-actor", name); else localStorage.removeItem("binsight-actor");
    toast(`Corrections are now made as ${actor()}.`);
  }
});

$("#ingest-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $("#ingest-error");
  error.hidden = true;
  try {
    const data = await api("/api/ingest", { path: $("#ingest-path").value, recursive: $("#ingest-recursive").checked });
    await refresh();
    watchJob(data.job_id);
  } catch (e) {
    error.textContent = e.message;
    error.hidden = false;
  }
});

// -- live updates -------------------------------------------------------------------------------------
const watching = new Set();

function watchJob(jobId) {
  if (watching.has(jobId)) return;
  watching.add(jobId);
  const source = new EventSource(`/events/jobs/${encodeURIComponent(jobId)}`);
  source.addEventListener("progress", (message) => {
    const event = JSON.parse(message.data);
    const row = $(`tr.job[data-job-id="${jobId}"]`);
    if (!row) return;
    const perFile = event.frames_total ? event.frames_done / event.frames_total : 0;
    const whole = event.files_total ? (event.files_done + (event.stage === "done" ? 0 : perFile)) / event.files_total : 0;
    $(".progress", row).value = ["succeeded", "failed", "cancelled"].includes(event.state) ? 1 : whole;
    $(".stage", row).textContent = [event.stage, event.file.split("/").pop(), event.message].filter(Boolean).join(" · ");
    $(".state", row).textContent = event.state;
    $(".files", row).textContent = `${event.files_done} / ${event.files_total}`;
    $(".shots", row).textContent = event.shots_found;
    row.dataset.state = event.state;
    row.dataset.framesDone = event.frames_done;
  });
  source.addEventListener("end", () => {
    source.close();
    watching.delete(jobId);
    if (document.body.dataset.view === "media") setTimeout(() => location.reload(), 300);
  });
  source.onerror = () => { source.close(); watching.delete(jobId); };
}

function watchChanges() {
  const live = $("#live");
  const source = new EventSource("/events");
  source.onopen = () => { live.classList.add("on"); live.title = "Live updates: on"; };
  source.onerror = () => { live.classList.remove("on"); live.title = "Live updates: reconnecting"; };
  source.addEventListener("change", (message) => {
    const data = JSON.parse(message.data);
    const theirs = data.scenes !== state.versions.scenes || data.people !== state.versions.people;
    state.versions = { scenes: data.scenes, people: data.people };
    data.jobs.filter(([, s]) => s === "queued" || s === "running").forEach(([id]) => watchJob(id));
    const editing = document.activeElement?.matches?.("input, textarea") || $("dialog[open]");
    if (theirs && !editing && !state.busy && !reviewing()) refresh();
    if (!$$("tr.job").every((row) => data.jobs.some(([id]) => id === row.dataset.jobId)) && !theirs) refresh();
  });
}

document.body.addEventListener("htmx:load", () => initDrag());
document.body.addEventListener("htmx:responseError", (event) => {
  let text = event.detail.xhr.responseText;
  try { text = JSON.parse(text).error; } catch (e) { /* a plain message */ }
  toast(text || "the server did not answer", "error");
});

$("#actor").value = localStorage.getItem("binsight-actor") || "";
initDrag();
$$("tr.job").filter((row) => ["queued", "running"].includes(row.dataset.state)).forEach((row) => watchJob(row.dataset.jobId));
if (!current()) setCurrent(cards()[0], false);
watchChanges();
document.body.dataset.ready = "1";
