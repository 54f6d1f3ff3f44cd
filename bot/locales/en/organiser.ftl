## Organiser reports, search, charts and broadcasts (bot/routers/organiser.py, broadcast.py)

cmd-stats = Who is here: the numbers (staff)
cmd-attendance = Attendance by delegation, session, day (officers)
cmd-find = Find a participant by name (officers)
cmd-broadcast = Send a message to participants (admins)

stats-title = 📊 <b>{ $conference }</b>, { $day } ({ $tz })
stats-body =
    Registered: <b>{ $registered }</b>
    Pending: { $pending } · approved: { $approved }
    Checked in today: <b>{ $checked }</b>
    Inside now: <b>{ $inside }</b>
stats-by-category = <b>By category</b> (approved · checked in · inside):
stats-category-line = { $category }: { $approved } · { $checked } · { $inside }
stats-bad-day = Please give the day as YYYY-MM-DD, e.g. /stats 2024-10-31.

btn-chart-hours = 📈 Check-ins per hour
btn-chart-delegations = 📊 Presence by delegation
btn-att-delegations = By delegation
btn-att-items = By session
btn-att-days = By day
btn-att-back = ◀ Back
btn-att-prev = ◀
btn-att-next = ▶

att-menu = <b>Attendance</b>, { $day }: { $checked } checked in, { $inside } inside now. Choose a view:
att-deleg-title = <b>By delegation</b>, { $day } (accredited · present today · at the high-level session)
att-deleg-headline = Delegations present at the high-level session: <b>{ $present } of { $total }</b>
att-deleg-today = Delegations present today: { $present } of { $total }
att-deleg-line = { $name }: { $accredited } · { $present } · { $high }
att-page = Page { $page } of { $pages }
att-deleg-members = <b>{ $name }</b>: { $accredited } accredited, { $present } present on { $day }, { $high } at the high-level session, { $inside } inside now.
att-items-title = <b>By session</b> (signed up · came · no-shows)
att-item-line = { $time } { $title }: { $signed } · { $scanned } · { $noshows }
att-item-detail =
    <b>{ $title }</b>, { $time }
    Signed up: { $signed } (waiting list: { $waitlisted })
    Scanned in: { $scanned } (without a sign-up: { $walkins })
    No-shows: <b>{ $noshows }</b>
att-noshows = No-shows:
att-noshow-line = • { $name } ({ $delegation })
att-days-title = <b>By day</b> (present · entries · refused scans)
att-day-line = { $day }: { $present } · { $entries } · { $refused }
att-none = Nothing to show yet.

chart-hours-title = Check-ins per hour, { $day }
chart-hours-x = Hour ({ $tz })
chart-hours-y = Entries
chart-hours-caption = 📈 Check-ins per hour, { $day }: { $total } entries.
chart-deleg-title = Presence by delegation, { $day }
chart-deleg-caption = 📊 Presence by delegation, { $day }.
chart-accredited = Accredited
chart-present = Present today
chart-inside = Inside now

find-usage = Send /find and a name, e.g. <code>/find Lavrov</code>, or type @{ $bot } and a name in any chat.
find-none = Nobody matches “{ $query }”.
find-results = Found { $total } for “{ $query }”. Choose:
find-more = …and { $more } more: add a word to narrow it down.
card-head = <b>{ $name }</b> { $native }
card-body =
    #{ $id } · { $delegation } · { $category }
    Status: { $status }
    Position: { $position }
    Badge: version { $version }, printed { $printed } time(s)
card-inside-venue = Now: inside the venue since { $since }
card-inside-hall = Now: in “{ $hall }” since { $since }
card-outside = Now: not inside
card-scans = Last scans:
card-scan-line = { $at } { $direction } { $place }: { $result } ({ $gate })
card-no-scans = No scans yet.
place-venue = venue
inline-find-hint = Type a name to find a participant
inline-not-allowed = Only organisers can search participants.

bc-ask-text = ✉ Send the message for participants (formatting is kept). /cancel stops.
bc-text-too-long = Too long: at most { $max } characters, please.
bc-text-only = Please send text.
bc-choose-audience = Who should get it?
bc-aud-approved = Everyone approved
bc-aud-delegation = A delegation
bc-aud-category = A category
bc-aud-item = Signed up for a session
bc-aud-inside = Inside the venue now
bc-choose-delegation = Choose the delegation:
bc-choose-category = Choose the category:
bc-choose-item = Choose the session:
bc-label-approved = everyone approved
bc-label-delegation = delegation { $name }
bc-label-category = category { $category }
bc-label-item = signed up for “{ $title }”
bc-label-inside = inside the venue now
bc-preview = <b>Preview</b>: to { $audience }, <b>{ $count }</b> recipient(s). The message:
bc-send = ✅ Send to { $count }
bc-cancel = ✖ Cancel
bc-cancelled = Broadcast cancelled; nothing was sent.
bc-nobody = Nobody in { $audience } can be reached. Choose another audience or /cancel.
bc-queued = 📤 Queued for { $count } recipient(s); sending…
bc-progress = 📤 Broadcast #{ $id }: { $sent } of { $total } sent, { $failed } failed, { $blocked } blocked the bot…
bc-done = ✅ Broadcast #{ $id } finished: { $sent } of { $total } delivered, { $failed } failed, { $blocked } blocked the bot.
bc-report = 📬 Delivery report, broadcast #{ $id }: { $sent } of { $total } delivered, { $failed } failed, { $blocked } blocked the bot.
error-broadcast_empty = The message is empty.
