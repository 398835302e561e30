import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';

/** A path inside a YAML file: map keys and sequence indexes (`['roles', 'ai_analyst', 'permissions', 1]`). */
export type YamlPath = readonly (string | number)[];

/** Something wrong with a policy test file, said where an author can find it. */
export interface PolicyFileProblem {
  file: string;
  /** 1-based line, when the place is known. */
  line?: number;
  /** The field, as a path inside the file (`tests[3].principal.roles[0]`). */
  field?: string;
  message: string;
}

/** `file:line: field: message`, the shape editors and CI logs link. */
export function formatProblem(problem: PolicyFileProblem): string {
  const where = problem.file === '' ? [] : [problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`];
  return [...where, ...(problem.field === undefined ? [] : [problem.field]), problem.message].join(': ');
}

/** `roles.ai_analyst.permissions[1]`. */
export function displayPath(path: YamlPath): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** The JSON (proto3 JSON) spelling `modelAccess` of a field is accepted as `model_access`. */
export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

// Field names the YAML format spells differently from the request's, for locating violations.
const FIELD_ALIASES: Readonly<Record<string, string>> = { expect: 'expected_effect' };

/**
 * One parsed YAML file: its plain value, the problems found so far, and the source positions
 * of its nodes, so that every problem, including violations the engine reports against the
 * request built from the file, can name the line.
 */
export class YamlSource {
  readonly value: unknown;
  readonly problems: PolicyFileProblem[] = [];
  private readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();

  constructor(readonly file: string, text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true });
    for (const error of this.doc.errors) {
      // The library appends the position and a source excerpt to the message; the line is
      // reported separately.
      const message = error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
      this.problems.push({ file, line: error.linePos?.[0].line, message });
    }
    this.value = this.problems.length === 0 ? this.doc.toJS({ maxAliasCount: 100 }) : undefined;
  }

  problem(path: YamlPath, message: string): void {
    this.problems.push({ file: this.file, line: this.lineOf(path), field: path.length === 0 ? undefined : displayPath(path), message });
  }

  /** The line of the node at `path` (for a map entry, its key's line), or of its nearest ancestor that exists. */
  lineOf(path: YamlPath): number | undefined {
    for (let n = path.length; n > 0; n -= 1) {
      const line = this.entryLine(path.slice(0, n));
      if (line !== undefined) return line;
    }
    return this.lineAt(this.doc.contents ?? undefined);
  }

  /**
   * Resolves a field path in the request's spelling (`.permissions[1]`,
   * `.condition.user.clearance_level.$lt`: keys may contain dots) below the node at `base`,
   * as far as the file has it. Returns the field in the file's spelling and its line.
   */
  locate(base: YamlPath, remainder: string): { field: string; line: number | undefined; resolved: YamlPath } {
    const path: (string | number)[] = [...base];
    let node = this.doc.getIn(base, true) as unknown;
    let rest = remainder;
    while (rest !== '') {
      const index = /^\[(\d+)\]/.exec(rest);
      if (index !== null && isSeq(node)) {
        const i = Number(index[1]);
        if (i >= node.items.length) break;
        node = node.items[i];
        path.push(i);
        rest = rest.slice(index[0].length);
        continue;
      }
      if (!rest.startsWith('.') || !isMap(node)) break;
      const wanted = rest.slice(1);
      let best: { key: string; spelled: string; value: unknown } | undefined;
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const spelled = String(pair.key.value);
        const key = FIELD_ALIASES[spelled] ?? snakeCase(spelled);
        const fits = wanted === key || wanted.startsWith(`${key}.`) || wanted.startsWith(`${key}[`);
        if (fits && (best === undefined || key.length > best.key.length)) best = { key, spelled, value: pair.value };
      }
      if (best === undefined) break;
      node = best.value;
      path.push(best.spelled);
      rest = wanted.slice(best.key.length);
    }
    return { field: displayPath(path) + rest, line: this.lineOf(path), resolved: path };
  }

  private entryLine(path: YamlPath): number | undefined {
    const parent = this.doc.getIn(path.slice(0, -1), true) as unknown;
    const last = path[path.length - 1];
    if (isSeq(parent) && typeof last === 'number') return this.lineAt(parent.items[last] as Node | undefined);
    if (!isMap(parent)) return undefined;
    const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last));
    return this.lineAt(pair?.key as Node | undefined);
  }

  private lineAt(node: Node | undefined): number | undefined {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : this.lines.linePos(offset).line;
  }
}
