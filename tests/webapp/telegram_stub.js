// A local stand-in for Telegram's telegram-web-app.js in the browser tests: the parts of
// Telegram.WebApp the Mini App uses. The test sets window.__INIT_DATA__ (initData signed with
// the test bot's token) before this runs, feeds "scanned" codes with window.__feed(code) and
// reads what the page asked Telegram for (haptics, popup open or closed) from window.__tg.
(() => {
  const initData = window.__INIT_DATA__ || "";
  const params = new URLSearchParams(initData);
  const user = params.get("user") ? JSON.parse(params.get("user")) : undefined;
  const state = { popupOpen: false, popups: 0, haptics: [], callback: null, ready: false, events: {} };
  window.__tg = state;
  window.__feed = (code) => {
    if (!state.popupOpen || !state.callback) throw new Error("the QR popup is not open");
    if (state.callback(code) === true) state.popupOpen = false;
  };
  window.Telegram = {
    WebApp: {
      initData,
      initDataUnsafe: { user, auth_date: params.get("auth_date"), start_param: params.get("start_param") || undefined },
      platform: "test",
      version: "8.0",
      ready() { state.ready = true; },
      expand() {},
      onEvent(name, fn) { (state.events[name] = state.events[name] || []).push(fn); },
      showScanQrPopup(options, callback) {
        state.popupOpen = true;
        state.popups += 1;
        state.callback = callback;
      },
      closeScanQrPopup() {
        state.popupOpen = false;
        (state.events.scanQrPopupClosed || []).forEach((fn) => fn());
      },
      HapticFeedback: {
        notificationOccurred(kind) { state.haptics.push(kind); },
        impactOccurred() {},
      },
    },
  };
})();
