"""Charset decisions: header, BOM, meta, default - and catching declarations that lie."""

from __future__ import annotations

import codecs

import pytest

from monitor.charset import (
    decode_body,
    detect,
    header_charset,
    meta_charset,
    mojibake_samples,
)
from monitor.extract import ExtractionFailed, extract_text

FRENCH = "Nous traitons vos données personnelles. Vous pouvez vous opposer à ce traitement."
GERMAN = "Datenschutzerklärung: Wir verarbeiten Ihre Daten gemäß Art. 6 DSGVO – „Änderungen“."
HINDI = "हम आपकी जानकारी का उपयोग कैसे करते हैं? आपकी प्राइवेसी मायने रखती है।"


def html(text: str, head: str = "") -> str:
    return (
        f"<html><head>{head}<title>t</title></head><body><main><p>{text}</p></main></body></html>"
    )


def test_header_charset_parsing():
    assert header_charset("text/html; charset=UTF-8") == "UTF-8"
    assert header_charset('text/html;charset="iso-8859-1"') == "iso-8859-1"
    assert header_charset("text/html") is None
    assert header_charset(None) is None


def test_meta_charset_forms():
    assert meta_charset(b'<html><head><meta charset="windows-1252">') == "windows-1252"
    assert (
        meta_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">')
        == "Shift_JIS"
    )
    assert meta_charset(b'<?xml version="1.0" encoding="ISO-8859-15"?><html>') == "ISO-8859-15"
    # Facebook's printable policy comments its XML declaration out: not a declaration
    assert meta_charset(b'<!--?xml version="1.0" encoding="utf-8"?--><html>') is None
    assert meta_charset(b"<html><head><title>no charset</title>") is None


def test_declared_utf8_is_used():
    d = detect(html(FRENCH).encode("utf-8"), "text/html; charset=utf-8")
    assert (d.encoding, d.source, d.utf8_bytes) == ("utf-8", "header", True)
    assert FRENCH in d.text


def test_bom_wins_over_a_wrong_header():
    body = codecs.BOM_UTF8 + html(GERMAN).encode("utf-8")
    d = detect(body, "text/html; charset=iso-8859-1")
    assert (d.encoding, d.source) == ("utf-8", "bom")
    assert GERMAN in d.text and not d.text.startswith("\ufeff")


def test_utf16_with_bom_extracts():
    body = codecs.BOM_UTF16_LE + html(HINDI * 5).encode("utf-16-le")
    text = extract_text(body, url="https://x.example/p", select=["main"], min_length=50)
    assert HINDI in text


def test_meta_charset_when_no_header():
    body = html(GERMAN, head='<meta charset="windows-1252">').encode("cp1252")
    d = detect(body, "text/html")
    assert (d.encoding, d.source) == ("cp1252", "meta")
    assert GERMAN in d.text


def test_header_says_latin1_but_bytes_are_utf8():
    """The classic cause of "Ã©": the body is valid UTF-8, so the declaration is wrong."""
    body = html(FRENCH + " " + GERMAN).encode("utf-8")
    d = detect(body, "text/html; charset=iso-8859-1")
    assert (d.encoding, d.source) == ("utf-8", "sniffed")
    assert FRENCH in d.text and "Ã" not in d.text
    meta_lies = html(FRENCH, head='<meta charset="iso-8859-1">').encode("utf-8")
    assert FRENCH in decode_body(meta_lies, None)


def test_header_says_utf8_but_bytes_are_windows_1252():
    body = html(GERMAN * 3).encode("cp1252")
    d = detect(body, "text/html; charset=utf-8")
    assert d.encoding == "cp1252"
    assert GERMAN in d.text and "\ufffd" not in d.text


def test_undeclared_windows_1252_is_read_as_such():
    body = html(FRENCH + GERMAN).encode("cp1252")
    assert detect(body, None).encoding == "cp1252"
    assert FRENCH in decode_body(body, None) and GERMAN in decode_body(body, None)


def test_latin1_label_means_windows_1252():
    body = html("“Smart quotes” – and a dash").encode("cp1252")
    assert "“Smart quotes” – and a dash" in decode_body(body, "text/html; charset=ISO-8859-1")


