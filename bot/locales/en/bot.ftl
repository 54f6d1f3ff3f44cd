## Commands (setMyCommands)
cmd-start = Register or see your status
cmd-me = My registration
cmd-edit = Change my data
cmd-language = Language / Язык
cmd-cancel = Stop what I am doing
cmd-withdraw = Withdraw my registration
cmd-forget = Delete my personal data
cmd-help = What this bot can do
cmd-delegation = My delegation (heads of delegation)
cmd-invite = Invitation link (admins, heads of delegation)
cmd-pending = Registrations waiting for approval (officers)
cmd-register-member = Register a member of my delegation

## General
help =
    <b>{ $conference }</b>
    /start – register or see your status
    /me – your registration
    /badge – your badge with its QR code
    /agenda – the programme; /my – your sessions
    /edit – change your data
    /language – English / Русский
    /withdraw – withdraw your registration
    /forget – delete your personal data
    /cancel – stop what you are doing
no-conference = The conference is not open for registration yet. Please try again later.
no-conference-staff = No programme is loaded yet: load one with <code>confdesk program load FILE.yaml</code>, then try again.
unknown-command = I don't know that command. Send /help to see what I can do.
unknown-text = I didn't understand that. Send /help to see what I can do.
unsupported-content = I can only read text messages here. Send /help to see what I can do.
cancelled = Stopped. Nothing was saved. Send /start to begin again.
nothing-to-cancel = There is nothing to stop.
internal-error = Sorry, something went wrong on our side. Please try again; what you entered so far is kept.
not-allowed-command = Sorry, this command is for the organisers only.
choose-language = Choose your language:
language-set = Language set: English.
button-expired = This button is no longer active.

## Sign-up wizard
welcome =
    Welcome to <b>{ $conference }</b>!
    Let's register you. You can stop at any time with /cancel.
ask-full-name = Your full name in Latin script, as in your passport (for example: <i>Anna Petrova</i>):
ask-native-name = Your name in your own script, if it differs (for example: <i>Анна Петрова</i>). Or press Skip.
ask-delegation = Which delegation are you part of? Choose a kind, or type part of its name to search.
ask-delegation-list = Choose your delegation ({ $kind }), page { $page } of { $pages }:
ask-category = Your category:
ask-position = Your position or title (for example: <i>Deputy Minister of Foreign Affairs</i>):
ask-organisation = Your organisation (ministry, institute, media outlet). Or press Skip.
ask-consent =
    <b>Personal data</b>
    To accredit you, the organisers store your name, position, organisation, delegation and Telegram id, and record when your badge is scanned at the venue. The data is used only for this conference and is shared only with the accreditation service. You can see it with /me and delete it with /forget at any time.
    Do you agree?
consent-required = Without your consent we cannot register you. You can agree below, or stop with /cancel.
search-none = No delegation matches “{ $query }”. Try another part of the name, or choose a kind:
search-results = Delegations matching “{ $query }”:
hint-text-expected = Please send your answer as a text message.
hint-use-buttons = Please choose one of the buttons above, or type part of a delegation's name.
hint-press-button = Please use the buttons above.
summary =
    <b>Please check your data</b>
    Name: { $name }
    Name in native script: { $native }
    Delegation: { $delegation }
    Category: { $category }
    Position: { $position }
    Organisation: { $organisation }
summary-edit = What would you like to change?
registered-pending = Thank you! Your registration is received and waits for approval by the accreditation service. We will write to you here.
registered-approved = Thank you! You are accredited. Your badge will be available here.
edit-saved = Your changes are saved.
edit-saved-pending = Your changes are saved. Because your name, delegation or category changed, your accreditation goes back to the accreditation service for approval.
edit-nothing = Nothing changed.
behalf-registered =
    { $name } is registered in your delegation (status: { $status }).
    Send them this personal link so they can connect their Telegram account:
    { $link }
behalf-no-link = { $name } is registered in your delegation (status: { $status }).
not-registered = You are not registered yet. Send /start to register.
already-registered = You are already registered. See /me.

## Buttons
btn-skip = Skip
btn-confirm = ✅ Confirm
btn-edit = ✏️ Edit
btn-cancel = Cancel
btn-agree = I agree
btn-disagree = I do not agree
btn-prev = ◀
btn-next = ▶
btn-back = ↩ Back
btn-approve = ✅ Approve
btn-reject = ❌ Reject
btn-yes-withdraw = Yes, withdraw
btn-yes-forget = Yes, delete my data
btn-no = No, keep it
btn-revoke = Revoke this link
kind-state = State
kind-organisation = International organisation
kind-other = Other
kind-none = No delegation (independent expert, press)
field-full_name = Name
field-native_name = Native name
field-delegation = Delegation
field-category = Category
field-position = Position
field-organisation = Organisation

## Categories and statuses
category-head_of_delegation = Head of delegation
category-delegate = Delegate
category-speaker = Speaker
category-expert = Expert
category-press = Press
category-observer = Observer
category-staff = Staff
status-pending = ⏳ pending approval
status-approved = ✅ approved
status-rejected = ❌ rejected
status-cancelled = withdrawn
none = —
no-delegation = no delegation

