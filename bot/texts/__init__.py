"""What the bot says: pure functions from DTOs and a translator (`t`) to the text of a
message (`bot.i18n.Html`), one module per feature; the words themselves are in
`bot/locales/{en,ru}/*.ftl`. Handlers call these and send the result; nothing here reads
the database or talks to Telegram.

  agenda        a day's programme, an item's card, the overlap warning, /my, and the
                reminders, promotions and change notices the outbox sends
  broadcast     the audience pickers, the preview, the progress message, the delivery report
  checkin       a scan's verdict at the door
  delegation    a head's members list and a new invitation
  organiser     /stats, /attendance's views, a person's card (/find and inline search)
  registration  a registration as locale arguments, /me, /pending, the officers' cards
  signup        the wizard's questions and its summary
"""
