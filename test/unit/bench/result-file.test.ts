import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineInfo, writeResult } from '../../../bench/lib/result-file.js';

describe('writeResult', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aegis-bench-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes { name, machine, result } to <dir>/<name>.json', () => {
    const path = writeResult('runtime-overhead', { comparisons: [{ ratio: 0.97 }] }, { dir });
    expect(path).toBe(join(dir, 'runtime-overhead.json'));
    const written = JSON.parse(readFileSync(path, 'utf8'));
    expect(Object.keys(written)).toEqual(['name', 'machine', 'result']);
    expect(written.name).toBe('runtime-overhead');
    expect(written.result).toEqual({ comparisons: [{ ratio: 0.97 }] });
    expect(written.machine).toEqual({
      cpus: expect.any(Number),
      cpuModel: expect.any(String),
      memoryGiB: expect.any(Number),
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      gitCommit: expect.stringMatching(/^([0-9a-f]{40}|unknown)$/),
      gitDirty: expect.anything(),
    });
    expect(written.machine.cpus).toBeGreaterThan(0);
  });

  it('replaces the previous result of the same bench', () => {
    writeResult('same-bench', { run: 1 }, { dir });
    const path = writeResult('same-bench', { run: 2 }, { dir });
    expect(JSON.parse(readFileSync(path, 'utf8')).result).toEqual({ run: 2 });
  });

  it('refuses a name that could escape the results folder', () => {
    expect(() => writeResult('../outside', {}, { dir })).toThrow(/kebab-case/);
    expect(() => writeResult('Runtime Overhead', {}, { dir })).toThrow(/kebab-case/);
  });

  it('dates the machine info as asked', () => {
    expect(machineInfo(new Date('2025-01-02T03:04:05.000Z')).date).toBe('2025-01-02T03:04:05.000Z');
  });
});

describe('writeResult number format', () => {
  it('keeps six significant digits of fractions and integers as they are', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aegis-bench-'));
    try {
      const path = writeResult('rounding', { ratio: 0.95231449871, us: 2002.30194828, calls: 17983 }, { dir });
      expect(JSON.parse(readFileSync(path, 'utf8')).result).toEqual({ ratio: 0.952314, us: 2002.3, calls: 17983 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
