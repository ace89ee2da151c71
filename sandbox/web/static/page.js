// The sandbox page's only script: post what the person does to /_sandbox/act, then
// swap in the regions of a freshly rendered page. No framework, no build step.
"use strict";

const body = document.body;
const person = body.dataset.as;
const live = body.dataset.live === "1";
let fastUntil = 0;

function toast(text) {
  const box = document.getElementById("toast");
  if (!box || !text) return;
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 5000);
}

async function act(request) {
  const response = await fetch("/_sandbox/act", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ as: person, ...request }),
  });
  const result = await response.json().catch(() => ({ ok: false, message: response.statusText }));
  toast(result.message);
  fastUntil = Date.now() + 4000;
  await refresh();
  return result;
}

function surfaceOf(element) {
  const surface = element.closest("[data-surface]");
  if (!surface) return {};
  if (surface.dataset.surface === "view") return { view_id: surface.dataset.viewId };
  const { channel, ts, ephemeral } = surface.dataset;
  return { channel, ts, ephemeral: ephemeral === "1" };
}

function confirmed(button) {
  if (!button.dataset.confirm) return true;
  const dialog = JSON.parse(button.dataset.confirm);
  const title = dialog.title ? dialog.title + "\n\n" : "";
  const choice = `\n\n[OK = ${dialog.confirm || "Yes"}, Cancel = ${dialog.deny || "Cancel"}]`;
  return window.confirm(title + (dialog.text || "Are you sure?") + choice);
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-act]");
  if (!button || button.disabled) return;
  if (button.dataset.act === "close") {
    await act({ kind: "close", view_id: surfaceOf(button).view_id });
  } else if (button.dataset.act === "click" && confirmed(button)) {
    if (button.dataset.url) window.open(button.dataset.url, "_blank", "noopener");
    button.disabled = true;
    const { actionId, value } = button.dataset;
    await act({ kind: "click", action_id: actionId, value, ...surfaceOf(button) });
    button.disabled = false;
  }
});

document.addEventListener("submit", async (event) => {
  const form = event.target;
  event.preventDefault();
  if (form.classList.contains("modal")) {
    const values = {};
    form.querySelectorAll("[data-input]").forEach((field) => { values[field.dataset.input] = field.value; });
    await act({ kind: "submit", view_id: form.dataset.viewId, values });
  } else if (form.dataset.act === "command") {
    const input = form.elements.command;
    const result = await act({ kind: "command", text: input.value, channel: form.dataset.channel });
    if (result.ok) input.value = "";
  }
});

document.addEventListener("change", (event) => {
  if (!event.target.matches("select[data-nav]")) return;
  const params = new URLSearchParams(location.search);
  params.set("as", event.target.value);
  location.search = params.toString();
});

function editing(region) {
  const active = document.activeElement;
  return active && region.contains(active) && active.matches("input, textarea, select");
}

async function refresh() {
  const response = await fetch(location.href, { cache: "no-store" });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  for (const region of document.querySelectorAll("[data-region]")) {
    const name = region.dataset.region;
    const next = fresh.querySelector(`[data-region="${name}"]`);
    if (!next) continue;
    const changed = name === "modal" ? region.dataset.key !== next.dataset.key
      : region.innerHTML !== next.innerHTML;
    if (!changed || (name !== "modal" && editing(region))) continue;
    const { scrollTop, scrollHeight, clientHeight } = region;
    region.replaceWith(next);
    // a conversation sticks to its newest message; the Home tab reads from the top
    const atEnd = body.dataset.view !== "home" && scrollHeight - scrollTop - clientHeight < 40;
    next.scrollTop = atEnd ? next.scrollHeight : scrollTop;
  }
}

function poll() {
  refresh().catch(() => {}).finally(() => setTimeout(poll, Date.now() < fastUntil ? 300 : 1500));
}

const pane = document.querySelector("[data-region=pane]");
if (pane && body.dataset.view !== "home") pane.scrollTop = pane.scrollHeight;
if (live && body.dataset.view === "home") act({ kind: "home_opened" });
setTimeout(poll, 1500);
