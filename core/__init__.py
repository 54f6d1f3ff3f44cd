"""confdesk domain: models, services, database and settings. Never imports bot or aiogram."""
