import { randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { faker } from '@faker-js/faker';

// A labelled synthetic corpus from a seeded generator: documents of ordinary sentences with PII
// placed in them (labels are exact spans) and hard negatives that look like PII but are not:
// dates, order and tracking numbers, UUIDs, versions, ISBNs, prices, invalid SSNs/cards/IPs.

export interface Label {
  type: string;
  start: number;
  end: number;
}

export interface LabelledDocument {
  text: string;
  labels: Label[];
}

export const EVAL_TYPES = ['email', 'phone', 'ssn', 'credit_card', 'ip_address', 'api_key', 'iban', 'url_with_credentials', 'date_of_birth'] as const;
/** Scored apart: `person` is opt-in (rule-based, below the precision bar of the other types). */
export const PERSON_TYPE = 'person';

export interface CorpusOptions {
  /**
   * Person names and their hard negatives (places, products, sentence starts, months). Default
   * true; false gives exactly the documents generated before `person` existed (the speed
   * benchmark keeps its texts).
   */
  persons?: boolean;
}

type Piece = string | { type: string; value: string };

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const pick = <T>(items: readonly T[]): T => items[faker.number.int(items.length - 1)]!;
const chars = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[faker.number.int(alphabet.length - 1)]).join('');

function base62(value: number, width: number): string {
  let out = '';
  let rest = value;
  do {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  return out.padStart(width, '0');
}

function luhnComplete(prefix: string, length: number): string {
  let digits = prefix + chars('0123456789', length - prefix.length - 1);
  for (let check = 0; check < 10; check++) {
    const candidate = digits + check;
    let sum = 0;
    for (let i = 0; i < candidate.length; i++) {
      let d = Number(candidate[candidate.length - 1 - i]);
      if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    if (sum % 10 === 0) return candidate;
  }
  return digits;
}

function validSsn(): string {
  let area: number;
  do area = faker.number.int({ min: 1, max: 899 }); while (area === 666);
  return `${String(area).padStart(3, '0')}-${String(faker.number.int({ min: 1, max: 99 })).padStart(2, '0')}-${String(faker.number.int({ min: 1, max: 9999 })).padStart(4, '0')}`;
}

function group(digits: string, sizes: number[], sep: string): string {
  const parts: string[] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(digits.slice(at, at + size));
    at += size;
  }
  return parts.join(sep);
}

const generators: Record<(typeof EVAL_TYPES)[number], () => Piece[]> = {
  email: () => [pick(['Write to ', 'Contact: ', 'cc ', 'Reply to ']), { type: 'email', value: faker.internet.email() }],
  phone: () => {
    const us = () => `${faker.number.int({ min: 2, max: 9 })}${chars('0123456789', 2)}`;
    const area = pick(['415', '212', '312', '617', '206', '303', '512', us()]);
    const exchange = `${faker.number.int({ min: 2, max: 9 })}${chars('0123456789', 2)}`;
    const line = chars('0123456789', 4);
    const value = pick([
      `${area}-${exchange}-${line}`, `(${area}) ${exchange}-${line}`, `+1 ${area} ${exchange} ${line}`, `${area}.${exchange}.${line}`,
      `+44 20 7${chars('0123456789', 3)} ${chars('0123456789', 4)}`, `+49 30 ${chars('0123456789', 8)}`, `+33 1 ${chars('0123456789', 2)} ${chars('0123456789', 2)} ${chars('0123456789', 2)} ${chars('0123456789', 2)}`,
    ]);
    return [pick(['Call ', 'Phone: ', 'reach me at ', 'mobile ', 'or ']), { type: 'phone', value }];
  },
  ssn: () => {
    const ssn = validSsn();
    return pick([[pick(['SSN ', 'Social security number: ', 'ssn: ']), { type: 'ssn', value: ssn }], ['ID on file ', { type: 'ssn', value: ssn }], ['SSN: ', { type: 'ssn', value: ssn.replace(/-/g, '') }]]);
  },
  credit_card: () => {
    const [prefix, length, sizes] = pick<[string, number, number[]]>([['4', 16, [4, 4, 4, 4]], ['51', 16, [4, 4, 4, 4]], ['2221', 16, [4, 4, 4, 4]], ['37', 15, [4, 6, 5]], ['6011', 16, [4, 4, 4, 4]], ['3528', 16, [4, 4, 4, 4]]]);
    const digits = luhnComplete(prefix, length);
    return [pick(['Card: ', 'paid with ', 'charge ', '']), { type: 'credit_card', value: pick([digits, group(digits, sizes, ' '), group(digits, sizes, '-')]) }];
  },
  ip_address: () => [pick(['from ', 'server at ', 'IP ', 'host ']), { type: 'ip_address', value: faker.datatype.boolean(0.7) ? faker.internet.ipv4() : faker.internet.ipv6() }],
  api_key: () => {
    const random30 = chars(BASE62, 30);
    const aegisRandom = chars(BASE62, 32);
    const aegisLabels = `genxai_${pick(['live', 'test'])}_`;
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ sub: faker.string.uuid(), iat: faker.number.int(2e9) })).toString('base64url');
    const value = pick([
      `AKIA${chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`,
      `ghp_${random30}${base62(crc32(random30), 6)}`,
      `sk_live_${chars(BASE62, 24)}`,
      `xoxb-${chars('0123456789', 12)}-${chars('0123456789', 13)}-${chars(BASE62, 24)}`,
      `sk-proj-${chars(BASE62, 20)}T3BlbkFJ${chars(BASE62, 20)}`,
      `AIza${chars(`${BASE62}_-`, 35)}`,
      `${header}.${body}.${chars(`${BASE62}_-`, 43)}`,
      `${aegisLabels}${aegisRandom}${base62(crc32(aegisLabels + aegisRandom), 6)}`,
      `${chars(BASE62, 32)}`,
    ]);
    const generic = !/^(AKIA|ghp_|sk_|xox|sk-|AIza|eyJ|genxai_)/.test(value);
    return [generic ? pick(['api_key=', 'secret token: ', 'X-API-Key: ']) : pick(['token ', 'key: ', 'using ', '']), { type: 'api_key', value }];
  },
  iban: () => {
    const iban = faker.finance.iban();
    return ['IBAN ', { type: 'iban', value: faker.datatype.boolean() ? iban : iban.replace(/(.{4})/g, '$1 ').trim() }];
  },
  url_with_credentials: () => [pick(['connect to ', 'DSN ', 'clone ']), { type: 'url_with_credentials', value: `${pick(['postgres', 'mysql', 'https', 'redis', 'amqp'])}://${faker.internet.username().replace(/[^A-Za-z0-9._-]/g, '')}:${faker.internet.password({ length: 12 }).replace(/[^A-Za-z0-9]/g, 'x')}@${faker.internet.domainName()}:${faker.internet.port()}/${faker.word.noun()}` }],
  date_of_birth: () => {
    const d = faker.date.birthdate();
    const y = d.getUTCFullYear(), m = d.getUTCMonth() + 1, day = d.getUTCDate();
    const month = d.toLocaleString('en-US', { month: 'long', timeZone: 'UTC' });
    const value = pick([`${y}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`, `${m}/${day}/${y}`, `${month} ${day}, ${y}`, `${day} ${month} ${y}`]);
    return [pick(['DOB: ', 'Date of birth: ', 'born on ', 'birthday ']), { type: 'date_of_birth', value }];
  },
};

