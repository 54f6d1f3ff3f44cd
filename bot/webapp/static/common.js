"use strict";
// Shared by the Mini App and the browser board: the words, the API, safe DOM building.
// Nothing from the server is ever put into the page as HTML: only as text.
const Desk = (() => {
  const tg = (window.Telegram && window.Telegram.WebApp) || null;
  let words = {};

  function t(key) {
    return Object.prototype.hasOwnProperty.call(words, key) ? words[key] : key;
  }

  function setStrings(strings, language) {
    words = strings || {};
    if (language) document.documentElement.lang = language;
    document.querySelectorAll("[data-t]").forEach((node) => {
      node.textContent = t(node.dataset.t);
    });
  }

  async function api(path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (tg && tg.initData) headers.Authorization = "tma " + tg.initData;
    const response = await fetch(path, {
      method: body === undefined ? "GET" : "POST",
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    if (!response.ok) {
      const error = new Error((data && data.error) || "http " + response.status);
      error.status = response.status;
      error.data = data;
      throw error;
    }
    return data;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined) continue;
      if (name === "class") node.className = value;
      else if (name === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function message(text) {
    const box = document.getElementById("message");
    box.textContent = text || "";
    box.hidden = !text;
  }

  function pick(text, language) {
    if (!text) return "";
    return text[language] || text.en || Object.values(text).find(Boolean) || "";
  }

  function language() {
    return document.documentElement.lang || "en";
  }

  return { tg, t, setStrings, api, el, message, pick, language };
})();
