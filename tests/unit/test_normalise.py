"""normalise_url and normalise_text: noise removed, meaning kept, idempotent."""

from __future__ import annotations

import json
import re

import pytest

from monitor.normalise import is_tracking_param, normalise_text, normalise_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # tracking parameters dropped, the rest sorted
        (
            "https://www.linkedin.com/help/linkedin/answer/a5538339?trk=public_post&lang=en&lipi=urn%3Ali",
            "https://www.linkedin.com/help/linkedin/answer/a5538339?lang=en",
        ),
        (
            "https://myaccount.google.com/privacycheckup?utm_source=pp&utm_medium=Promo-in-product"
            "&utm_campaign=pp_intro&hl=en_GB",
            "https://myaccount.google.com/privacycheckup?hl=en_GB",
        ),
        (
            "https://example.com/a?z=1&fbclid=IwAR0x&gclid=Cj0&mc_eid=abc&_hsenc=p2&ref_src=twsrc"
            "&si=xyz&igshid=MzRl&b=2&a=3",
            "https://example.com/a?a=3&b=2&z=1",
        ),
        (
            "https://www.linkedin.com/legal/privacy-policy?trkInfo=AQE&original_referer=x",
            "https://www.linkedin.com/legal/privacy-policy?original_referer=x",
        ),
        # session ids, in the query and in the path
        (
            "https://shop.example.com/terms;jsessionid=A1B2C3?PHPSESSID=99&sid=77&page=2",
            "https://shop.example.com/terms?page=2",
        ),
        # signed CDN / object-store URLs
        (
            "https://scontent.xx.fbcdn.net/v/t39.8562-6/policy.png?_nc_cat=104&ccb=1-7&_nc_sid=f537c7"
            "&_nc_ohc=Qx&_nc_ht=scontent.xx&oh=00_AfB&oe=66A1B2C3",
            "https://scontent.xx.fbcdn.net/v/t39.8562-6/policy.png",
        ),
        (
            "https://bucket.s3.amazonaws.com/policy.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=2026"
            "&X-Amz-Expires=300&X-Amz-Signature=abc&X-Amz-Credential=k",
            "https://bucket.s3.amazonaws.com/policy.pdf",
        ),
        (
            "https://d111.cloudfront.net/terms.pdf?Expires=1764441600&Signature=abc~&Key-Pair-Id=APK",
            "https://d111.cloudfront.net/terms.pdf",
        ),
        (
            "https://acct.blob.core.windows.net/c/p.pdf?sv=2022-11-02&se=2026-12-01&sr=b&sp=r&sig=abc",
            "https://acct.blob.core.windows.net/c/p.pdf",
        ),
        (
            "https://example.com/download?token=eyJhbGciOi&file=policy.pdf",
            "https://example.com/download?file=policy.pdf",
        ),
        # unsigned short names survive
        ("https://example.com/search?sp=2&st=open", "https://example.com/search?sp=2&st=open"),
        # Meta's link shim and locale decorations
        (
            "https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.example.org%2Fai%3Futm_source%3Dfb&h=AT3x",
            "https://www.example.org/ai",
        ),
        (
            "https://www.facebook.com/privacy/genai/?locale2=en_US&h=AT1&entry_point=policy",
            "https://www.facebook.com/privacy/genai/?entry_point=policy",
        ),
        (
            "https://www.google.com/url?q=https://policies.google.com/terms&sa=D&usg=AOv",
            "https://policies.google.com/terms",
        ),
        # case, ports, empty query, trailing dot, percent escapes
        ("HTTPS://WWW.Example.COM:443/Path?", "https://www.example.com/Path"),
        ("http://example.com:80", "http://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://example.com./a%2fb", "https://example.com/a%2Fb"),
        ("https://example.com/a b/ü.pdf", "https://example.com/a%20b/%C3%BC.pdf"),
        # fragments: anchors kept, state dropped
        (
            "https://support.google.com/gemini/answer/13594961#privacy_notice",
            "https://support.google.com/gemini/answer/13594961#privacy_notice",
        ),
        (
            "https://support.google.com/gemini/answer/13594961?hl=en#gemini_apps&zippy=%2Cwhat-are-gemini-apps",
            "https://support.google.com/gemini/answer/13594961?hl=en",
        ),
        (
            "https://support.google.com/legal/troubleshooter/1114905?#ts=1115658%2C13380504",
            "https://support.google.com/legal/troubleshooter/1114905",
        ),
        ("https://example.com/app#!/settings", "https://example.com/app"),
        ("https://example.com/p#:~:text=train", "https://example.com/p"),
        # other schemes
        ("MAILTO:privacy@example.com", "mailto:privacy@example.com"),
        ("tel:+1-555-0100", "tel:+1-555-0100"),
        # browsers drop tabs and newlines inside URLs (WHATWG URL standard)
        ("  https://example.com/pri\nva\tcy  ", "https://example.com/privacy"),
    ],
)
def test_normalise_url(url, expected):
    assert normalise_url(url) == expected
    assert normalise_url(expected) == expected  # idempotent


