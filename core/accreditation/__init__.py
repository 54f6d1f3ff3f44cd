"""Accreditation: who comes to a conference, for which delegation, approved by whom.

- `registration`: a person's registration from sign-up to decision, edits and withdrawal,
  a delegation's invitation links and the personal links of people registered on their
  behalf (a package; its docstring lists its modules).
- `importing`: registering many people at once from a protocol office's CSV or XLSX file
  (a package: reading, checking, matching, planning, then writing).
- `quota`: the delegation seat rule (which registrations hold a seat, how many are left).
- `delegations`: delegations for pickers and search, who heads which, and which one a
  typed code or name means.
- `validation`: the rules for typed names (Latin, native script) and free text.
- `notices`: an officer's card or a participant's decision the bot could not send at once,
  queued for the outbox's sender, and whether it still makes sense at send time.

Services take the session of the caller's unit of work (`core.uow`) and never commit.
"""