## Profile
me =
    <b>{ $conference }</b>
    Name: { $name }
    Name in native script: { $native }
    Delegation: { $delegation }
    Category: { $category }
    Position: { $position }
    Organisation: { $organisation }
    Status: { $status }
me-reason = Reason: { $reason }
withdraw-confirm = Withdraw your registration for { $conference }? Your seats at sessions will be given to others.
withdrawn = Your registration is withdrawn. You can register again with /start.
forget-confirm = Delete all your personal data? Your registrations will be cancelled and your badge will stop working. This cannot be undone.
forgotten = Your personal data is deleted. Thank you for using confdesk.
kept = OK, nothing changed.

## Accreditation
officer-new =
    <b>New registration #{ $id }</b>
    { $name } { $native }
    Delegation: { $delegation }
    Category: { $category }
    Position: { $position }
    Organisation: { $organisation }
officer-approved = ✅ Approved by { $officer }.
officer-rejected = ❌ Rejected by { $officer }: { $reason }
officer-already-decided = Registration #{ $id } was already { $status ->
        [approved] approved
       *[rejected] rejected
    } by { $by } at { $at }. Nothing changed.
decided-by-system = the system
ask-reject-reason = Why is registration #{ $id } ({ $name }) rejected? The participant will see the reason.
participant-approved = ✅ Your accreditation for <b>{ $conference }</b> is approved. Welcome!
participant-rejected =
    ❌ Your accreditation for <b>{ $conference }</b> was not approved.
    Reason: { $reason }
pending-none = No registrations are waiting for approval.
pending-list = <b>Waiting for approval: { $total }</b>
pending-item = #{ $id } { $name } · { $delegation } · { $category }
pending-more = …and { $more } more. Decide these first, then send /pending again.

## Delegations and invitations
delegation-not-head = This is for heads of delegation. If you lead a delegation, ask the organisers to mark you as its head.
delegation-members =
    <b>{ $delegation }</b>
    Seats: { $taken } of { $quota }
delegation-member = { $name } · { $category } · { $status }
delegation-empty = No members registered yet.
unlimited = unlimited
invite-usage = Usage: /invite [DELEGATION CODE] [uses=N] [days=N] [category]. Heads of delegation may leave out the code.
invite-unknown-delegation = There is no delegation with the code { $code }.
invite-own-delegation-only = You can invite people to your own delegation only ({ $code }). Send /invite without a code.
invite-created =
    Invitation to <b>{ $delegation }</b>{ $category }:
    { $link }
    Uses: { $uses }. Valid until: { $expires }.
invite-category = {" "}({ $category })
invite-revoked = This invitation link is revoked.
invite-welcome = You are invited to join <b>{ $delegation }</b>.
bind-done = Your Telegram account is now connected to your registration, { $name }.
behalf-start = You are registering a member of <b>{ $delegation }</b>. Answer the next questions for them.

## Errors from the services (error-<code>)
error-generic = Sorry, that did not work: { $message }
error-quota_exceeded = Sorry, the delegation has no seats left ({ $quota } of { $quota } taken).
error-already_registered = You are already registered. See /me.
error-already_decided = This registration is already { $status ->
        [approved] approved
       *[rejected] rejected
    }.
error-registration_cancelled = The participant has withdrawn this registration.
error-registration_not_found = There is no such registration in this conference.
error-registration_changed = This registration changed meanwhile. Send /pending to see it again.
error-reason_required = Please give a reason.
error-invitation_invalid = This invitation link is not valid.
error-invitation_revoked = This invitation link was revoked. Ask for a new one.
error-invitation_expired = This invitation link has expired. Ask for a new one.
error-invitation_used_up = This invitation link has been used up. Ask for a new one.
error-bind_invalid = This personal link is not valid or was already used.
error-bind_taken = This registration is already connected to another Telegram account.
error-bind_account_in_use = Your Telegram account is already registered. See /me.
error-nothing_to_forget = We hold no personal data about you.
error-already_withdrawn = Your registration is already withdrawn.
error-registration_inactive = Your registration is no longer active. Send /start to register again.
error-no_conference = The conference is not open for registration yet. Please try again later.
error-permission_denied = Sorry, this is for the organisers only.
error-not_found = Not found.
error-too_short = Too short: at least { $min } characters, please.
error-too_long = Too long: at most { $max } characters, please.
error-control_chars = Please send plain text without special characters.
error-not_latin = Please write your name in Latin letters, as in your passport.
error-name_commas = Please use at most one comma, as in <i>Petrova, Anna</i>, or write the name as in your passport.
error-not_letters = Please use letters.

## Questions when a head of delegation registers a member
ask-full-name-behalf = The member's full name in Latin script, as in their passport (for example: <i>Anna Petrova</i>):
ask-native-name-behalf = The member's name in their own script, if it differs (for example: <i>Анна Петрова</i>). Or press Skip.
ask-position-behalf = The member's position or title (for example: <i>Counsellor</i>):
ask-organisation-behalf = The member's organisation (ministry, institute, media outlet). Or press Skip.
ask-consent-behalf =
    <b>Personal data</b>
    To accredit the member, the organisers store their name, position, organisation, delegation and, once they connect it, their Telegram id, and record when their badge is scanned at the venue. The data is used only for this conference. They can see it with /me and delete it with /forget at any time.
    Do you confirm that the member agrees?