def test_relative_links_resolve_against_the_base():
    base = "https://support.google.com/gemini/answer/13594961?hl=en"
    assert normalise_url("/gemini/answer/14554984", base) == (
        "https://support.google.com/gemini/answer/14554984"
    )
    assert normalise_url("14599070#countries", base) == (
        "https://support.google.com/gemini/answer/14599070#countries"
    )
    assert (
        normalise_url("//storage.googleapis.com/x.png", base)
        == "https://storage.googleapis.com/x.png"
    )
    assert (
        normalise_url("?hl=fr&utm_medium=x", base)
        == "https://support.google.com/gemini/answer/13594961?hl=fr"
    )


def test_query_pairs_keep_their_encoding_and_order_is_irrelevant():
    one = normalise_url("https://example.com/p?b=%2C&a=x%20y")
    two = normalise_url("https://example.com/p?a=x%20y&b=%2C")
    assert one == two == "https://example.com/p?a=x%20y&b=%2C"


def test_is_tracking_param():
    assert is_tracking_param("utm_content") and is_tracking_param("UTM_Source")
    assert is_tracking_param("_nc_ohc") and is_tracking_param("X-Amz-Date")
    assert is_tracking_param("h", "l.facebook.com") and not is_tracking_param("h", "example.com")
    assert not is_tracking_param("hl") and not is_tracking_param("page")


def test_every_link_in_the_real_snapshots_normalises_idempotently(corpus_dir):
    manifest = json.loads((corpus_dir / "snapshots/manifest.json").read_text())
    hrefs = set()
    for entry in manifest[::2]:
        raw = (corpus_dir.parent / entry["path"]).read_text(encoding="utf-8", errors="replace")
        hrefs.update((h, entry["source_url"]) for h in re.findall(r'href="([^"]{1,500})"', raw))
    assert len(hrefs) > 1000
    for href, base in hrefs:
        once = normalise_url(href.replace("&amp;", "&"), base)
        assert normalise_url(once, base) == once, href
        assert "utm_" not in once and "fbclid" not in once


# ---------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello  world", "Hello world\n"),
        ("a\u00a0b\u2009c\u202fd\u3000e", "a b c d e\n"),
        ("zero\u200bwidth\ufeff soft\u00adhyphen\u2060joined", "zerowidth softhyphenjoined\n"),
        ("line one\r\nline two\rline three\u2028four", "line one\nline two\nline three\nfour\n"),
        ("para\n\n\n\n\npara", "para\n\npara\n"),
        ("\n\n  \nstart", "start\n"),
        ("trailing   \nspaces\t\t\n", "trailing\nspaces\n"),
        ("- item\n  - nested  item\n    - deeper", "- item\n  - nested item\n    - deeper\n"),
        ("e\u0301 and A\u030a", "é and Å\n"),
        (
            "“curly” ‘quotes’ and \"straight\" 'ones' kept",
            "“curly” ‘quotes’ and \"straight\" 'ones' kept\n",
        ),
        ("control\x00\x07chars\x7f\x9f", "controlchars\n"),
        ("right\u200fto\u202eleft", "righttoleft\n"),
        ("मायने रखती है\u200d", "मायने रखती है\u200d\n"),  # ZWJ kept: it shapes Devanagari
        ("", ""),
        (" \n\t\n", ""),
    ],
)
def test_normalise_text(text, expected):
    assert normalise_text(text) == expected
    assert normalise_text(expected) == expected


def test_normalise_text_is_idempotent_on_real_versions(corpus_dir):
    manifest = json.loads((corpus_dir / "versions/manifest.json").read_text())
    for entry in manifest[::15]:
        text = (corpus_dir.parent / entry["path"]).read_text(encoding="utf-8")
        once = normalise_text(text)
        assert normalise_text(once) == once
        assert once.endswith("\n") and not once.endswith("\n\n")
        assert "\r" not in once and "\u00a0" not in once


def test_nfc_matches_unicodedata():
    import random
    import unicodedata

    from monitor.normalise import nfc

    rng = random.Random(7)
    alphabet = [
        "a",
        "e",
        "o",
        " ",
        "\n",
        "\u0301",
        "\u0308",
        "\u0327",
        "\u0323",
        "\u0302",
        "\u0915",
        "\u093c",
        "\u094d",
        "\u095b",
        "\u0928",
        "\u1100",
        "\u1161",
        "\u11a8",
        "\u212b",
        "\u00e9",
    ]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        assert nfc(text) == unicodedata.normalize("NFC", text)
    assert nfc("plain ascii") == "plain ascii"
