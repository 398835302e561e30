// The embedded log's topics on disk: dataDir/events/<topic>/topic.json holds the partition
// count, and <topic>/<partition>.log holds each partition's records.

import { constants } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { TopicSpec } from '../ports.js';
import { syncDirectory, writeFileAtomic } from './atomic-file.js';
import { PartitionLog } from './partition-log.js';

export const OFFSETS_DIR = '_offsets';

// Kafka's rule for topic names; it also keeps names safe as directory names.
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

export interface EmbeddedTopic {
  name: string;
  partitions: readonly PartitionLog[];
}

interface TopicFile {
  partitions: number;
  retentionMs?: number;
  cleanupPolicy?: 'delete' | 'compact';
}

export class UnknownTopicError extends Error {
  constructor(topic: string) {
    super(`unknown topic "${topic}": create it with ensureTopics first`);
    this.name = 'UnknownTopicError';
  }
}

export class LogDirectory {
  private readonly open = new Map<string, Promise<EmbeddedTopic>>();

  constructor(
    private readonly root: string,
    private readonly logger: Logger,
  ) {}

  async ensure(spec: TopicSpec): Promise<void> {
    checkTopicName(spec.topic);
    if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
      throw new RangeError(`topic "${spec.topic}" needs a positive whole number of partitions`);
    }
    const dir = join(this.root, spec.topic);
    if (await this.readTopicFile(spec.topic)) return; // as on Kafka, an existing topic is left alone
    await mkdir(dir, { recursive: true });
    await syncDirectory(this.root);
    // The partition files first: once topic.json exists, so does every file it promises.
    for (let p = 0; p < spec.partitions; p++) {
      await (await open(join(dir, `${p}.log`), constants.O_RDWR | constants.O_CREAT, 0o600)).close();
    }
    const file: TopicFile = {
      partitions: spec.partitions,
      ...(spec.retentionMs === undefined ? {} : { retentionMs: spec.retentionMs }),
      ...(spec.cleanupPolicy === undefined ? {} : { cleanupPolicy: spec.cleanupPolicy }),
    };
    await writeFileAtomic(join(dir, 'topic.json'), JSON.stringify(file));
  }

  /** The topic with its partition logs open (opened and recovered once, on first use). */
  topic(name: string): Promise<EmbeddedTopic> {
    let opening = this.open.get(name);
    if (!opening) {
      opening = this.openTopic(name);
      this.open.set(name, opening);
      opening.catch(() => this.open.delete(name));
    }
    return opening;
  }

  async close(): Promise<void> {
    const topics = await Promise.allSettled(this.open.values());
    this.open.clear();
    await Promise.all(
      topics.flatMap((t) => (t.status === 'fulfilled' ? t.value.partitions.map((p) => p.close()) : [])),
    );
  }

  private async openTopic(name: string): Promise<EmbeddedTopic> {
    checkTopicName(name);
    const file = await this.readTopicFile(name);
    if (!file) throw new UnknownTopicError(name);
    const dir = join(this.root, name);
    const partitions = await Promise.all(
      Array.from({ length: file.partitions }, (_, p) => PartitionLog.open(join(dir, `${p}.log`), this.logger)),
    );
    return { name, partitions };
  }

  private async readTopicFile(name: string): Promise<TopicFile | undefined> {
    try {
      return JSON.parse(await readFile(join(this.root, name, 'topic.json'), 'utf8')) as TopicFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}

function checkTopicName(name: string): void {
  if (!TOPIC_NAME.test(name) || name === '.' || name === '..' || name === OFFSETS_DIR) {
    throw new Error(`invalid topic name "${name}": use 1-249 of [A-Za-z0-9._-], not "." or ".." or "${OFFSETS_DIR}"`);
  }
}
