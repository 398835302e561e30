import { attributePathProblem, compileAttributePath, type AttributeGetter, type EvalEnv } from './attribute-path.js';
import { compareOrdered, isScalar, matchesEqual, matchesIn, renderValue, type Scalar } from './comparison.js';
import type { FieldViolation, JsonValue } from './types.js';

// The Kaizen condition language: an object of attribute path -> expected value or operator
// object, all of which must hold, plus $and / $or / $not over such objects. Parsing validates
// and compiles in one pass, so what validation accepts is exactly what the engine runs.

/** Answers "is this attribute path sensitive?" when rendering explanations. */
export type SensitivityCheck = (path: string) => boolean;

/** A compiled piece of a condition. */
export interface Clause {
  test(env: EvalEnv): boolean;
  /** One phrase saying what was checked and what was found, e.g. "user.level internal < confidential". */
  describe(env: EvalEnv, sensitive: SensitivityCheck): string;
}

export const FIELD_OPERATORS: readonly string[] = ['$eq', '$ne', '$lt', '$lte', '$gt', '$gte', '$in', '$nin', '$exists', '$not'];
export const LOGICAL_OPERATORS: readonly string[] = ['$and', '$or', '$not'];

type Test = (actual: JsonValue | undefined) => boolean;
interface FieldTest {
  test: Test;
  /** Ordered operators show the actual value in between: "path actual < expected". */
  ordered: boolean;
  symbol: string;
  expected: string;
}

const ALWAYS: Clause = { test: () => true, describe: () => 'always' };
const ORDERED: Record<string, [string, (c: number) => boolean]> = {
  $lt: ['<', (c) => c < 0],
  $lte: ['<=', (c) => c <= 0],
  $gt: ['>', (c) => c > 0],
  $gte: ['>=', (c) => c >= 0],
};

function isPlainObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Parser {
  readonly violations: FieldViolation[] = [];

  private fail(field: string, description: string): undefined {
    this.violations.push({ field, description });
    return undefined;
  }

  /** An object whose keys all hold. */
  conjunction(value: unknown, field: string): Clause | undefined {
    if (!isPlainObject(value)) return this.fail(field, 'a condition must be an object');
    const clauses: Clause[] = [];
    for (const [key, inner] of Object.entries(value)) {
      const clause = key.startsWith('$') ? this.logical(key, inner, `${field}.${key}`) : this.attribute(key, inner, `${field}.${key}`);
      if (clause !== undefined) clauses.push(clause);
    }
    return allOf(clauses);
  }

  private logical(operator: string, value: unknown, field: string): Clause | undefined {
    if (operator === '$not') {
      const inner = this.conjunction(value, field);
      return inner && negate(inner);
    }
    if (operator !== '$and' && operator !== '$or') {
      return this.fail(field, `unknown operator ${operator} (logical operators: ${LOGICAL_OPERATORS.join(', ')})`);
    }
    if (!Array.isArray(value) || value.length === 0) return this.fail(field, `${operator} takes a non-empty list of conditions`);
    const parts = value.map((item, i) => this.conjunction(item, `${field}[${i}]`));
    const clauses = parts.filter((c): c is Clause => c !== undefined);
    if (clauses.length !== parts.length) return undefined;
    return operator === '$and' ? allOf(clauses, 'all of') : anyOf(clauses);
  }

  private attribute(path: string, value: unknown, field: string): Clause | undefined {
    const problem = attributePathProblem(path);
    if (problem !== undefined) return this.fail(field, problem);
    const get = compileAttributePath(path);
    if (isScalar(value)) return fieldClause(path, get, [equality(value)]);
    if (Array.isArray(value)) return this.fail(field, 'a list is not a value: use {"$in": [...]} to match one of several');
    const tests = this.operators(value, field);
    return tests && fieldClause(path, get, tests);
  }

  private operators(value: unknown, field: string): FieldTest[] | undefined {
    if (!isPlainObject(value) || Object.keys(value).length === 0) {
      return this.fail(field, 'expected a value or a non-empty operator object such as {"$lt": "confidential"}');
    }
    const tests: FieldTest[] = [];
    let ok = true;
    for (const [operator, operand] of Object.entries(value)) {
      const test = this.operator(operator, operand, `${field}.${operator}`);
      if (test === undefined) ok = false;
      else tests.push(test);
    }
    return ok ? tests : undefined;
  }

  private operator(operator: string, operand: unknown, field: string): FieldTest | undefined {
    const ordered = ORDERED[operator];
    if (ordered !== undefined) {
      const [symbol, holds] = ordered;
      if (typeof operand !== 'string' && typeof operand !== 'number') return this.fail(field, `${operator} compares with a string or a number`);
      return {
        test: (actual) => {
          const c = compareOrdered(actual, operand);
          return c !== undefined && holds(c);
        },
        ordered: true,
        symbol,
        expected: renderValue(operand),
      };
    }
    switch (operator) {
      case '$eq':
      case '$ne': {
        if (!isScalar(operand)) return this.fail(field, `${operator} takes a string, number, boolean or null`);
        const eq = equality(operand);
        return operator === '$eq' ? eq : { ...eq, test: (a) => !eq.test(a), symbol: '!=' };
      }
      case '$in':
      case '$nin': {
        if (!Array.isArray(operand) || !operand.every(isScalar)) return this.fail(field, `${operator} takes a list of strings, numbers, booleans or nulls`);
        const set = new Set<Scalar>(operand);
        const expected = renderValue(operand as JsonValue[]);
        return operator === '$in'
          ? { test: (a) => matchesIn(a, set), ordered: false, symbol: 'in', expected }
          : { test: (a) => !matchesIn(a, set), ordered: false, symbol: 'not in', expected };
      }
      case '$exists':
        if (typeof operand !== 'boolean') return this.fail(field, '$exists takes true or false');
        return { test: (a) => (a !== undefined) === operand, ordered: false, symbol: operand ? 'exists' : 'is missing', expected: '' };
      case '$not': {
        const inner = this.operators(operand, field);
        if (inner === undefined) return undefined;
        return {
          test: (a) => !inner.every((t) => t.test(a)),
          ordered: false,
          symbol: 'not',
          expected: `(${inner.map((t) => `${t.symbol} ${t.expected}`.trim()).join(' and ')})`,
        };
      }
      default:
        return this.fail(field, `unknown operator ${operator} (field operators: ${FIELD_OPERATORS.join(', ')})`);
    }
  }
}