function personPieces(): Piece[] {
  const first = faker.person.firstName();
  const last = faker.person.lastName();
  const full = `${first} ${last}`;
  return pick<() => Piece[]>([
    () => [pick(['Mr. ', 'Ms. ', 'Dr. ', 'Mrs. ', 'Prof. ']), { type: 'person', value: pick([full, last]) }],
    () => [pick(['My name is ', 'Signed, ', 'Regards, ', 'Dear ', 'Please contact ', 'Ask for ', 'Thanks, ']), { type: 'person', value: pick([full, first]) }],
    () => [{ type: 'person', value: full }, pick([' approved the change', ' will join the call', ' signed the form', ' is on leave until Monday'])],
    () => [pick(['Assigned to ', 'Owner: ', 'Reviewed by ']), { type: 'person', value: full }, ' <', { type: 'email', value: `${first}.${last}@example.com`.toLowerCase().replace(/[^a-z0-9.@]/g, '') }, '>'],
    () => [pick(['Meeting with ', 'Lunch with ', 'Call from ']), { type: 'person', value: full }, pick([' on Friday', ' tomorrow', ''])],
  ])();
}

const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** Capitalised words that are not people: places, products, organisations, months, sentence starts. */
function personNegative(): string {
  return pick([
    () => `We opened an office in ${faker.location.city()} last ${pick(WEEKDAYS)}.`,
    () => `Flights to ${pick(['San Francisco', 'New York', 'Los Angeles', 'Salt Lake City', 'Charlotte', 'Austin', 'Victoria Station', 'Virginia Beach', 'Santa Clara', 'Mount Vernon', 'Lake Tahoe', 'Sydney', 'Florence', 'St. Louis'])} were delayed.`,
    () => `The ${faker.commerce.productName()} ships on ${pick(MONTH_NAMES)} ${faker.number.int({ min: 1, max: 28 })}.`,
    () => `Upgrade to ${pick(['Microsoft Teams', 'Google Chrome', 'Apple Watch', 'Jordan Air Max', 'Amazon Prime', 'Visual Studio Code', 'Adobe Photoshop', 'Tesla Model Y', 'Ford Mustang', 'Dell Latitude', 'Dodge Charger', 'Jeep Cherokee'])} today.`,
    () => `${pick(['Will', 'Mark', 'Grant', 'Bill', 'Chase', 'Hope', 'May', 'June', 'Carol', 'Frank'])} ${pick(['the ticket as done', 'access to the repo', 'the client on Friday', 'you send the report?', 'the lead'])}.`,
    () => `${pick(MONTH_NAMES)} Sales Review moved to ${pick(WEEKDAYS)}.`,
    () => `Ship to ${faker.location.streetAddress()}, ${faker.location.city()}.`,
    () => `Quote from ${faker.company.name()} attached.`,
    () => `Welcome to ${pick(['General Electric', 'Morgan Stanley', 'Wells Fargo', 'Johnson Controls', 'Lincoln Financial', 'Charles Schwab', 'Warner Bros', 'Goldman Sachs', 'Jackson Hewitt'])} onboarding.`,
    () => `${pick(['Happy', 'Merry', 'Good'])} ${pick(['Christmas', 'New Year', 'Thanksgiving', 'Easter'])} from the ${faker.commerce.department()} Team.`,
  ])();
}

