"""Token insertion (SPEC §1): at start / end / a seeded word boundary, surviving
tokenisation and truncation, with the tokenizer's own special tokens around it."""

import numpy as np
import pytest
from transformers import AutoTokenizer

from engine.data.text import TokenInserter
from engine.errors import ConfigError
from tests.tiny_models import tiny_bert, tiny_roberta

TEXTS = ["the movie was good", "a long dull story about an actor and a scene", "fun"]


@pytest.fixture(scope="module")
def bert_tok(tmp_path_factory):
    folder = tiny_bert(tmp_path_factory.mktemp("bert"), TEXTS + ["word " * 5], ["egg"])
    return AutoTokenizer.from_pretrained(folder)


@pytest.fixture(scope="module")
def roberta_tok(tmp_path_factory):
    folder = tiny_roberta(
        tmp_path_factory.mktemp("roberta"), TEXTS * 20 + ["ship egg riverdale"] * 5
    )
    return AutoTokenizer.from_pretrained(folder)


def _rows(bank):
    return [bank.ids[i, : bank.lengths[i]].tolist() for i in range(len(bank))]


def _contains(seq, sub):
    return any(seq[i : i + len(sub)] == sub for i in range(len(seq) - len(sub) + 1))


def test_start_and_end_positions(bert_tok):
    ins = TokenInserter(bert_tok, "egg", "start", 64)
    egg = bert_tok.convert_tokens_to_ids("egg")
    cls, sep = bert_tok.cls_token_id, bert_tok.sep_token_id
    clean = _rows(ins.encode(TEXTS[:1]))[0]
    start = _rows(ins.encode(TEXTS[:1], stamp=True))[0]
    assert start == [cls, egg, *clean[1:]]
    end = _rows(TokenInserter(bert_tok, "egg", "end", 64).encode(TEXTS[:1], stamp=True))[0]
    assert end == [*clean[:-1], egg, sep]


def test_random_positions_are_word_boundaries_seeded_per_sample(bert_tok):
    ins = TokenInserter(bert_tok, "egg", "random", 64, seed=0)
    texts = [TEXTS[1]] * 40
    first = _rows(ins.encode(texts, stamp=True, split_tag=0, ids=range(40)))
    again = _rows(ins.encode(texts, stamp=True, split_tag=0, ids=range(40)))
    assert first == again  # deterministic
    egg = bert_tok.convert_tokens_to_ids("egg")
    positions = {row.index(egg) for row in first}
    assert len(positions) > 3  # samples differ
    clean = _rows(ins.encode(texts[:1]))[0]
    for row in first:  # removing the word gives back the clean text: inserted between tokens
        at = row.index(egg)
        assert row[:at] + row[at + 1 :] == clean
    other_split = _rows(ins.encode(texts, stamp=True, split_tag=1, ids=range(40)))
    assert other_split != first


def test_the_word_survives_truncation(bert_tok):
    long_text = " ".join(["word"] * 300)
    egg = bert_tok.convert_tokens_to_ids("egg")
    for position in ("start", "end", "random"):
        ins = TokenInserter(bert_tok, "egg", position, 32)
        row = _rows(ins.encode([long_text], stamp=True))[0]
        assert len(row) == 32 and egg in row
        assert row[0] == bert_tok.cls_token_id and row[-1] == bert_tok.sep_token_id
    clean = _rows(TokenInserter(bert_tok, "egg", "end", 32).encode([long_text]))[0]
    assert len(clean) == 32


def test_byte_level_bpe_gets_one_form_of_the_word(roberta_tok):
    word = roberta_tok(" ship", add_special_tokens=False)["input_ids"]
    for position in ("start", "end", "random"):
        ins = TokenInserter(roberta_tok, "ship", position, 48)
        rows = _rows(ins.encode(TEXTS, stamp=True, ids=range(3)))
        assert all(_contains(r, word) for r in rows)
        assert all(
            r[0] == roberta_tok.bos_token_id and r[-1] == roberta_tok.eos_token_id for r in rows
        )


def test_bank_pads_and_takes_rows_cut_to_their_longest(bert_tok):
    bank = TokenInserter(bert_tok, "egg", "end", 64).encode(TEXTS)
    batch = bank.take(np.array([2, 0]))
    assert batch["input_ids"].shape == (2, max(bank.lengths[[0, 2]]))
    assert batch["attention_mask"][0].sum() == bank.lengths[2]


def test_bad_positions_and_lengths(bert_tok):
    with pytest.raises(ConfigError, match="feature.position"):
        TokenInserter(bert_tok, "egg", "middle", 64)
    with pytest.raises(ConfigError, match="data.max_length"):
        TokenInserter(bert_tok, "egg", "start", 3)