function equality(expected: Scalar): FieldTest {
  return { test: (a) => matchesEqual(a, expected), ordered: false, symbol: '=', expected: renderValue(expected) };
}

function fieldClause(path: string, get: AttributeGetter, tests: FieldTest[]): Clause {
  const single = tests.length === 1 ? (tests[0] as FieldTest).test : undefined;
  return {
    test: single !== undefined ? (env) => single(get(env)) : (env) => {
      const actual = get(env);
      for (const t of tests) if (!t.test(actual)) return false;
      return true;
    },
    describe(env, sensitive) {
      const actual = sensitive(path) ? '***' : renderValue(get(env));
      return tests
        .map((t) => {
          if (t.ordered) return `${path} ${actual} ${t.symbol} ${t.expected}`;
          const phrase = `${path} ${t.symbol} ${t.expected}`.trimEnd();
          return t.test(get(env)) ? phrase : `${phrase} (is ${actual})`;
        })
        .join(' and ');
    },
  };
}

function allOf(clauses: Clause[], label?: string): Clause {
  if (clauses.length === 0) return ALWAYS;
  if (clauses.length === 1 && label === undefined) return clauses[0] as Clause;
  return {
    test(env) {
      for (const c of clauses) if (!c.test(env)) return false;
      return true;
    },
    describe: (env, sensitive) => {
      const text = clauses.map((c) => c.describe(env, sensitive)).join(' and ');
      return label === undefined ? text : `${label} (${text})`;
    },
  };
}

function anyOf(clauses: Clause[]): Clause {
  return {
    test(env) {
      for (const c of clauses) if (c.test(env)) return true;
      return false;
    },
    describe: (env, sensitive) => `any of (${clauses.map((c) => c.describe(env, sensitive)).join('; ')})`,
  };
}

function negate(inner: Clause): Clause {
  return { test: (env) => !inner.test(env), describe: (env, sensitive) => `not (${inner.describe(env, sensitive)})` };
}

/**
 * Validates and compiles a condition found at `field` (e.g. "policy.condition"). An absent
 * or empty condition always holds. The clause is undefined whenever there are violations.
 */
export function parseCondition(condition: unknown, field: string): { clause: Clause | undefined; violations: FieldViolation[] } {
  if (condition === undefined || condition === null) return { clause: ALWAYS, violations: [] };
  const parser = new Parser();
  const clause = parser.conjunction(condition, field);
  return parser.violations.length === 0 ? { clause, violations: [] } : { clause: undefined, violations: parser.violations };
}
