"""Substring search for Chinese (and any other) text on SQLite FTS5.

Why not FTS5's ``trigram`` tokenizer: it cannot match a query shorter than three characters
through the index, and two-character Chinese words (路灯, 井盖, 垃圾) are the usual query. So we
index overlapping character *bigrams* instead, the scheme of Lucene's CJK analyzer:

* the text is normalised (NFKC, case-folded) and cut into runs of letters and digits;
* each run of n characters becomes the bigram tokens c0c1, c1c2, …, c(n-2)c(n-1) followed by
  the unigram c(n-1) (so the last character can be found too);
* a query run of m ≥ 2 characters becomes the phrase of its m-1 bigrams — consecutive
  bigrams match exactly where the run is a substring; a 1-character query is the prefix
  query ``c*``, which matches every bigram starting with c and the closing unigram.

Every character is written as six hex digits so the tokens are plain ASCII: the index then
does not depend on which Unicode version SQLite's tokenizer tables know (rare CJK extension
characters stay searchable).
"""

from __future__ import annotations

import itertools
import unicodedata


def _runs(text: str) -> list[str]:
    normal = unicodedata.normalize("NFKC", text).casefold()
    runs: list[str] = []
    current: list[str] = []
    for ch in normal:
        if ch.isalnum():
            current.append(ch)
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def _hex(ch: str) -> str:
    return f"{ord(ch):06x}"


def index_tokens(*texts: str) -> str:
    """The token stream stored in the full-text index for these texts."""
    tokens: list[str] = []
    for text in texts:
        for run in _runs(text):
            codes = [_hex(ch) for ch in run]
            tokens.extend(a + b for a, b in itertools.pairwise(codes))
            tokens.append(codes[-1])
    return " ".join(tokens)


def match_expression(query: str) -> str | None:
    """An FTS5 MATCH expression finding ``query`` as a substring; None if it has no letters."""
    parts: list[str] = []
    for run in _runs(query):
        codes = [_hex(ch) for ch in run]
        if len(codes) == 1:
            parts.append(f'"{codes[0]}" *')
        else:
            parts.append('"' + " ".join(a + b for a, b in itertools.pairwise(codes)) + '"')
    return " AND ".join(parts) if parts else None
