"""Settings: defaults < file < env, declaration overrides, and errors that name file and key."""

from __future__ import annotations

import pytest

from monitor.config import ConfigError, load_settings


def write(tmp_path, text: str):
    p = tmp_path / "pw.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_use_a_sqlite_file_in_the_user_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    s = load_settings(None, env={})
    assert s.database_url.startswith("sqlite:///")
    assert s.database_url.endswith("policywatch/policywatch.db")
    assert s.alert_on == "ai" and s.notify == ()
    assert {"linkedin", "meta", "google", "discord", "reddit"} <= set(s.declarations)


def test_file_then_env_precedence(tmp_path):
    cfg = write(
        tmp_path,
        'database_url = "sqlite:///from-file.db"\nalert_on = "all"\n'
        "[crawl]\ndownload_delay = 4.5\n",
    )
    s = load_settings(cfg, env={})
    assert s.database_url == "sqlite:///from-file.db"
    assert s.crawl.download_delay == 4.5 and s.alert_on == "all"
    s = load_settings(
        cfg,
        env={
            "POLICYWATCH_DATABASE_URL": "sqlite:///env.db",
            "POLICYWATCH_CRAWL_DOWNLOAD_DELAY": "1",
        },
    )
    assert s.database_url == "sqlite:///env.db" and s.crawl.download_delay == 1.0


def test_config_path_from_env(tmp_path):
    cfg = write(tmp_path, 'alert_on = "substantive"\n')
    s = load_settings(None, env={"POLICYWATCH_CONFIG": str(cfg)})
    assert s.alert_on == "substantive" and s.config_path == str(cfg)


def test_notify_from_env_splits_on_spaces_and_commas(tmp_path):
    s = load_settings(
        None,
        env={"POLICYWATCH_NOTIFY": "json://a.example/x, mailto://u:p@h.example  slack://T/B/C"},
    )
    assert [c.url for c in s.notify] == [
        "json://a.example/x",
        "mailto://u:p@h.example",
        "slack://T/B/C",
    ]


def test_notify_tables_with_tags(tmp_path):
    cfg = write(
        tmp_path, 'notify = ["mailto://u:p@h.example", {url = "slack://T/B/C", tags = ["ai"]}]\n'
    )
    s = load_settings(cfg, env={})
    assert s.notify[1].tags == ("ai",) and s.notify[0].tags == ()


def test_declares_a_new_service_and_restricts_services(tmp_path):
    cfg = write(
        tmp_path,
        """
services = ["example"]
[[service]]
slug = "example"
name = "Example Corp"
[[service.document]]
kind = "privacy-policy"
title = "Privacy Policy"
url = "http://127.0.0.1:8123/privacy"
select = ["main"]
remove = [".promo"]
""",
    )
    s = load_settings(cfg, env={})
    assert [x.slug for x in s.active_services()] == ["example"]
    doc = s.declarations["example"].documents[0]
    assert (
        doc.key == "example/privacy-policy"
        and doc.select == ("main",)
        and doc.remove == (".promo",)
    )


def test_overrides_only_the_url_of_a_builtin_document(tmp_path):
    builtin = load_settings(None, env={}).declarations["linkedin"].document("privacy-policy")
    cfg = write(
        tmp_path,
        """
[[service]]
slug = "linkedin"
[[service.document]]
kind = "privacy-policy"
url = "http://127.0.0.1:9999/li"
""",
    )
    doc = load_settings(cfg, env={}).declarations["linkedin"].document("privacy-policy")
    assert doc.url == "http://127.0.0.1:9999/li"
    assert doc.select == builtin.select and doc.title == builtin.title


@pytest.mark.parametrize(
    "text, expected",
    [
        ("colour = 1\n", "unknown key 'colour'"),
        ("alert_on = 'everything'\n", "key 'alert_on': expected one of ai, substantive, all"),
        ("[crawl]\ndownload_dealy = 3\n", "unknown key 'crawl.download_dealy'"),
        ("[crawl]\nretry_times = 'two'\n", "key 'crawl.retry_times': expected a whole number"),
        ("[crawl]\nconcurrent_requests = 0\n", "expected a whole number >= 1"),
        ("services = ['nope']\n", "unknown service 'nope'"),
        ("[schedule]\ncron = 'every day'\n", "expected a 5-field cron expression"),
        (
            "[[service]]\nslug = 'x'\nname = 'X'\n[[service.document]]\nkind = 'p'\nurl = 'file:///etc/passwd'\n",
            "expected an http:// or https:// URL",
        ),
        (
            "[[service]]\nslug = 'x'\nname = 'X'\n[[service.document]]\nkind = 'p'\nurl = 'http://a'\nselct = ['main']\n",
            "unknown key 'selct'",
        ),
        (
            "[[service]]\nslug = 'x'\n[[service.document]]\nkind = 'p'\nurl = 'http://a'\n",
            "missing key 'name'",
        ),
        ("notify = ['not a url']\n", "expected an Apprise URL"),
        ("this is = not toml [\n", "is not valid TOML"),
    ],
)
def test_errors_name_the_file_and_the_key(tmp_path, text, expected):
    cfg = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, env={})
    assert expected in str(err.value)
    assert str(cfg) in str(err.value)


def test_env_errors_name_the_variable():
    with pytest.raises(ConfigError, match="env POLICYWATCH_CRAWL_TIMEOUT: expected seconds"):
        load_settings(None, env={"POLICYWATCH_CRAWL_TIMEOUT": "soon"})


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", env={})
