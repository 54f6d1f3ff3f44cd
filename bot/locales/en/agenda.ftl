## Agenda: /agenda, item cards, sign-up, /my, reminders and notices
cmd-agenda = Conference programme; sign up for discussions
cmd-my = My programme and calendar file

agenda-kind-opening = Opening
agenda-kind-high-level = High-level session
agenda-kind-plenary = Plenary session
agenda-kind-thematic = Thematic discussion
agenda-kind-side-event = Side event
agenda-kind-break = Break
agenda-kind-closing = Closing

agenda-empty = The programme is not published yet. Please look again later.
agenda-day-title =
    <b>{ $conference }</b>
    Programme for { $date } (day { $day } of { $days }), local time ({ $city })
agenda-page = Page { $page } of { $pages }
agenda-line = <b>{ $start }–{ $end }</b> { $kind }: { $title }
agenda-line-titled = <b>{ $start }–{ $end }</b> { $title }
agenda-line-hall = 📍 { $hall }
agenda-line-seats = { $left } of { $capacity } seats left
agenda-line-full = full, waiting list open
agenda-line-cancelled = ❌ cancelled
agenda-line-mine = ✅ you are signed up
agenda-line-waiting = ⏳ you are on the waiting list
agenda-line-closed = 🔒 not open to your category

agenda-card-title =
    <b>{ $kind }</b>
    <b>{ $title }</b>
agenda-card-title-only = <b>{ $title }</b>
agenda-card-when = 🕒 { $date }, { $start }–{ $end } (local time, { $city })
agenda-card-hall = 📍 { $hall }
agenda-card-speakers = 🎤 Speakers: { $names }
agenda-card-moderator = Moderator: { $names }
agenda-card-seats = Seats left: { $left } of { $capacity }
agenda-card-full = No seats left. On the waiting list: { $waiting }.
agenda-card-open-to = Open to: { $categories }
agenda-card-no-signup = No sign-up needed.
agenda-card-confirmed = ✅ You are signed up.
agenda-card-waitlisted = ⏳ You are No. { $position } on the waiting list.
agenda-card-cancelled = ❌ This item was cancelled.
agenda-card-closed-not-registered = 🔒 To sign up, register for the conference first: /start
agenda-card-closed-not-approved = 🔒 Sign-up opens once your registration is approved.
agenda-card-closed-category = 🔒 Not open to your category ({ $category }).

btn-agenda-sign-up = Sign up
btn-agenda-waitlist = Join the waiting list
btn-agenda-leave = Cancel my sign-up
btn-agenda-leave-waitlist = Leave the waiting list
btn-agenda-back = ◀ Back to the day
btn-agenda-earlier = « Earlier
btn-agenda-later = Later »
btn-agenda-give-back = Give the seat back
btn-agenda-sign-up-anyway = Sign up anyway
btn-agenda-waitlist-anyway = Join the waiting list anyway
btn-agenda-not-now = Cancel

agenda-signed-up = You are signed up.
agenda-waitlisted = The item is full: you are No. { $position } on the waiting list. We will tell you at once if a seat frees up.
agenda-left = Your sign-up is cancelled.
agenda-clash = ⚠️ This overlaps with what you already chose:
agenda-clash-line = • { $start }–{ $end } { $title }
agenda-clash-ask = Sign up anyway?
agenda-clash-ask-waitlist = Join the waiting list anyway?
agenda-gave-back = You gave your seat at “{ $title }” back. Thank you!

my-empty = You have not signed up for anything yet. See the programme: /agenda
my-title = <b>My programme</b> — { $conference } (local time, { $city })
my-day = <b>{ $date }</b>
my-line = { $start }–{ $end } { $title }, { $hall }
my-more = … and { $count } more: see the calendar file.
my-ics-caption = Your programme as a calendar file: open it to add the items to your calendar.

reminder =
    ⏰ Reminder: <b>{ $title }</b> starts at { $start } ({ $date }).
    📍 { $hall }
promoted =
    🎉 A seat freed up: you are now signed up for <b>{ $title }</b> ({ $date }, { $start }, { $hall }).
    Cannot come? Give the seat back so that the next person in line gets it.
notice-title = ℹ️ A change in your programme: <b>{ $title }</b>
notice-time = New time: { $date }, { $start }–{ $end } (was { $old_date }, { $old_start }–{ $old_end }).
notice-hall = New hall: { $hall } (was { $old_hall }).
notice-cancelled = ❌ This item is cancelled.
notice-restored = ✅ This item takes place after all: { $date }, { $start }–{ $end }.

error-not_registered = Please register for the conference first: /start
error-not_approved = Sign-up opens once your registration is approved.
error-item_cancelled = This item was cancelled.
error-signup_closed = This item needs no sign-up.
error-category_not_allowed = Sorry, this item is not open to participants of your category.
error-already_signed_up = You are already signed up for this item (or on its waiting list).
error-capacity_full = Sorry, no seats are left. You can join the waiting list.
error-not_signed_up = You are not signed up for this item.
error-clash = This overlaps with what you already chose.
error-item_not_found = This item is no longer in the programme.
