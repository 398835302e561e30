// Titles and cue phrases before a name ("Dr", "Regards,", "my name is"), found as the global
// regex `(?:Mrs|Mr|...|my name is|My name is|...)(?=[. \t\n])` (literals longest first) finds them,
// at about three quarters of its cost: one case-insensitive alternation of the lower-case forms
// (half as many alternatives, no lookahead) proposes a place, and the literals as written are
// checked there in code. A place where a literal matches exactly with the lookahead holding is
// also a place where the case-insensitive pattern matches, so the first place where both hold is
// the regex's match, and the first literal in the list that fits is the one it would report.

export interface CueMatch {
  index: number;
  literal: string;
}

export class CueSearch {
  private readonly proposer: RegExp;
  /** The literals by their first character, each list in the regex's order. */
  private readonly byFirst = new Map<number, string[]>();

  constructor(literals: readonly string[]) {
    const forms = [...new Set(literals.map((l) => l.toLowerCase()))].sort((a, b) => b.length - a.length);
    this.proposer = new RegExp(forms.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gi');
    for (const literal of literals) {
      const first = literal.charCodeAt(0);
      this.byFirst.set(first, [...(this.byFirst.get(first) ?? []), literal]);
    }
  }

  /** The first match starting at `from` or later, or null. */
  next(text: string, from: number): CueMatch | null {
    const proposer = this.proposer;
    proposer.lastIndex = from;
    for (let m = proposer.exec(text); m !== null; m = proposer.exec(text)) {
      const at = m.index;
      for (const literal of this.byFirst.get(text.charCodeAt(at)) ?? []) {
        if (text.startsWith(literal, at) && isCueEnd(text.charCodeAt(at + literal.length))) return { index: at, literal };
      }
      // Not a cue as written here: the regex would go on from the next position.
      proposer.lastIndex = at + 1;
    }
    return null;
  }
}

/** The regex's `(?=[. \t\n])`. */
function isCueEnd(c: number): boolean {
  return c === 46 || c === 32 || c === 9 || c === 10;
}
