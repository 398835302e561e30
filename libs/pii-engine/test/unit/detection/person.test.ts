// Person names by rules: what must be found, the capitalised words that must not be, and the
// consistent placeholders an LLM round trip relies on.
import { detect, EMPTY_POLICY, type Finding } from '../../../src/detection/index.js';
import { maskValue, redactor, replaceSpans } from '../../../src/transformation/index.js';

function persons(text: string): string[] {
  return detect(text, EMPTY_POLICY, { types: ['person'] }).map((f: Finding) => text.slice(f.start, f.end));
}

describe('person', () => {
  test.each([
    ['Please ask Mr. John Smith about it', 'John Smith'],
    ['Dr. Okonkwo will see you now', 'Okonkwo'],
    ['Hello, my name is Xavier Quintero.', 'Xavier Quintero'],
    ['Regards,\nMaria', 'Maria'],
    ['Jane Doe approved the change', 'Jane Doe'],
    ['Contact Jane Doe for access', 'Jane Doe'],
    ['Owner: Mekhi Rohan <mekhi.rohan@example.com>', 'Mekhi Rohan'],
    ['John F. Kennedy spoke', 'John F. Kennedy'],
    ["Signed, Patrick O'Brien", "Patrick O'Brien"],
  ])('finds the name in %j', (text, name) => {
    expect(persons(text)).toEqual([name]);
  });

  test.each([
    'We flew to San Francisco on Monday.',
    'May Sales Review moved to Friday.',
    'Will you send the report?',
    'Mark the ticket as done.',
    'Ship to 6169 Seth Shore, Ginoborough.',
    'Upgrade to Apple Watch today.',
    'Introducing the Svalbard & Jan Mayen Islands-inspired chair.',
    'The Ergonomic Granite Chair ships on June 5.',
    'Happy New Year from the Sales Team.',
    'Meet me at Victoria Station.',
  ])('nothing in %j', (text) => {
    expect(persons(text)).toEqual([]);
  });

  test('found by default, with the detector that raised it', () => {
    expect(detect('Maria Lopez approved it', EMPTY_POLICY)).toMatchObject([{ type: 'person', detector: 'first_name_list', score: 0.7 }]);
    expect(detect('Signed, Maria Lopez', EMPTY_POLICY)).toMatchObject([{ type: 'person', detector: 'cue+context' }]);
    const [byEmail] = detect('Reviewed by Jane Doe <jane.doe@example.com>', EMPTY_POLICY, { types: ['person'] });
    expect(byEmail!.detector).toMatch(/\+email/);
  });

  test('numbered placeholders stay consistent within a request', () => {
    const text = 'Jane Doe met Carlos Mendez; later Jane Doe wrote to Dr. Mendez.';
    const out = replaceSpans(text, detect(text, EMPTY_POLICY), redactor('instance')).text;
    expect(out).toBe('<PERSON_1> met <PERSON_2>; later <PERSON_1> wrote to Dr. <PERSON_3>.');
  });

  test('masked to initials', () => {
    expect(maskValue('person', "Jane O'Brien-Smith")).toBe('J*** O************');
    expect(maskValue('person', 'John F. Kennedy')).toBe('J*** F. K******');
  });

  test('linear on long adversarial runs of capitalised words', () => {
    // Bounded patterns: a million characters of "Aa Aa Aa ..." and of names are scanned once.
    const text = 'Aa '.repeat(350_000);
    expect(persons(text)).toEqual([]);
    expect(persons('Mary Jones '.repeat(100_000)).length).toBeGreaterThan(0);
  });
});
