"""Tiny transformer checkpoints written to disk in the real formats, so the text path runs
`from_pretrained` on a local folder exactly as it would on downloaded weights."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _words(texts: Iterable[str]) -> Counter:
    return Counter(w for t in texts for w in re.findall(r"\w+|[^\w\s]", t.lower()))


def tiny_bert(folder: Path, texts: Iterable[str], extra_words: Iterable[str] = ()) -> Path:
    """A 2-layer BERT (hidden 32) with a WordPiece vocabulary of the corpus' words."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab = SPECIAL + sorted(set(_words(texts)) | {w.lower() for w in extra_words})
    BertTokenizerFast(
        vocab={w: i for i, w in enumerate(vocab)}, do_lower_case=True
    ).save_pretrained(folder)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=128,
    )  # fmt: skip
    BertForSequenceClassification(config).save_pretrained(folder)
    return folder


def tiny_roberta(folder: Path, texts: Iterable[str]) -> Path:
    """A 2-layer RoBERTa (hidden 32) with a byte-level BPE tokenizer trained on the corpus."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaConfig, RobertaForSequenceClassification, RobertaTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(list(texts), vocab_size=600, min_frequency=1,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])  # fmt: skip
    vocab_file, merges_file = bpe.save_model(str(folder))
    merges = [
        tuple(line.split())
        for line in Path(merges_file).read_text().splitlines()[1:]
        if line.strip()
    ]
    tokenizer = RobertaTokenizerFast(vocab=json.loads(Path(vocab_file).read_text()), merges=merges)
    tokenizer.save_pretrained(folder)
    config = RobertaConfig(
        vocab_size=bpe.get_vocab_size(), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=130, pad_token_id=1, bos_token_id=0, eos_token_id=2,
    )  # fmt: skip
    RobertaForSequenceClassification(config).save_pretrained(folder)
    return folder