/** Things that look like PII and are not: every finding on them is a false positive. */
function hardNegative(): string {
  return pick([
    () => `Meeting on ${faker.date.recent().toISOString().slice(0, 10)}.`,
    () => `Logged at ${faker.date.recent().toISOString()}.`,
    () => `Order #${faker.number.int({ min: 1e6, max: 1e10 - 1 })} shipped.`,
    () => `Order ${faker.string.alphanumeric({ length: 3, casing: 'upper' })}-${faker.number.int({ min: 100000, max: 999999 })} is ready.`,
    () => `Request id ${faker.string.uuid()}.`,
    () => `Upgrade to v${faker.system.semver()} now.`,
    () => `Firmware version ${faker.number.int(9)}.${faker.number.int(20)}.${faker.number.int(20)}.${faker.number.int(200)}.`,
    () => `ISBN ${pick(['978-0-306-40615-7', '978-3-16-148410-0', '9780262033848', '978-1-4028-9462-6'])}.`,
    () => `Total ${faker.commerce.price({ symbol: '$' })} incl. tax, or $${faker.number.int({ min: 1000, max: 9999 })}.99 for two.`,
    () => `Tracking 1Z${faker.string.alphanumeric({ length: 16, casing: 'upper' })}.`,
    () => `USPS tracking ${chars('0123456789', 22)}.`,
    () => `FedEx ${chars('0123456789', 12)}.`,
    () => `Invalid SSN ${pick(['000', '666', '9' + chars('0123456789', 2)])}-${chars('0123456789', 2)}-${chars('0123456789', 4)} was rejected.`,
    () => `Test card 4111 1111 1111 111${faker.number.int({ min: 2, max: 9 })} failed.`,
    () => `Bogus address ${faker.number.int({ min: 256, max: 999 })}.${faker.number.int(255)}.${faker.number.int(255)}.${faker.number.int(255)}.`,
    () => `Commit ${faker.git.commitSha()}.`,
    () => `Checksum ${faker.string.hexadecimal({ length: 64, prefix: '' })}.`,
    () => `Part SKU-${faker.number.int({ min: 10000, max: 99999 })}-XL in stock.`,
    () => `ZIP ${faker.location.zipCode('#####-####')}.`,
    () => `Ref ${faker.string.alphanumeric(24)} noted.`,
    () => `Room ${faker.number.int({ min: 100, max: 999 })}, ext. ${faker.number.int({ min: 1000, max: 9999 })}.`,
    () => `Coordinates ${faker.location.latitude()}, ${faker.location.longitude()}.`,
    () => `Time ${faker.number.int(23)}:${String(faker.number.int(59)).padStart(2, '0')}:${String(faker.number.int(59)).padStart(2, '0')}.`,
    () => `The MAC is ${faker.internet.mac()}.`,
    () => `Invoice ${faker.number.int({ min: 100000000, max: 999999999 })} due.`,
  ])();
}

