from __future__ import annotations

from bot.textsplit import clean_text, split_text


def test_short_text_is_one_part() -> None:
    assert split_text("Сәлем!", 4096) == ["Сәлем!"]


def test_long_text_splits_at_paragraphs_and_keeps_every_word() -> None:
    paragraphs = [f"Абзац {i}. " + "сөз " * 150 for i in range(12)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    parts = split_text(text, 4096)
    assert len(parts) > 1
    assert all(len(p) <= 4096 for p in parts)
    assert all(p.startswith("Абзац") for p in parts), "each part starts at a paragraph"
    assert " ".join(parts).split() == text.split()


def test_one_unbroken_run_is_cut_hard() -> None:
    parts = split_text("x" * 10_000, 4096)
    assert [len(p) for p in parts] == [4096, 4096, 1808]


def test_clean_text_drops_control_characters() -> None:
    assert clean_text("a\x00b\x07c\r\nd\te") == "abc\nd\te"
