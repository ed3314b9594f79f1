"""The questions in a message. People write a greeting, their family's story, then the
question, or two questions in one ("Павлодарда пәтер қанша тұрады және мектептер қандай?").
A message is cut into sentences, a sentence into clauses at "және / и / and" when both
sides ask something; the clauses that ask are the questions, in the order written."""

from __future__ import annotations

import re

from content.normalise import normalise

# Words that make a clause a question (normalised spelling): question words and the Kazakh
# question particles, Russian and English question words.
ASKING = frozenset({
    "kansha", "kalai", "kandai", "kaida", "kaidan", "kashan", "nege", "ne", "neshe", "kim",
    "kaisy", "ma", "me", "ba", "be", "pa", "pe", "she", "bola", "bolady", "kerek", "mumkin",
    "kalaisha", "kaitip", "nendei",  # kk
    "skolko", "skoka", "kak", "gde", "kuda", "kogda", "pochemu", "zachem", "chto", "chem",
    "kakoi", "kakaya", "kakoe", "kakie", "kakova", "li", "mojno", "nujno", "nado", "est",
    "kakih", "kakuyu", "pocem", "pochem", "ili", "alde",  # ru; "русские или казахские?"
    "what", "how", "where", "when", "which", "who", "why", "can", "could", "should", "is",
    "are", "do", "does", "any", "much", "many",  # en
})  # fmt: skip
GREETING = frozenset(normalise(w) for w in [
    "сәлем", "сәлеметсіз", "саламатсыз", "салеметсиз", "ассалаумағалейкум", "армысыз",
    "қайырлы", "күн", "таң", "кеш", "привет", "здравствуйте", "добрый", "день", "вечер",
    "утро", "hello", "hi", "hey", "good", "morning", "afternoon", "evening", "рахмет",
    "спасибо", "thanks",
])  # fmt: skip
JOINS = frozenset({
    "jane", "i", "and", "takje", "tagy", "eshe", "also", "plus", "a", "alde", "ili", "or", "al",
})  # fmt: skip
_COMMA = re.compile(r"\s*[,،]\s*")
_SENTENCE = re.compile(r"(?<=[.!?؟;\n])\s*|(?<=[.!?؟])(?=\S)")
_QUESTION_MARK = re.compile(r"[?؟]\s*$")
_TELLING = re.compile(r"[.!]\s*$")
_JOIN_SPLIT = re.compile(r"\s*,\s*|\s+")
MIN_WORDS = 2  # a clause of one word after "және" is part of a list, not a question


def questions(text: str) -> list[str]:
    """The clauses of `text` that ask something; [] when none of them does."""
    found = []
    sentences = _sentences(text)
    if any(_QUESTION_MARK.search(s) for s in sentences):
        # Whoever marks questions marks them: "We are a family of four." only tells; a
        # sentence left without a mark may still ask ("и в какую цену квартиры").
        sentences = [s for s in sentences if not _TELLING.search(s)]
    for sentence in sentences:
        clauses = _clauses(sentence)
        asking = [c for c in clauses if _asks(c)]
        if _QUESTION_MARK.search(sentence) and not asking:
            asking = [sentence]
        found += asking
    return found


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def _clauses(sentence: str) -> list[str]:
    """Cut at a comma or a joining word when what comes before and after both ask."""
    words = _COMMA.sub(" , ", sentence).split()
    for i, word in enumerate(words):
        if 0 < i < len(words) - MIN_WORDS and (word == "," or normalise(word) in JOINS):
            head = " ".join(words[:i]).replace(" ,", ",")
            tail = " ".join(words[i + 1 :]).replace(" ,", ",")
            if _asks(head) and _asks(tail):
                return [head, *_clauses(tail)]
    return [sentence]


def _asks(clause: str) -> bool:
    words = normalise(clause).split()
    if all(w in GREETING or w in ASKING for w in words):
        return False  # "Сәлеметсіз бе!", "Қайырлы күн!"
    return (len(words) >= MIN_WORDS and any(w in ASKING for w in words)) or bool(
        _QUESTION_MARK.search(clause)
    )