def test_real_legacy_encodings_are_honoured():
    japanese = "個人情報の取り扱いについて。お客様のデータを保護します。"
    body = html(japanese).encode("shift_jis")
    d = detect(body, "text/html; charset=Shift_JIS")
    assert d.encoding == "shift_jis" and japanese in d.text
    cyrillic = "Политика конфиденциальности: мы обрабатываем ваши данные."
    assert cyrillic in decode_body(
        html(cyrillic).encode("cp1251"), "text/html; charset=windows-1251"
    )


def test_unknown_labels_are_ignored():
    body = html(FRENCH).encode("utf-8")
    d = detect(body, "text/html; charset=x-made-up")
    assert d.encoding == "utf-8" and FRENCH in d.text


def test_ascii_bodies_parse_as_bytes_whatever_the_label():
    d = detect(html("plain ascii").encode(), "text/html; charset=windows-1252")
    assert d.utf8_bytes and d.encoding == "utf-8"


def test_character_cut_at_the_end_is_dropped_and_flagged():
    body = html(HINDI).encode("utf-8")
    cut = body[: body.index("उपयोग".encode()) + 2]
    d = detect(cut, "text/html; charset=utf-8")
    assert d.cut_tail and "\ufffd" not in d.text


def test_a_few_stray_bytes_keep_utf8():
    body = html(FRENCH * 20).encode("utf-8").replace(b"personnelles", b"personn\xe9lles", 1)
    d = detect(body, "text/html; charset=utf-8")
    assert d.encoding == "utf-8" and d.text.count("\ufffd") == 1
    assert "données" in d.text


def test_mostly_undecodable_text_raises_encoding():
    broken = ("Datenschutzerkl\ufffdrung gem\ufffd\ufffd Art. 6. " * 80).encode("utf-8")
    with pytest.raises(ExtractionFailed) as info:
        decode_body(b"<html><body><p>" + broken + b"</p></body></html>", "text/html; charset=utf-8")
    assert info.value.reason == "encoding"


@pytest.mark.parametrize("text", [FRENCH, GERMAN, HINDI, "Señor Müller’s café – «déjà vu» ¿qué?"])
def test_real_text_is_not_mojibake(text):
    assert mojibake_samples(text) == []


def test_mojibake_is_found():
    broken = (FRENCH + " l’effacement").encode("utf-8").decode("cp1252")
    samples = mojibake_samples(broken)
    assert "Ã©" in samples and "â€™" in samples
    hindi_broken = HINDI.encode("utf-8").decode("cp1252", "replace")
    assert mojibake_samples(hindi_broken)


def test_hindi_snapshots_survive_a_wrong_header(corpus_dir):
    for rel, select in (
        ("snapshots/LinkedIn/Privacy-Policy/2025-05-07T16-32-18Z.html", ["#component-container"]),
        ("snapshots/Facebook/Privacy-Policy/2025-05-07T16-30-51Z.html", ["#root"]),
    ):
        body = (corpus_dir / rel).read_bytes()
        right = extract_text(
            body, url="https://x.example/p", select=select, content_type="text/html; charset=utf-8"
        )
        wrong = extract_text(
            body,
            url="https://x.example/p",
            select=select,
            content_type="text/html; charset=iso-8859-1",
        )
        missing = extract_text(body, url="https://x.example/p", select=select)
        assert right == wrong == missing
        assert "प्राइवेसी पॉलिसी" in right


def test_gemini_snapshot_without_meta_charset_decodes_as_utf8(corpus_dir):
    """The support.google.com page declares no charset in its HTML; lxml alone would read it as
    Latin-1 ("Googleâ€™s")."""
    body = (
        corpus_dir / "snapshots/Google-Generative-AI-Services/Privacy-Policy/"
        "2026-03-26T23-32-15Z__gemini-answer-13594961.html"
    ).read_bytes()
    assert meta_charset(body) is None
    text = extract_text(
        body, url="https://support.google.com/gemini/answer/13594961", select=[".cc"]
    )
    assert "Google’s legal bases" in text and "â€" not in text
