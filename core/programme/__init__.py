"""The conference programme: the file that describes it, loading it, the agenda as people
see it, sign-ups and waiting lists, reminders and notices.

The programme file (no database):
- `file`: `parse_programme` (YAML text to a `ProgrammeDocument`), `ProgrammeError` naming
  file, entry, field and line.
- `file_spec`: the file's schema (pydantic) and the resolved `ProgrammeDocument`.
- `file_checks`: the rules across fields and entries; agenda times as aware UTC.

Loading it (`confdesk program load`):
- `load`: `load_programme`, read, plan, write.
- `stored`: what the database holds for the file's conference (`read_stored`).
- `plan`: the file compared with it: `ProgrammePlan` and the `ProgrammeDiff` shown (pure).
- `write`: the plan applied, with its audit row, notices and promotions.
- `listing`: `agenda_of` and `list_conferences` for `program show` / `program list`.

The agenda for participants:
- `signups`: signing up and cancelling, waiting lists and promotion, the `refusal` rule.
- `views`: `day_view`, `item_view`, `my_agenda` (`ItemView`, `DayView`).
- `calendar`: one's agenda as an iCalendar file.
- `lookup`: finding items (programme order, by code or number, by id, the halls for doors).

Messages through the outbox:
- `messages`: their kinds and dedup keys.
- `reminders`: reminders before items (`schedule_reminders`, `run_scheduler`), notices of
  changed items, and whether a queued one `still_due`.

Services take the session of the caller's unit of work and never commit (core/uow.py).
"""
