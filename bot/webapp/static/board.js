"use strict";
// The live board: figures pushed by the server (server-sent events; polling where a browser
// has none), drawn as text, tables and an SVG chart. Everything from the server is text.
const Board = (() => {
  let root = null;
  let token = null;
  let last = null;
  let source = null;
  let offline = false;
  let onLanguage = null;

  const E = (...args) => Desk.el(...args);
  const L = () => Desk.language();
  const pct = (n, of) => (of > 0 ? Math.min(100, Math.round((100 * n) / of)) : 0);

  function time(iso) {
    const d = new Date(iso);
    return d.toLocaleTimeString(L(), { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: last.timezone });
  }

  function kpi(id, label, value, sub) {
    return E("div", { class: "kpi" }, E("div", { class: "label" }, label), E("div", { class: "value", id }, value), sub ? E("div", { class: "sub" }, sub) : null);
  }

  function bar(n, of) {
    const fill = E("div", { class: "fill" });
    fill.style.width = pct(n, of) + "%"; // through the CSSOM: the page's CSP allows no inline style
    return E("div", { class: "bar" }, fill);
  }

  function places(data) {
    const rows = data.places.map((p) =>
      E("tr", { dataset: { place: p.item_id === null ? "venue" : p.code } },
        E("td", {}, p.item_id === null ? Desk.t("venue") : Desk.pick(p.hall, L()) || Desk.pick(p.title, L()), p.item_id === null ? null : E("div", { class: "small" }, Desk.pick(p.title, L()))),
        E("td", { class: "num n" }, p.inside)));
    return E("div", { class: "panel" }, E("h2", {}, Desk.t("by-hall")), E("table", {}, E("tbody", {}, rows)));
  }

  function delegations(data) {
    const lines = [...data.delegations].sort((a, b) => b.present - a.present || b.accredited - a.accredited || a.code.localeCompare(b.code));
    const rows = lines.map((d) =>
      E("tr", { dataset: { delegation: d.code } },
        E("td", { class: "name" }, Desk.pick(d.name, L()) || Desk.t("no-delegation")),
        E("td", { class: "num present" }, d.present),
        E("td", { class: "num of" }, "/ " + d.accredited),
        E("td", { class: "barcell" }, bar(d.present, d.accredited))));
    return E("div", { class: "panel scroll" }, E("h2", {}, Desk.t("by-delegation")), E("table", {}, E("tbody", {}, rows)));
  }

  function categories(data) {
    const rows = data.categories.map((c) =>
      E("tr", { dataset: { category: c.category } },
        E("td", {}, Desk.t("category-" + c.category)),
        E("td", { class: "num checked" }, c.checked_in),
        E("td", { class: "num of" }, "/ " + c.approved),
        E("td", { class: "barcell" }, bar(c.checked_in, c.approved))));
    return E("div", { class: "panel" }, E("h2", {}, Desk.t("by-category")), E("table", {}, E("tbody", {}, rows)));
  }

  function sessions(data) {
    const rows = data.sessions.map((s) =>
      E("tr", { dataset: { session: s.code } },
        E("td", { class: "when" }, time(s.starts_at)),
        E("td", { class: "name" }, Desk.pick(s.title, L()) || s.code, E("div", { class: "small" }, Desk.pick(s.hall, L()))),
        E("td", { class: "num scanned" }, s.scanned),
        E("td", { class: "num of signed" }, "/ " + s.signed_up),
        E("td", { class: "barcell" }, bar(s.scanned, Math.max(s.signed_up, s.scanned)))));
    return E("div", { class: "panel scroll" }, E("h2", {}, Desk.t("sessions")), E("table", {}, E("tbody", {}, rows)));
  }

  function chart(data) {
    const NS = "http://www.w3.org/2000/svg";
    const buckets = data.arrivals;
    const max = Math.max(1, ...buckets.map((b) => b.entries));
    const w = 10, h = 110, top = 20, bottom = 22;
    const every = buckets.length > 72 ? 2 : 1; // hours between labels
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 " + buckets.length * w + " " + (h + top + bottom));
    svg.setAttribute("class", "chart");
    const add = (tag, attrs, text) => {
      const node = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
      if (text !== undefined) node.textContent = String(text);
      svg.append(node);
      return node;
    };
    buckets.forEach((b, i) => {
      const bh = (h * b.entries) / max;
      const rect = add("rect", { x: i * w + 1, y: top + h - bh, width: w - 2, height: bh, "data-at": b.at, "data-n": b.entries });
      const title = document.createElementNS(NS, "title");
      title.textContent = time(b.at) + ": " + b.entries;
      rect.append(title);
      if (b.entries === max && b.entries > 0) add("text", { x: i * w + w / 2, y: top - 5, "text-anchor": "middle", class: "peak" }, b.entries);
      if (b.at.slice(14, 16) === "00" && Number(b.at.slice(11, 13)) % every === 0) {
        add("line", { x1: i * w, x2: i * w, y1: top, y2: top + h, class: "grid" });
        add("text", { x: i * w + 2, y: top + h + 17, class: "tick" }, time(b.at));
      }
    });
    return E("div", { class: "panel wide" }, E("h2", {}, Desk.t("arrivals")), svg);
  }

  function render(data) {
    last = data;
    const title = Desk.pick(data.name, L());
    const switcher = onLanguage
      ? E("div", { class: "langs" }, ...["en", "ru"].map((code) => {
          const b = E("button", { type: "button", class: code === L() ? "on" : "", dataset: { lang: code } }, code.toUpperCase());
          b.addEventListener("click", () => onLanguage(code));
          return b;
        }))
      : null;
    root.replaceChildren(
      E("header", { class: "head" },
        E("div", {}, E("h1", {}, title), E("div", { class: "small" }, data.day + " · " + Desk.t("updated") + " " + time(data.generated_at))),
        offline ? E("div", { class: "offline" }, Desk.t("offline")) : null,
        switcher),
      E("div", { class: "kpis" },
        kpi("b-inside", Desk.t("inside-now"), data.inside),
        kpi("b-checked-in", Desk.t("checked-in"), data.checked_in, Desk.t("accredited") + " " + data.approved),
        E("span", { id: "b-approved", hidden: "" }, data.approved)),
      E("div", { class: "grid" }, places(data), chart(data)),
      E("div", { class: "grid three" }, delegations(data), categories(data), sessions(data)),
    );
    root.dataset.generated = data.generated_at;
  }

  function expired() {
    if (source) source.close();
    Desk.message(Desk.t("link-expired"));
  }

  function poll() {
    const tick = async () => {
      try {
        const data = await Desk.api("api/board?k=" + encodeURIComponent(token));
        offline = false;
        render(data);
      } catch (error) {
        if (error.status === 401) return expired();
        offline = true;
        if (last) render(last);
      }
      setTimeout(tick, 5000);
    };
    tick();
  }

  function start(container, boardToken, options) {
    root = container;
    token = boardToken;
    onLanguage = (options && options.onLanguage) || null;
    if (!window.EventSource) return poll();
    source = new EventSource("api/board/stream?k=" + encodeURIComponent(token));
    source.onmessage = (event) => {
      offline = false;
      render(JSON.parse(event.data));
    };
    source.addEventListener("expired", expired);
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) return poll();
      offline = true; // the browser reconnects by itself
      if (last) render(last);
    };
  }

  function redraw() {
    if (last) render(last);
  }

  return { start, redraw };
})();