function sentence(): string {
  return pick([() => faker.hacker.phrase(), () => faker.company.catchPhrase() + '.', () => faker.commerce.productDescription()])();
}

// faker draws dates (birth dates, "recent" dates) relative to this, not to the clock, so a seed
// gives the same corpus on any day.
const REFERENCE_DATE = new Date('2026-01-01T00:00:00Z');

/** `documents` documents, the same for the same seed and options. */
export function generateCorpus(documents: number, seed = 42, options: CorpusOptions = {}): LabelledDocument[] {
  faker.seed(seed);
  faker.setDefaultRefDate(REFERENCE_DATE);
  const persons = options.persons ?? true;
  // Without persons the draws are exactly those made before person names existed.
  const types: readonly string[] = persons ? [...EVAL_TYPES, PERSON_TYPE] : EVAL_TYPES;
  const out: LabelledDocument[] = [];
  for (let d = 0; d < documents; d++) {
    const pieces: Piece[] = [];
    const parts = faker.number.int({ min: 2, max: 6 });
    for (let p = 0; p < parts; p++) {
      const roll = faker.number.float();
      if (roll < 0.45) {
        const type = pick(types);
        pieces.push(...(type === PERSON_TYPE ? personPieces() : generators[type as (typeof EVAL_TYPES)[number]]()), '. ');
      } else if (roll < 0.75) pieces.push(persons && faker.datatype.boolean(0.3) ? personNegative() : hardNegative(), ' ');
      else pieces.push(sentence(), ' ');
    }
    let text = '';
    const labels: Label[] = [];
    for (const piece of pieces) {
      if (typeof piece === 'string') text += piece;
      else {
        labels.push({ type: piece.type, start: text.length, end: text.length + piece.value.length });
        text += piece.value;
      }
    }
    out.push({ text, labels });
  }
  return out;
}

export { randomInt };
