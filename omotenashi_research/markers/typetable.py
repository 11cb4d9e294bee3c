"""Counting from token texts alone (default English-like pipelines).

When every column a lexicon reads is a lexeme attribute (a function of the token text) or derived
from ORTH (lookup lemmas, sentencizer starts), a batch of texts is tokenised through a cache per
whitespace-delimited span (:mod:`.chunks`), only ORTH is read, and every other column — plus each
value's row in the engine's lookup tables — comes from a table per distinct token text ("type") built once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from spacy.attrs import ORTH
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

from omotenashi_research.markers.annotate import _lookup, _sent_starts
from omotenashi_research.markers.chunks import ChunkTokens
from omotenashi_research.markers.compiler import _MAX_TYPES, _SENT
from omotenashi_research.markers.executor import _rows_of


class _TypeTable:
    """Mixin of :class:`~omotenashi_research.markers.matcher.MarkerMatcher`: the per-type table and
    joined tokenisation."""

    def _type_rows(self, orth: np.ndarray) -> np.ndarray:
        """Row of each token's text in the type table (new texts are added)."""
        if len(self._type_id) > _MAX_TYPES:  # bounded memory on huge vocabularies: start over
            self._type_id = {}
            self._type_cols = self._type_cols[:0]
            self._type_aux = self._type_aux[:0]
            self._type_member = self._type_member[:, :0]
            self._type_pred_ptr = self._type_pred_ptr[:1]
            self._type_pred_ids = self._type_pred_ids[:0]
        # (hashing, not sorting: the order of the distinct texts does not matter)
        inv, uniq = pd.factorize(orth)
        get = self._type_id.get
        ids = [get(u, -1) for u in uniq.tolist()]
        if -1 in ids:
            new = [u for u, i in zip(uniq.tolist(), ids, strict=True) if i == -1]
            strings = self._strings
            doc = Doc(self.nlp.vocab, words=[strings[h] for h in new], spaces=[False] * len(new))
            block = np.zeros((len(new), self._n_cols), dtype=np.uint64)
            block[:, [self._cols[n] for n in self._direct]] = doc.to_array(self._direct_ids).reshape(
                len(new), -1
            )
            if "LEMMA" in self._derived:
                block[:, self._cols["LEMMA"]] = _lookup(self._lemma_keys, self._lemma_vals, block[:, 0])
            first = len(self._type_cols)
            self._type_cols = np.concatenate([self._type_cols, block])
            aux = np.zeros((len(new), len(self._aux_specs) + 2), dtype=np.int64)
            for j, (c, table) in enumerate(self._aux_specs):
                aux[:, j] = _rows_of(table, block[:, c])
            aux[:, self._aux_row] = np.arange(first, first + len(new))
            member = np.zeros((len(new), len(self._exec_preds)), dtype=bool)
            for j, pred in enumerate(self._exec_preds):
                member[:, j] = self._pred_mask(pred, block, regex=True)
            self._type_member = np.concatenate([self._type_member, member.T], axis=1)
            # per new type, the slots (in ``_csr_preds``) of the predicates it passes
            t, j = np.nonzero(member[:, self._csr_preds])
            ptr = self._type_pred_ptr
            n_pred = np.bincount(t, minlength=len(new))
            self._type_pred_ptr = np.concatenate([ptr, ptr[-1] + np.cumsum(n_pred)])
            self._type_pred_ids = np.concatenate([self._type_pred_ids, j])
            if self._punct_chars is not None:
                aux[:, -1] = np.isin(block[:, 0], self._punct_chars)
            self._type_aux = np.concatenate([self._type_aux, aux])
            for k, u in enumerate(new):
                self._type_id[u] = first + k
            ids = [get(u) for u in uniq.tolist()]
        return np.array(ids, dtype=np.int64)[inv]

    def _count_texts(self, texts: list[str], batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`count_docs` of the texts' docs, reading only each doc's ORTH column."""
        return self._count_orth(*self._tokenize_orth(texts, batch_size))

    def _count_orth(self, orth: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`count_docs` from every token's ORTH and the number of tokens per text."""
        texts = lens  # one entry per text
        offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        if offsets[-1]:
            rows = self._type_rows(orth)  # may grow the table: before reading it
            cols = self._type_cols[rows]
            aux = self._type_aux[rows]
            if _SENT in self._cols:
                cols[:, self._cols[_SENT]] = _sent_starts(
                    cols[:, 0], cols[:, 1], self._punct_chars, offsets[:-1], aux[:, -1].astype(bool)
                )
        else:
            cols = np.zeros((0, self._n_cols), dtype=np.uint64)
            aux = np.zeros((0, len(self._aux_specs) + 2), dtype=np.int64)
        doc_of = np.repeat(np.arange(len(texts)), lens)
        return self._count_columns(None, cols, offsets, doc_of, aux)

    def _tokenize_orth(self, texts: list[str], batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        """ORTH of every token of every text (concatenated) and the number of tokens per text.

        When no rule but single whitespace characters contains whitespace, the tokens come from a
        cache per whitespace-delimited span (:class:`~omotenashi_research.markers.chunks.ChunkTokens`):
        exactly the tokens of one tokenizer call per text, without a ``Doc`` per text.
        """
        tokenizer = self.nlp.tokenizer
        rules = getattr(tokenizer, "rules", None)
        key = (id(tokenizer), id(rules), len(rules) if isinstance(rules, dict) else -1)
        if self._join_ok is None or self._join_ok[0] != key:  # (re)check after tokenizer changes
            ok = (
                type(tokenizer) is Tokenizer
                and isinstance(rules, dict)
                and all(len(k) == 1 or not any(ch.isspace() for ch in k) for k in rules)
            )
            self._join_ok = (key, ok)
        if not self._join_ok[1]:
            arrays = [doc.to_array(ORTH) for doc in tokenizer.pipe(texts, batch_size=batch_size)]
            lens = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
            orth = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.uint64)
            return orth, lens
        if self._chunks is None or self._chunks[0] != key:
            self._chunks = (key, ChunkTokens(tokenizer))
        return self._chunks[1].orth(texts)
