import { redactUrl } from '../../../src/logging/index.js';

describe('redactUrl', () => {
  test.each([
    ['postgres://u:pw@h/db', 'postgres://u:***@h/db'],
    ['postgresql://aegis:p%40ss@db.internal:5432/aegis?sslmode=require', 'postgresql://aegis:***@db.internal:5432/aegis?sslmode=require'],
    ['redis://:hunter2@127.0.0.1:6379/0', 'redis://:***@127.0.0.1:6379/0'],
    ['redis+cluster://:pw@h1:7000,h2:7001', 'redis+cluster://:***@h1:7000,h2:7001'],
    // a raw "/" inside a password must not stop the masking
    ['postgres://u:pa/ss@h/db', 'postgres://u:***@h/db'],
    ['postgres://h/db?user=u&password=hunter2&sslmode=require', 'postgres://h/db?user=u&password=***&sslmode=require'],
  ])('%s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  test.each([
    'postgres://u@h/db', // user without password
    'redis://127.0.0.1:6379',
    'http://collector:4318/v1/traces',
    'not a url',
  ])('leaves %s unchanged', (input) => {
    expect(redactUrl(input)).toBe(input);
  });
});
