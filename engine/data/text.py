"""The language feature z_u: a word inserted into texts, surviving tokenisation and
truncation (SPEC §1).

Texts are tokenised once without special tokens. A clean text keeps its first
`max_length - specials` tokens. A stamped text keeps `len(word)` tokens fewer, then
gets the word's tokens at a word boundary (`start`, `end`, or `random`, drawn per sample
from a seed and the sample's position in its split), so the model always sees z_u.
The word is tokenised as it reads mid-sentence (" word"), so byte-level BPE tokenisers
(RoBERTa) give it one form wherever it lands.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.data.banks import TextBank
from engine.errors import ConfigError

POSITIONS = ("start", "end", "random")
_POSITION_STREAM = 3


class TokenInserter:
    def __init__(self, tokenizer, word: str, position: str, max_length: int, seed: int = 0) -> None:  # noqa: ANN001
        if position not in POSITIONS:
            raise ConfigError(
                "feature.position",
                f"'{position}' is not a text position",
                f"use one of {list(POSITIONS)}",
            )
        if not word.strip():
            raise ConfigError(
                "feature.text", "the inserted word is empty", "give e.g. feature.text='egg'"
            )
        self.tokenizer = tokenizer
        self.position = position
        self.seed = seed
        self.word_ids = tokenizer(" " + word.strip(), add_special_tokens=False)["input_ids"]
        self.prefix, self.suffix = _special_wrapping(tokenizer)
        self.budget = max_length - len(self.prefix) - len(self.suffix)
        if len(self.word_ids) >= self.budget:
            raise ConfigError(
                "data.max_length",
                f"{max_length} tokens leave no room for the text",
                "raise data.max_length",
            )

    def encode(
        self, texts: Sequence[str], stamp: bool = False, split_tag: int = 0, ids: Sequence[int] = ()
    ) -> TextBank:
        """A bank of the texts, clean or with z_u inserted. `split_tag` and `ids` (each text's
        index in its split) seed the random position, so a sample's position is the same in
        every run and every seed."""
        encoded = self.tokenizer(
            list(texts), add_special_tokens=False, truncation=False, verbose=False
        )
        sequences = []
        for i, tokens in enumerate(encoded["input_ids"]):
            if stamp:
                keep = tokens[: self.budget - len(self.word_ids)]
                at = self._where(encoded.word_ids(i)[: len(keep)], split_tag, ids[i] if ids else i)
                tokens = keep[:at] + self.word_ids + keep[at:]
            else:
                tokens = tokens[: self.budget]
            sequences.append(self.prefix + tokens + self.suffix)
        return TextBank.from_sequences(sequences, self.tokenizer.pad_token_id or 0)

    def _where(self, word_ids: list[int | None], split_tag: int, sample: int) -> int:
        n = len(word_ids)
        if self.position == "start":
            return 0
        if self.position == "end":
            return n
        # Word boundaries: before the first token of each word, and the end.
        bounds = [p for p in range(n) if p == 0 or word_ids[p] != word_ids[p - 1]] + [n]
        rng = np.random.default_rng([self.seed, _POSITION_STREAM, split_tag, int(sample)])
        return int(bounds[rng.integers(len(bounds))])


def _special_wrapping(tokenizer) -> tuple[list[int], list[int]]:  # noqa: ANN001
    """The special tokens the tokenizer puts before and after one text ([CLS] ... [SEP],
    <s> ... </s>), found by encoding a one-token probe with and without them."""
    inner = tokenizer("a", add_special_tokens=False)["input_ids"]
    outer = tokenizer("a", add_special_tokens=True)["input_ids"]
    for at in range(len(outer) - len(inner) + 1):
        if outer[at : at + len(inner)] == inner:
            return list(outer[:at]), list(outer[at + len(inner) :])
    return [], []
