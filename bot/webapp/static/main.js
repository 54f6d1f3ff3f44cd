"use strict";
// The Mini App: who am I (initData checked by the server), then the scanner for door staff,
// the board for organisers, both (with tabs) for admins.
(async () => {
  const tg = Desk.tg;
  const browserLanguage = (navigator.language || "en").slice(0, 2);
  if (tg) {
    tg.ready();
    if (tg.expand) tg.expand();
  }
  if (!tg || !tg.initData) {
    const s = await Desk.api("api/strings?lang=" + browserLanguage);
    Desk.setStrings(s.strings, s.language);
    return Desk.message(Desk.t("not-in-telegram"));
  }
  let me;
  try {
    me = await Desk.api("api/me", {});
  } catch (error) {
    const s = await Desk.api("api/strings?lang=" + ((tg.initDataUnsafe.user || {}).language_code || browserLanguage));
    Desk.setStrings(s.strings, s.language);
    return Desk.message(Desk.t(error.status === 403 ? "no-access" : "not-in-telegram"));
  }
  Desk.setStrings(me.strings, me.language);
  const started = {};
  const show = (view) => {
    document.querySelectorAll(".view").forEach((s) => (s.hidden = s.id !== view));
    document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("on", b.dataset.view === view));
    if (started[view]) return;
    started[view] = true;
    if (view === "scanner") Scanner.start(me);
    else Board.start(document.getElementById("board"), me.board_token);
  };
  const asked = new URLSearchParams(location.search).get("view") || tg.initDataUnsafe.start_param;
  if (me.views.length > 1) {
    const tabs = document.getElementById("tabs");
    tabs.hidden = false;
    tabs.querySelectorAll("button").forEach((b) => b.addEventListener("click", () => show(b.dataset.view)));
  }
  show(me.views.includes(asked) ? asked : me.views[0]);
})();
