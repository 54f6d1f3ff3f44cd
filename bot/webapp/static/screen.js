"use strict";
// The board in an ordinary browser (the organisers' office screen): the signed link's token
// is in the address (?k=), the language in ?lang= (else the browser's), switchable on the page.
(async () => {
  const query = new URLSearchParams(location.search);
  const strings = async (code) => {
    const s = await Desk.api("api/strings?lang=" + encodeURIComponent(code));
    Desk.setStrings(s.strings, s.language);
  };
  await strings(query.get("lang") || (navigator.language || "en").slice(0, 2));
  const token = query.get("k");
  if (!token) return Desk.message(Desk.t("link-expired"));
  Board.start(document.getElementById("board"), token, {
    onLanguage: async (code) => {
      await strings(code);
      query.set("lang", code);
      history.replaceState(null, "", "?" + query.toString());
      Board.redraw();
    },
  });
})();
