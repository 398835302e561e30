// A consumer group's committed positions: dataDir/events/_offsets/<group>.json maps
// topic -> partition -> the next offset to deliver. Replaced atomically on every commit.

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

type OffsetMap = Record<string, Record<string, number>>;

export class CommittedOffsets {
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly offsets: OffsetMap,
  ) {}

  static async load(offsetsDir: string, groupId: string): Promise<CommittedOffsets> {
    if (groupId.length === 0) throw new Error('a consumer group id must not be empty');
    await mkdir(offsetsDir, { recursive: true });
    // encodeURIComponent keeps any group id a single, safe file name.
    const path = join(offsetsDir, `${encodeURIComponent(groupId)}.json`);
    let offsets: OffsetMap = {};
    try {
      offsets = JSON.parse(await readFile(path, 'utf8')) as OffsetMap;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new CommittedOffsets(path, offsets);
  }

  get(topic: string, partition: number): number | undefined {
    return this.offsets[topic]?.[String(partition)];
  }

  /** Records that everything before `nextOffset` was handled; resolves once that is on disk. */
  commit(topic: string, partition: number, nextOffset: number): Promise<void> {
    (this.offsets[topic] ??= {})[String(partition)] = nextOffset;
    // Each write stores the whole map as it is when the write starts, so it also carries any
    // commit made while the previous write was running.
    const write = this.writing.then(() => writeFileAtomic(this.path, JSON.stringify(this.offsets)));
    this.writing = write.catch(() => undefined);
    return write;
  }

  async close(): Promise<void> {
    await this.writing;
  }
}
