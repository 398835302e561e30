import { randomBytes } from 'node:crypto';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { murmur2, partitionForKey } from '../../../src/events/partitioner.js';

// Vectors from the Java client's UtilsTest#testMurmur2.
const JAVA_MURMUR2: Array<[string, number]> = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

function kafkajsPartition(key: string, partitionCount: number): number {
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitionCount }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return Partitioners.DefaultPartitioner()({ topic: 't', partitionMetadata, message: { key, value: null } });
}

describe('murmur2', () => {
  test.each(JAVA_MURMUR2)('matches the Java client for %j', (key, expected) => {
    expect(murmur2(new TextEncoder().encode(key))).toBe(expected);
  });
});

describe('partitionForKey', () => {
  test('picks the partition kafkajs DefaultPartitioner picks, for random and multi-byte keys', () => {
    const keys = [
      ...Array.from({ length: 500 }, (_, i) => randomBytes(1 + (i % 40)).toString('base64url')),
      'tenant-é',
      'principal:日本語',
      '',
    ];
    for (const partitions of [1, 2, 3, 6, 12, 64]) {
      for (const key of keys) expect([key, partitionForKey(key, partitions)]).toEqual([key, kafkajsPartition(key, partitions)]);
    }
  });

  test('spreads keys over every partition', () => {
    const used = new Set(Array.from({ length: 200 }, (_, i) => partitionForKey(`tenant-${i}`, 8)));
    expect(used.size).toBe(8);
  });

  test('rejects a partition count that is not a positive integer', () => {
    expect(() => partitionForKey('k', 0)).toThrow(RangeError);
    expect(() => partitionForKey('k', 1.5)).toThrow(RangeError);
  });
});
