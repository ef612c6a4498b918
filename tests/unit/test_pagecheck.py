"""Page checks: what they flag, and - on every real snapshot - what they must not flag."""

from __future__ import annotations

import json
import re

import pytest

from monitor.pagecheck import (
    EXPLAIN_LIMIT,
    Scope,
    check_markers,
    check_scope,
    check_title,
    check_url,
    sniff_not_html,
)


@pytest.fixture(scope="module")
def real_pages(corpus_dir):
    manifest = json.loads((corpus_dir / "snapshots/manifest.json").read_text())
    return [(e, (corpus_dir.parent / e["path"]).read_bytes()) for e in manifest]


@pytest.mark.parametrize(
    ("title", "reason"),
    [
        ("Just a moment...", "captcha"),
        ("Just a moment…", "captcha"),
        ("Attention Required! | Cloudflare", "bot-wall"),
        ("Access Denied", "bot-wall"),
        ("Before you continue to Google", "consent-wall"),
        ("Before you continue", "consent-wall"),
        ("Sign Up | LinkedIn", "login-wall"),
        ("LinkedIn Login, Sign in | LinkedIn", "login-wall"),
        ("Log in or sign up to view", "login-wall"),
        ("Facebook – log in or sign up", "login-wall"),
        ("Log into Facebook", "login-wall"),
        ("Login • Instagram", "login-wall"),
        ("reddit.com: Log in", "login-wall"),
        ("Unsupported Browser | LinkedIn", "unsupported-browser"),
        ("https://www.google.com/sorry/index?continue=x", "captcha"),
    ],
)
def test_wall_titles(title, reason):
    verdict = check_title(title)
    assert verdict is not None and verdict.reason == reason


@pytest.mark.parametrize(
    "title",
    [
        "Privacy Policy | LinkedIn",
        "User Agreement | LinkedIn",
        "Sign in and sign out | LinkedIn Help",
        "Manage your cookie consent settings - Google Account Help",
        "Gemini Apps Privacy Hub - Gemini Apps Help",
        "Meta Privacy Policy - How Meta collects and uses user data",
        "How your data is used to improve model performance | OpenAI",
        "Facebook",
        "Reddit - Dive into anything",
        "Why is my browser blocked from some pages? | Help",
        "",
        None,
    ],
)
def test_document_titles_are_not_walls(title):
    assert check_title(title) is None


def test_no_real_snapshot_title_url_or_marker_is_a_wall(real_pages):
    for entry, body in real_pages:
        titles = re.findall(rb"<title[^>]*>([^<]*)</title>", body)
        for title in titles:
            assert check_title(title.decode("utf-8", "replace")) is None, (entry["path"], title)
        assert check_url(entry["source_url"]) is None, entry["source_url"]
        assert check_markers(body) is None, entry["path"]
        assert sniff_not_html(body, "text/html; charset=utf-8") is None, entry["path"]


def test_source_urls_are_not_walls():
    for url in (
        "https://www.linkedin.com/legal/privacy-policy",
        "https://www.linkedin.com/help/linkedin/answer/a5538339",
        "https://mbasic.facebook.com/privacy/policy/printable/",
        "https://www.facebook.com/privacy/genai/",
        "https://policies.google.com/privacy?hl=en-GB&gl=IE",
        "https://support.google.com/gemini/answer/13594961?hl=en",
        "https://discord.com/privacy",
        "https://www.redditinc.com/policies/user-agreement",
        "https://support.reddithelp.com/hc/en-us/articles/26410290525844-Public-Content-Policy",
        "https://www.login.gov/policy/",
        "https://example.com/legal/login-policy",
    ):
        assert check_url(url) is None, url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://www.linkedin.com/authwall?trk=gf&sessionRedirect=x", "login-wall"),
        ("https://www.linkedin.com/uas/login?session_redirect=%2Flegal", "login-wall"),
        ("https://www.facebook.com/login/?next=x", "login-wall"),
        ("https://www.facebook.com/checkpoint/block/?next", "login-wall"),
        ("https://accounts.google.com/ServiceLogin?continue=x", "login-wall"),
        ("https://www.reddit.com/login/?dest=x", "login-wall"),
        ("https://consent.google.com/ml?continue=x", "consent-wall"),
        ("https://consent.youtube.com/m?continue=x", "consent-wall"),
        ("https://www.google.com/sorry/index?continue=x", "captcha"),
    ],
)
def test_wall_urls(url, reason):
    verdict = check_url(url)
    assert verdict is not None and verdict.reason == reason


def test_sniff_not_html():
    assert sniff_not_html(b"%PDF-1.4 ...", "text/html") == "a PDF document"
    assert sniff_not_html(b"  \n<!DOCTYPE html><html>", "application/octet-stream") is None
    assert sniff_not_html(b"<div>fragment</div>", None) is None
    assert sniff_not_html(b'{"a": 1}', "application/json") == "application/json content"
    assert "without any HTML markup" in sniff_not_html(b"just words", "text/plain")
    assert sniff_not_html(b"\x00\x01\x02binary", None) == "binary data (NUL bytes)"
    utf16 = "<html><body>x</body></html>".encode("utf-16-le")
    assert sniff_not_html(b"\xff\xfe" + utf16, None) is None


def test_explanatory_checks_only_apply_to_short_pages():
    wall = "join linkedin make the most of your professional life agree & join"
    assert check_scope(Scope(text=wall), strict=False).reason == "login-wall"
    long_policy = ("to opt out, sign in to your account. " * 200) + wall
    assert len(long_policy) > EXPLAIN_LIMIT
    assert check_scope(Scope(text=long_policy), strict=False) is None


def test_strict_checks_need_machinery_not_just_words():
    words = "sign in to your account to change this setting. forgot your password? log in."
    assert check_scope(Scope(text=words), strict=True) is None
    assert check_scope(Scope(text=words, has_password=True), strict=True).reason == "login-wall"
    captcha_words = "we use recaptcha to verify you are human"
    assert check_scope(Scope(text=captcha_words), strict=True) is None
    assert check_scope(Scope(text=captcha_words, has_captcha_widget=True), strict=True).reason == (
        "captcha"
    )
    assert check_scope(Scope(text="we use cookies", has_consent_form=True), strict=True).reason == (
        "consent-wall"
    )


def test_js_shell_needs_an_empty_page():
    assert check_scope(
        Scope(text="", empty_app_root=True, has_scripts=True), strict=False
    ).reason == ("js-required")
    assert check_scope(Scope(text="", has_scripts=False), strict=False) is None
    some_text = "a real short notice about our data practices. " * 40
    assert check_scope(Scope(text=some_text, has_scripts=True), strict=False) is None
