import pytest

from core.config import ConfigError, load_settings

SECRET = "correct horse battery staple, very long secret"


def settings_from(monkeypatch, **env):
    for key in ("DATABASE_URL", "ADMIN_IDS", "BADGE_SECRET", "DEFAULT_LANGUAGE", "BOT_TOKEN", "REMINDER_MINUTES"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return load_settings(_env_file=None)


def test_defaults_need_nothing(monkeypatch):
    s = settings_from(monkeypatch)
    assert s.database_url == "sqlite+aiosqlite:///confdesk.db" and s.admin_ids == [] and s.bot_token is None


def test_values_are_parsed(monkeypatch):
    s = settings_from(monkeypatch, ADMIN_IDS="1, 2;3", DEFAULT_LANGUAGE="ru", BADGE_SECRET=SECRET, BOT_TOKEN="1:abc")
    assert s.admin_ids == [1, 2, 3] and s.default_language == "ru"
    assert s.badge_secret.get_secret_value() == SECRET


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL"),
        ({"ADMIN_IDS": "12,abc"}, "ADMIN_IDS"),
        ({"DEFAULT_LANGUAGE": "de"}, "DEFAULT_LANGUAGE"),
        ({"REMINDER_MINUTES": "soon"}, "REMINDER_MINUTES"),
        ({"BADGE_SECRET": "short-secret-value"}, "BADGE_SECRET"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable_without_its_value(monkeypatch, env, named):
    with pytest.raises(ConfigError) as err:
        settings_from(monkeypatch, **env)
    text = str(err.value)
    assert named in text and "\n" not in text
    for value in env.values():
        assert value not in text


def test_empty_values_mean_unset(monkeypatch):
    s = settings_from(monkeypatch, BADGE_SECRET="", ADMIN_IDS="", BOT_TOKEN="")
    assert s.badge_secret is None and s.admin_ids == [] and s.bot_token is None


def test_secrets_do_not_show_in_repr(monkeypatch):
    s = settings_from(monkeypatch, BADGE_SECRET=SECRET, BOT_TOKEN="123:very-secret-token")
    assert SECRET not in repr(s) and "very-secret-token" not in repr(s)


def test_redis_pool_follows_the_updates_in_flight(monkeypatch):
    for key in ("MAX_UPDATES_IN_FLIGHT", "REDIS_MAX_CONNECTIONS"):
        monkeypatch.delenv(key, raising=False)
    assert settings_from(monkeypatch).redis_pool_size == 110  # 100 in flight, one command each, + spare
    assert settings_from(monkeypatch, MAX_UPDATES_IN_FLIGHT="40").redis_pool_size == 50
    assert settings_from(monkeypatch, REDIS_MAX_CONNECTIONS="20").redis_pool_size == 20
    with pytest.raises(ConfigError, match="MAX_UPDATES_IN_FLIGHT"):
        settings_from(monkeypatch, MAX_UPDATES_IN_FLIGHT="0")
