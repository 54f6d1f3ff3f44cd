## Door staff: check-in verdicts, gates, photos
verdict-ok = Welcome
verdict-ok-out = Checked out
verdict-duplicate = Already inside
verdict-invalid = Invalid code
verdict-revoked = Revoked badge (a newer one was issued)
verdict-not_approved = Not accredited
verdict-not_allowed = Not admitted to this session
verdict-head = { $icon } <b>{ $verdict }</b>
verdict-person =
    <b>{ $name }</b> { $native }
    { $delegation } · { $category }
verdict-already = Entered at { $at } ({ $gate }), let in by { $by }
verdict-where = { $gate } · { $direction }
verdict-outside-dates = ⚠️ Today is not a day of this conference ({ $first } – { $last }): check the conference and the clock.
gate-current = Scanning at: <b>{ $gate }</b>, { $direction }. Choose another place or direction:
gate-set = Now scanning at: { $gate }, { $direction }
gate-entrance = Venue entrance
gate-in = entry
gate-out = exit
gate-btn-in = ➡️ Entry
gate-btn-out = ⬅️ Exit
photo-no-code = I could not find a readable QR code in this photo. Hold the badge flat, fill the frame, avoid glare, and try again.
photo-not-image = This file is not an image.
badge-link-unknown = This code is not valid here.
cmd-gate = Choose gate and direction (door staff)
cmd-badge = My badge with its QR code

## The participant's own badge
badge-caption = Your badge for <b>{ $conference }</b>. Show the QR code at the entrance.
error-badge_pending = Your badge will be available once your accreditation is approved.
error-badge_rejected = There is no badge: your accreditation was not approved. See /me.
error-badge_cancelled = There is no badge: your registration was withdrawn.
error-not_an_image = This file is not an image.
