"""The people the bot writes to, whatever their part in a conference.

- identity.py: who is writing (staff roles and language), for a batch of updates at once.
- staff.py: staff roles per conference (ADMIN_IDS are admins of the current one).
- preferences.py: a person's language and whether they blocked the bot.
- erasure.py: `/forget`, everything that identifies a person erased, the counts kept.

Services take the caller's unit of work (core/uow.py) and never commit.
"""
