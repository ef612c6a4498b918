"""Masking of Apprise and database URLs, and redaction of log lines and error messages.

Every URL below carries a secret; the masked form must not contain any piece of it, and must
still let a user tell channels apart (scheme, real host names, the start of a user name).
"""

from __future__ import annotations

import pytest

from monitor.secrets import MASK, mask_url, redact

# url -> (expected mask, secret pieces that must never appear)
CASES = {
    "mailto://alerts:Sup3r-Secret@smtp.example.com:587?to=me@example.com": (
        "mailto://ale…:****@smtp.example.com:587/…",
        ["Sup3r-Secret", "me@example.com"],
    ),
    "mailtos://smtp.example.com?user=me&pass=Pa55w0rdXY&to=a@example.com": (
        "mailtos://smtp.example.com/…",
        ["Pa55w0rdXY"],
    ),
    "slack://T1234ABCD/B1234ABCD/abcdefghijklmnopqrstuvwx": (
        "slack://****",
        ["T1234ABCD", "B1234ABCD", "abcdefghijklmnopqrstuvwx"],
    ),
    "mmost://127.0.0.1:8065/mmTokenSecret0123456789": (
        "mmost://127.0.0.1:8065/****",
        ["mmTokenSecret0123456789"],
    ),
    "mmosts://mattermost.example.org/mmTokenSecret0123456789": (
        "mmosts://mattermost.example.org/****",
        ["mmTokenSecret0123456789"],
    ),
    "tgram://123456789:AAHdEFghIJKLmnopQRST/12345": (
        "tgram://****",
        ["123456789", "AAHdEFghIJKLmnopQRST"],
    ),
    "discord://1234567890/abcdefTOKENxyz": ("discord://****", ["1234567890", "abcdefTOKENxyz"]),
    "pbul://o.gn5kj6nfhv736I7jC3cj3QLRiyhgl98b": (
        "pbul://****",
        ["gn5kj6nfhv736I7jC3cj3QLRiyhgl98b"],
    ),
    "pover://uQiRzpo4DXghDmr9QzzfQu27cmVRsG@azGDORePK8gMaC0QOYAMyEEuzJnyUi": (
        "pover://****",
        ["uQiRzpo4DXghDmr9QzzfQu27cmVRsG", "azGDORePK8gMaC0QOYAMyEEuzJnyUi"],
    ),
    "json://127.0.0.1:8080/hook/jsonPathToken987?apikey=Qwerty12345": (
        "json://127.0.0.1:8080/…",
        ["jsonPathToken987", "Qwerty12345"],
    ),
    "https://hooks.slack.com/services/T1234ABCD/B1234ABCD/abcdefghijklmnopqrstuvwx": (
        "https://hooks.slack.com/…",
        ["T1234ABCD", "abcdefghijklmnopqrstuvwx"],
    ),
    "ntfys://user:pa55word@ntfy.sh/topic": ("ntfys://use…:****@ntfy.sh/****", ["pa55word"]),
    "gotify://gotify.example.com/AbCdEf123456": (
        "gotify://gotify.example.com/****",
        ["AbCdEf123456"],
    ),
    "postgresql+psycopg://policywatch:DbPa55word@db:5432/policywatch": (
        "postgresql+psycopg://pol…:****@db:5432/policywatch",
        ["DbPa55word"],
    ),
}


@pytest.mark.parametrize("url", sorted(CASES))
def test_mask_url(url):
    expected, secrets = CASES[url]
    masked = mask_url(url)
    assert masked == expected
    for secret in secrets:
        assert secret not in masked


def test_mask_url_never_raises():
    assert mask_url("mailto://[broken") == MASK
    assert mask_url("") == "?://****"


@pytest.mark.parametrize("url", sorted(CASES))
def test_redact_removes_every_piece_even_outside_a_url(url):
    _expected, secrets = CASES[url]
    # how libraries mention a target: the URL itself, a path without scheme, a bare token
    lines = [
        f"Loaded URL: {url}",
        f"Failed to send to {url.split('://', 1)[1]}",
        *(f"token {s} rejected ({s!r})" for s in secrets),
    ]
    for line in lines:
        out = redact(line, [url])
        for secret in secrets:
            assert secret not in out, (line, out)


def test_redact_real_library_lines():
    hook = "mmost://127.0.0.1:8065/mmTokenSecret0123456789"
    lines = {
        # Apprise's Mattermost plugin, debug level
        "Mattermost webhook POST URL: http://127.0.0.1:8065/hooks/mmTokenSecret0123456789 "
        "(cert_verify=True)": "Mattermost webhook POST URL: http://127.0.0.1:8065/… "
        "(cert_verify=True)",
        # urllib3, debug level
        'http://127.0.0.1:8065 "POST /hooks/mmTokenSecret0123456789 HTTP/1.1" 200 None': (
            'http://127.0.0.1:8065 "POST /hooks/**** HTTP/1.1" 200 None'
        ),
        # requests' exception text
        "HTTPConnectionPool(host='127.0.0.1', port=8065): Max retries exceeded with url: "
        "/hooks/mmTokenSecret0123456789": "HTTPConnectionPool(host='127.0.0.1', port=8065): "
        "Max retries exceeded with url: /hooks/****",
    }
    for line, expected in lines.items():
        assert redact(line, [hook]) == expected


def test_redact_keeps_ordinary_words():
    url = "mailto://alerts:Sup3r-Secret@127.0.0.1:2525?mode=insecure&to=reader@example.com"
    out = redact("login as alerts with Sup3r-Secret, mode insecure, to reader@example.com", [url])
    assert out == "login as alerts with ****, mode insecure, to ****"


def test_redact_masks_unknown_urls_too():
    out = redact("posting to slack://T1234ABCD/B1234ABCD/abcdefghijklmnopqrstuvwx failed")
    assert out == "posting to slack://**** failed"
