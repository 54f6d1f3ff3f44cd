"""The Telegram Mini App: a door scanner and a live attendance board inside Telegram,
served by the bot's own aiohttp server (`server.WebApp`), its API guarded by Telegram's
initData (`auth`), its pages and scripts shipped in `static/` (no build step, no CDN:
only Telegram's own telegram-web-app.js comes from Telegram). No aiogram here."""
