/**
 * A word-level tokenizer: lower-cased runs of letters/digits/apostrophes, and every other non-space character as
 * its own token ("Re: $$$ FREE!" → re : $ $ $ free !). The vocabulary comes from the training split only.
 */

export const PAD = 0;
export const OOV = 1;

const WORD = /[\p{L}\p{N}']+|[^\s\p{L}\p{N}']/gu;

export function words(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

export interface Vocabulary {
  /** id → word; ids 0 and 1 are "<pad>" and "<oov>". */
  words: string[];
  ids: Map<string, number>;
}

/** The most frequent training words (ties by word), at most maxVocab ids in all (including PAD and OOV). */
export function buildVocabulary(texts: string[], maxVocab = 20000): Vocabulary {
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of words(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const list = ['<pad>', '<oov>', ...sorted.slice(0, Math.max(0, maxVocab - 2)).map(([w]) => w)];
  return { words: list, ids: new Map(list.map((w, i) => [w, i])) };
}

/** Token ids [n × maxLength] as floats (the Dataset's x), cut at maxLength, padded with PAD. */
export function encodeTexts(texts: string[], vocab: Vocabulary, maxLength: number): { x: Float32Array; oovTokens: number; tokens: number; truncated: number } {
  const x = new Float32Array(texts.length * maxLength);
  let oovTokens = 0;
  let tokens = 0;
  let truncated = 0;
  texts.forEach((t, i) => {
    const ws = words(t);
    if (ws.length > maxLength) truncated++;
    const n = Math.min(ws.length, maxLength);
    for (let j = 0; j < n; j++) {
      const id = vocab.ids.get(ws[j]) ?? OOV;
      if (id === OOV) oovTokens++;
      x[i * maxLength + j] = id;
    }
    tokens += n;
  });
  return { x, oovTokens, tokens, truncated };
}
