# Texts for domain error codes that have no feature file of their own. Every code raised in
# core/ has a text in both languages (tests/bot/test_i18n.py checks it).
error-invalid_input = Sorry, that input was not understood. Please check it and try again.
error-wrong_state = Sorry, that cannot be done now: the record has changed in the meantime.
error-wrong_conference = That belongs to another conference.
error-delegation_not_found = There is no such delegation in this conference.
error-bad_max_uses = The number of uses must be at least 1.
error-bad_expiry = The expiry date is in the past.
error-badge_not_approved = This registration is not approved, so it has no badge to reissue.
error-bot_username_unknown = The bot's username is not known yet: start the bot once or set BOT_USERNAME.
error-role_exists = This person already has that role.
error-role_not_found = This person has no such role.
error-programme_invalid = The programme file is not valid.
error-import_invalid = The list could not be imported: please check the file.
error-not_a_number = Please send a number.
error-not_positive = Please send a positive number.
error-too_large = That number is too large.
error-bad_username = That is not a Telegram username.
error-bad_email = That is not an email address.
error-phone_not_telegram = That looks like a phone number: give a Telegram id or @username instead.
error-agenda_item_not_found = There is no such item in the programme.
error-export_failed = The export could not be written. Please try again.
error-schema_unknown = The database was upgraded by a newer version of confdesk: this version cannot use it.
