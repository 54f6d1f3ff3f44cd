# The command line's own words (commands that take --lang). Dates are babel patterns.
date-day = EEEE, d MMMM y
date-short = dd.MM.y

## confdesk program show
program-heading = { $name } ({ $slug }) — { $place }, { $first }–{ $last }, times in { $timezone }
program-no-items = no agenda items
program-col-time = Time
program-col-code = Code
program-col-kind = Kind
program-col-title = Title
program-col-hall = Hall
program-col-seats = Seats
program-col-speakers = Speakers
program-unlimited = —
program-signup = { $seats } sign-up
program-next-day = (+{ $days }d)
program-moderator = { $name } (moderator)
program-cancelled = { $title } (cancelled)
kind-opening = opening
kind-high_level = high-level
kind-plenary = plenary
kind-thematic = thematic
kind-side_event = side event
kind-break = break
kind-closing = closing

## confdesk scan (the kiosk screen; read from a metre away)
kiosk-banner = { $conference } · gate { $gate } · { $place } · { $direction }
kiosk-venue = venue entrance
kiosk-session = { $code }: { $title }
kiosk-entry = entry
kiosk-exit = exit
kiosk-ready = Scan a badge (Ctrl-D to end)
kiosk-next = Next badge…
kiosk-outside-dates = ⚠ Today ({ $today }) is not a day of this conference ({ $first } – { $last }): check the kiosk's conference and clock.
kiosk-result-ok = WELCOME
kiosk-result-ok-out = GOODBYE
kiosk-result-duplicate = ALREADY INSIDE
kiosk-result-invalid = NOT A VALID BADGE
kiosk-result-revoked = BADGE REVOKED
kiosk-result-not_approved = NOT ACCREDITED
kiosk-result-not_allowed = NOT ADMITTED HERE
kiosk-why-unreadable = The code could not be read: scan again, or type the number under the code.
kiosk-why-forged = This code was not issued by us.
kiosk-why-unknown = No such registration.
kiosk-why-other_conference = This badge is for another conference.
kiosk-why-reissued = A newer badge was issued for this person: ask for the new one.
kiosk-why-unknown_version = This badge version was never issued.
kiosk-why-pending = The accreditation is still waiting for approval.
kiosk-why-rejected = The accreditation was not approved.
kiosk-why-cancelled = The registration was withdrawn.
kiosk-why-category = This session is not open to this category.
kiosk-why-was_not_inside = No entry scan was recorded; the exit is counted anyway.
kiosk-why-replayed = This scan was already recorded.
kiosk-why-not_in_copy = Not in this kiosk's copy yet (a new or reissued badge): check it at an online desk.
kiosk-offline = OFFLINE (judged from this kiosk's copy)
kiosk-offline-start = OFFLINE: the central database does not answer; judging from the local copy.
kiosk-left-waiting = { $count } scan(s) wait in the journal: they are uploaded when the kiosk next runs while the central database answers.
kiosk-status-copy = Local copy: { $slug }, read from the central database { $age } ago ({ $at }).
kiosk-status-no-copy = No local copy in { $dir }.
kiosk-status-waiting = Scans waiting to upload: { $count }
kiosk-status-mode = Last state: { $mode }
kiosk-status-error = Last error: { $error }
kiosk-status-no-error = Last error: none
kiosk-wipe-refused = { $count } scan(s) in { $dir } are not in the central database yet: run the kiosk while it answers to upload them, or add --force to lose them.
kiosk-wipe-done = Local copy and journal deleted from { $dir }.
kiosk-wipe-nothing = Nothing to delete in { $dir }.
kiosk-already = Inside since { $since }, let in at { $gate }
kiosk-no-delegation = no delegation
kiosk-summary = { $total } scan(s): { $ok } admitted, { $duplicate } already inside, { $refused } refused{ $failed ->
    [0] .
   *[other] , { $failed } not recorded.
}
kiosk-stored-no = Not recorded: { $reason }
category-head_of_delegation = Head of delegation
category-delegate = Delegate
category-speaker = Speaker
category-expert = Expert
category-press = Press
category-observer = Observer
category-staff = Staff
