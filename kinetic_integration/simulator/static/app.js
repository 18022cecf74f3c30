// The virtual terminal page: polls /_sim/ui/state and acts through the /_sim/ control API.
// No framework, no build step. The PIN pad is only visual: digits are never read, stored
// or sent — submitting a PIN sends the action name "pin" and nothing else.
"use strict";

(() => {
  const POLL_MS = 500;
  const STATE_URL = "/_sim/ui/state";
  const ACTIONS = ["tap", "insert", "swipe", "pin", "cancel"];
  const ACTION_WORDS = {
    tap: "tap a card",
    insert: "insert a card",
    swipe: "swipe a card",
    pin: "a PIN",
    cancel: "a cancel",
  };
  const MAX_PIN_DOTS = 12;

  const SVG = {
    card: '<svg viewBox="0 0 48 48"><path d="M14 16a14 14 0 0 1 0 16M20 12a20 20 0 0 1 0 24M26 8a26 26 0 0 1 0 32" fill="none" stroke="currentColor" stroke-width="3.2" stroke-linecap="round"/></svg>',
    pin: '<svg viewBox="0 0 48 48"><rect x="11" y="21" width="26" height="19" rx="3" fill="none" stroke="currentColor" stroke-width="3"/><path d="M16 21v-5a8 8 0 0 1 16 0v5" fill="none" stroke="currentColor" stroke-width="3"/><circle cx="24" cy="30" r="2.6" fill="currentColor"/></svg>',
    busy: '<svg viewBox="0 0 48 48" class="spin"><circle cx="24" cy="24" r="15" fill="none" stroke="currentColor" stroke-opacity=".25" stroke-width="4"/><path d="M24 9a15 15 0 0 1 15 15" fill="none" stroke="currentColor" stroke-width="4" stroke-linecap="round"/></svg>',
    ok: '<svg viewBox="0 0 48 48"><circle cx="24" cy="24" r="18" fill="none" stroke="currentColor" stroke-width="3.2"/><path d="M15 24.5l6 6 12-13" fill="none" stroke="currentColor" stroke-width="3.6" stroke-linecap="round" stroke-linejoin="round"/></svg>',
    no: '<svg viewBox="0 0 48 48"><circle cx="24" cy="24" r="18" fill="none" stroke="currentColor" stroke-width="3.2"/><path d="M17 17l14 14M31 17L17 31" fill="none" stroke="currentColor" stroke-width="3.6" stroke-linecap="round"/></svg>',
    remove: '<svg viewBox="0 0 48 48"><rect x="13" y="12" width="22" height="30" rx="3" fill="none" stroke="currentColor" stroke-width="3"/><path d="M24 4v14M18 10l6-6 6 6" fill="none" stroke="currentColor" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/></svg>',
    sign: '<svg viewBox="0 0 48 48"><path d="M8 36c6-10 10-14 13-12s-3 10 1 10 6-8 9-8 2 6 5 6 4-3 4-3" fill="none" stroke="currentColor" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/></svg>',
    idle: "",
  };

  // What each screen text looks like: a CSS tone and an icon.
  const LOOKS = {
    "Idle": ["idle", "idle"],
    "Present card": ["ask", "card"],
    "Enter PIN": ["ask", "pin"],
    "Processing transaction...": ["busy", "busy"],
    "Signature required": ["busy", "sign"],
    "Approved": ["good", "ok"],
    "Declined": ["bad", "no"],
    "Cancelled": ["bad", "no"],
    "Error": ["bad", "no"],
    "Remove card": ["ask", "remove"],
  };

  const HINTS = {
    idle: "Nothing to do: start a sale from Home Assistant, the CLI or the API.",
    starting: "The terminal is preparing the transaction…",
    waiting_for_card: "Waiting for the card: tap, insert or swipe it — or cancel.",
    waiting_for_pin: "Waiting for the PIN: press digits (they stay here), then Enter PIN.",
    processing: "Talking to the host…",
    signature: "Signature captured on paper; the terminal completes on its own.",
    done: "Finished.",
  };

  const $ = (root, testid) => root.querySelector(`[data-testid="${testid}"]`);
  const byId = (id) => document.getElementById(id);

  /** Per device serial: its DOM block and the count of PIN dots shown (never the digits). */
  const blocks = new Map();
  let deviceKey = "";
  let printerKey = "";
  let last = null;
  let pollTimer = 0;
  let toastTimer = 0;

  function isZero(amount) {
    return /^-?0*(\.0*)?$/.test(amount || "0");
  }

  function toast(message) {
    const el = byId("toast");
    el.textContent = message;
    el.hidden = false;
    window.clearTimeout(toastTimer);
    toastTimer = window.setTimeout(() => {
      el.hidden = true;
    }, 3500);
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      cache: "no-store",
    });
  }

  async function act(serial, action) {
    let response;
    try {
      response = await post("/_sim/customer", { action, device: serial, wait: 0 });
    } catch (err) {
      toast("The simulator did not answer.");
      return;
    }
    if (response.status === 409) {
      toast(`The terminal is not waiting for ${ACTION_WORDS[action] || action} right now.`);
    } else if (!response.ok) {
      toast(`Could not ${action}: ${(await response.text()).slice(0, 160)}`);
    } else if (action === "pin" || action === "cancel") {
      setDots(serial, 0);
    }
    poll();
  }

  async function toggle(path, body, what) {
    try {
      const response = await post(path, body);
      if (!response.ok) {
        toast(`Could not ${what}: ${(await response.text()).slice(0, 160)}`);
      }
    } catch (err) {
      toast("The simulator did not answer.");
    }
    poll();
  }

  function setDots(serial, count) {
    const block = blocks.get(serial);
    if (!block) return;
    block.dots = Math.max(0, Math.min(MAX_PIN_DOTS, count));
    const dots = $(block.el, "pin-dots");
    dots.textContent = "•".repeat(block.dots);
    dots.setAttribute("aria-label", `${block.dots} PIN digits entered`);
  }

  function buildDevice(device) {
    const template = byId("device-template");
    const el = template.content.firstElementChild.cloneNode(true);
    el.dataset.device = device.serial;
    const block = { el, dots: 0, step: "" };
    const serial = device.serial;
    for (const button of el.querySelectorAll("button.action")) {
      button.addEventListener("click", () => act(serial, button.dataset.action));
    }
    // Digit keys only add a dot; which key was pressed is deliberately not looked at.
    for (const key of el.querySelectorAll("button.digit")) {
      key.addEventListener("click", () => setDots(serial, block.dots + 1));
    }
    $(el, "key-clear").addEventListener("click", () => setDots(serial, 0));
    $(el, "key-cancel").addEventListener("click", () => act(serial, "cancel"));
    $(el, "key-enter").addEventListener("click", () => act(serial, "pin"));
    blocks.set(serial, block);
    return el;
  }

  function renderDevices(state) {
    const key = state.devices.map((d) => d.serial).join("\n");
    const container = byId("devices");
    if (key !== deviceKey) {
      deviceKey = key;
      blocks.clear();
      container.replaceChildren(...state.devices.map(buildDevice));
    }
    for (const device of state.devices) {
      renderDevice(blocks.get(device.serial), device, state);
    }
  }

  function renderDevice(block, device, state) {
    const el = block.el;
    const txn = device.transaction;
    const [tone, icon] = LOOKS[device.screen] || ["idle", "idle"];
    const screen = $(el, "screen");
    screen.className = `screen tone-${tone}`;
    el.classList.toggle("is-busy", device.busy);
    el.classList.toggle("is-offline", device.offline);
    $(el, "device-name").textContent = device.name;
    $(el, "led").className = `led ${device.offline ? "led-off" : "led-on"}`;

    const net = $(el, "network");
    if (!state.cable.connected) {
      net.textContent = "No network cable";
    } else {
      net.textContent = device.offline ? "Host offline" : "Online";
    }
    net.className = `net ${device.offline || !state.cable.connected ? "net-bad" : "net-good"}`;

    $(el, "txn-type").textContent = txn ? txn.type.toUpperCase() : "";
    $(el, "amount").textContent = txn ? txn.total_display : "";
    const parts = [];
    if (txn && (!isZero(txn.tip) || !isZero(txn.cashback))) {
      parts.push(txn.amount_display);
      if (!isZero(txn.tip)) parts.push(`tip ${txn.tip_display}`);
      if (!isZero(txn.cashback)) parts.push(`cashback ${txn.cashback_display}`);
    }
    $(el, "breakdown").textContent = parts.join(" + ");
    const iconEl = $(el, "screen-icon");
    if (iconEl.dataset.icon !== icon) {
      iconEl.dataset.icon = icon;
      iconEl.innerHTML = SVG[icon] || "";
    }
    $(el, "prompt").textContent = device.screen === "Processing transaction..." ? "Processing" : device.screen;
    let detail = "";
    if (device.screen === "Idle") {
      detail = device.name;
    } else if (txn && txn.result && txn.result !== "approved" && txn.message !== device.screen) {
      detail = txn.message;
    } else if (txn && txn.result === "approved" && txn.entry) {
      detail = { tap: "Contactless", insert: "Chip", swipe: "Swiped" }[txn.entry] || "";
      if (txn.pin_verified) detail += " · PIN verified";
    }
    $(el, "detail").textContent = detail;

    if (device.step !== block.step) {
      block.step = device.step;
      if (device.step !== "waiting_for_pin") setDots(device.serial, 0);
    }
    const accepts = new Set(device.accepts);
    for (const action of ACTIONS) {
      const button = $(el, `action-${action}`);
      button.disabled = !accepts.has(action);
    }
    for (const digit of el.querySelectorAll("button.digit")) digit.disabled = !accepts.has("pin");
    $(el, "key-clear").disabled = !accepts.has("pin");
    $(el, "key-enter").disabled = !accepts.has("pin");
    $(el, "key-cancel").disabled = !accepts.has("cancel");
    $(el, "pinpad").classList.toggle("live", accepts.has("pin"));
    $(el, "hint").textContent = HINTS[device.step] || "";
  }

  function renderPrinter(state) {
    const printer = state.printer;
    const section = byId("printer");
    const paper = byId("paper");
    section.hidden = !printer.present;
    paper.hidden = !printer.present;
    paper.disabled = !printer.present;
    paper.textContent = printer.paper ? "Paper out" : "Load paper";
    paper.setAttribute("aria-pressed", String(!printer.paper));
    $(section, "paper-state").textContent = printer.paper ? "Paper loaded" : "Out of paper";
    section.classList.toggle("no-paper", !printer.paper);
    const key = `${printer.jobs_total}\n${JSON.stringify(printer.jobs)}`;
    if (key === printerKey) return;
    printerKey = key;
    const strip = $(section, "printer-strip");
    const items = printer.jobs
      .map((lines, index) => {
        const li = document.createElement("li");
        li.className = "job";
        li.setAttribute("data-testid", "printer-job");
        li.dataset.job = String(printer.jobs_total - printer.jobs.length + index + 1);
        const pre = document.createElement("pre");
        pre.textContent = lines.join("\n");
        li.append(pre);
        return li;
      })
      .reverse();
    if (items.length === 0) {
      const empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = "Nothing printed yet.";
      items.push(empty);
    }
    strip.replaceChildren(...items);
  }

  function render(state) {
    last = state;
    document.title = `${state.name} · virtual terminal`;
    $(document, "sim-name").textContent = state.name;
    $(document, "sim-kind").textContent = state.kind_label;
    $(document, "sim-serial").textContent = state.serial;
    $(document, "sim-address").textContent = state.address;
    const cable = byId("cable");
    cable.disabled = false;
    cable.textContent = state.cable.connected ? "Pull network cable" : "Plug cable back";
    cable.setAttribute("aria-pressed", String(!state.cable.connected));
    cable.classList.toggle("unplugged", !state.cable.connected);
    const link = $(document, "link-state");
    link.textContent = state.cable.connected ? "Cable plugged in" : "Cable pulled";
    link.className = `link-state ${state.cable.connected ? "ok" : "bad"}`;
    renderDevices(state);
    renderPrinter(state);
  }

  async function poll() {
    window.clearTimeout(pollTimer);
    try {
      const response = await fetch(STATE_URL, { cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      render(await response.json());
      document.body.classList.remove("unreachable");
    } catch (err) {
      document.body.classList.add("unreachable");
      const link = $(document, "link-state");
      link.textContent = "Simulator unreachable";
      link.className = "link-state bad";
    }
    pollTimer = window.setTimeout(poll, POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", () => {
    byId("cable").addEventListener("click", () => {
      if (last) toggle("/_sim/cable", { connected: !last.cable.connected }, "change the cable");
    });
    byId("paper").addEventListener("click", () => {
      if (last) toggle("/_sim/printer", { paper: !last.printer.paper }, "change the paper");
    });
    poll();
  });
})();
