"use strict";
// The door scanner: Telegram's QR popup stays open between badges; each code goes to
// /api/scan (the check-in service the kiosk uses) and the verdict fills the screen. A red or
// amber verdict closes the popup so the reason can be read; "Scan badges" opens it again.
const Scanner = (() => {
  const REPEAT_MS = 3000; // the camera sees one badge many times: judge it once
  const counts = { ok: 0, duplicate: 0, refused: 0 };
  const recent = new Map();
  let place = null;
  let direction = "in";
  let queue = Promise.resolve();
  let scanning = false;

  function nonce() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function fill(result, colour, parts) {
    const box = document.getElementById("verdict");
    box.className = "verdict " + colour;
    box.dataset.result = result;
    for (const [id, text] of Object.entries(parts)) {
      document.getElementById(id).textContent = text || "";
    }
  }

  function show(v) {
    fill(v.result, v.colour, {
      "v-headline": v.headline,
      "v-name": v.name,
      "v-native": v.native_name,
      "v-who": [v.delegation, v.category].filter(Boolean).join(" · "),
      "v-reason": v.reason,
    });
    const kind = v.result === "ok" ? "ok" : v.result === "duplicate" ? "duplicate" : "refused";
    counts[kind] += 1;
    document.getElementById("c-" + kind).textContent = String(counts[kind]);
    const tg = Desk.tg;
    if (tg && tg.HapticFeedback) tg.HapticFeedback.notificationOccurred(v.haptic);
    if (v.colour !== "green" && scanning && tg) {
      scanning = false;
      tg.closeScanQrPopup();
    }
  }

  function failed(error) {
    fill("error", "red", {
      "v-headline": Desk.t("failed"),
      "v-name": "",
      "v-native": "",
      "v-who": "",
      "v-reason": error && error.status ? String(error.status) + " " + (error.message || "") : "",
    });
    if (Desk.tg && Desk.tg.HapticFeedback) Desk.tg.HapticFeedback.notificationOccurred("error");
  }

  async function judge(code) {
    fill("checking", "checking", { "v-headline": Desk.t("checking"), "v-name": "", "v-native": "", "v-who": "", "v-reason": "" });
    try {
      show(await Desk.api("api/scan", { code, place, direction, nonce: nonce() }));
    } catch (error) {
      failed(error);
    }
  }

  function onCode(text) {
    const now = Date.now();
    const seen = recent.get(text);
    recent.set(text, now);
    if (seen !== undefined && now - seen < REPEAT_MS) return; // the same badge still in view
    queue = queue.then(() => judge(text)); // verdicts in the order the badges came
    // nothing returned: the popup stays open for the next badge
  }

  function open() {
    const tg = Desk.tg;
    if (!tg || !tg.showScanQrPopup) return;
    recent.clear(); // a new round: a badge shown again is judged again
    scanning = true;
    tg.showScanQrPopup({ text: Desk.t("scan-hint") }, onCode);
  }

  function start(me) {
    const select = document.getElementById("place");
    select.replaceChildren(
      ...me.places.map((p) => Desk.el("option", { value: p.id === null ? "" : String(p.id) }, p.label)),
    );
    select.addEventListener("change", () => {
      place = select.value === "" ? null : Number(select.value);
    });
    document.querySelectorAll("#direction button").forEach((button) => {
      button.addEventListener("click", () => {
        direction = button.dataset.dir;
        document.querySelectorAll("#direction button").forEach((b) => b.classList.toggle("on", b === button));
      });
    });
    document.getElementById("scan").addEventListener("click", open);
    if (Desk.tg && Desk.tg.onEvent) Desk.tg.onEvent("scanQrPopupClosed", () => (scanning = false));
  }

  return { start, open, counts };
})();
