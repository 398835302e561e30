// Invisible and control characters: format characters (Cf: zero-width, bidi controls, the tag
// block U+E0000-U+E007F, which can smuggle instructions past a human reviewer) and controls
// (Cc) other than tab, line feed and carriage return.

export interface InvisibleCharacter {
  /** UTF-16 offset. */
  offset: number;
  codePoint: number;
  category: 'Cf' | 'Cc';
}

const INVISIBLE = /[\p{Cf}\p{Cc}]/gu;
const FORMAT = /\p{Cf}/u;

export function findInvisible(text: string): InvisibleCharacter[] {
  const out: InvisibleCharacter[] = [];
  for (const m of text.matchAll(INVISIBLE)) {
    const ch = m[0];
    if (ch === '\t' || ch === '\n' || ch === '\r') continue;
    out.push({ offset: m.index, codePoint: ch.codePointAt(0)!, category: FORMAT.test(ch) ? 'Cf' : 'Cc' });
  }
  return out;
}

export function stripInvisible(text: string): { text: string; characters: InvisibleCharacter[] } {
  const characters = findInvisible(text);
  if (characters.length === 0) return { text, characters };
  return { text: text.replace(INVISIBLE, (ch) => (ch === '\t' || ch === '\n' || ch === '\r' ? ch : '')), characters };
}
