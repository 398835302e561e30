// What auth puts on aegis.tenants.v1: each tenant's whole settings, published after the
// change in version order, retried until Kafka takes them, and every tenant once at start.
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { createLogger, topicForEvent, eventKey } from '@aegis/shared';
import type { StoredTenant } from '../../../src/users/domain/tenant.js';
import { TenantSettingsFeed } from '../../../src/users/tenant-settings-feed.js';
import { tenantSettingsEvent } from '../../../src/users/tenant-settings-event.js';

const logger = createLogger({ service: 'tenant-settings-feed-test', level: 'silent' });
const actor = { type: PrincipalType.USER, id: 'u1', userId: 'u1' };

function tenant(id: string, version: bigint, extra: Partial<StoredTenant> = {}): StoredTenant {
  return {
    id, displayName: id, timeZone: 'Europe/Berlin', businessHours: null, disabledAt: null, version,
    createTime: new Date('2026-01-01T00:00:00Z'), updateTime: new Date('2026-01-02T00:00:00Z'), ...extra,
  };
}

function versionsOf(events: Event[]): string[] {
  return events.map((e) => (e.payload.case === 'tenantSettings' ? `${e.tenantId}@${e.payload.value.version}` : '?'));
}

/** A publisher that records, and fails or holds calls on demand. */
class FakePublisher {
  readonly published: Event[] = [];
  failures = 0;
  hold: Promise<void> | undefined;
  calls = 0;
  async publish(...events: Event[]): Promise<void> {
    this.calls += 1;
    await this.hold;
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('kafka unavailable');
    }
    this.published.push(...events);
  }
}

describe('tenantSettingsEvent', () => {
  test('carries the whole settings on the tenants topic, keyed by tenant', () => {
    const event = tenantSettingsEvent(tenant('acme', 4n, {
      timeZone: 'Pacific/Kiritimati',
      businessHours: { weekdays: [1, 2, 3], startMinute: 480, endMinute: 960 },
      disabledAt: new Date(),
    }), actor);
    expect(topicForEvent(event)).toBe('aegis.tenants.v1');
    expect(eventKey(event)).toBe('acme');
    expect(event).toMatchObject({ source: 'auth', tenantId: 'acme', action: 'tenant.settings_changed', actor: { id: 'u1' } });
    if (event.payload.case !== 'tenantSettings') throw new Error('expected tenant settings');
    expect(event.payload.value).toMatchObject({
      tenantId: 'acme', timeZone: 'Pacific/Kiritimati', disabled: true, version: 4n,
      businessHours: { weekdays: [1, 2, 3], startMinute: 480, endMinute: 960 },
    });
    expect(event.payload.value.updateTime?.seconds).toBe(BigInt(Date.parse('2026-01-02T00:00:00Z') / 1000));
  });

  test('the default business hours stay unset (the contract: Mon-Fri 09:00-17:00)', () => {
    const event = tenantSettingsEvent(tenant('acme', 1n), actor);
    expect(event.payload.case === 'tenantSettings' && event.payload.value.businessHours).toBeUndefined();
  });
});

describe('TenantSettingsFeed', () => {
  test('publishes each offer; an older or equal version than one offered is dropped', async () => {
    const publisher = new FakePublisher();
    const feed = new TenantSettingsFeed({ publisher, logger });
    feed.offer(tenant('acme', 2n), actor);
    await feed.idle();
    feed.offer(tenant('acme', 1n), actor);
    feed.offer(tenant('acme', 2n), actor);
    feed.offer(tenant('globex', 1n), actor);
    await feed.idle();
    expect(versionsOf(publisher.published)).toEqual(['acme@2', 'globex@1']);
    await feed.close();
  });

  test('versions offered during a publish follow it, newest only; versions never go backwards', async () => {
    const publisher = new FakePublisher();
    let release!: () => void;
    publisher.hold = new Promise((resolve) => (release = resolve));
    const feed = new TenantSettingsFeed({ publisher, logger });
    feed.offer(tenant('acme', 1n), actor); // goes out at once and is held in flight
    feed.offer(tenant('acme', 2n), actor);
    feed.offer(tenant('acme', 3n), actor); // replaces 2 before it went out
    feed.offer(tenant('acme', 2n), actor); // a stale read, e.g. the start-up republish
    release();
    await feed.idle();
    expect(versionsOf(publisher.published)).toEqual(['acme@1', 'acme@3']);
    feed.offer(tenant('acme', 3n), actor);
    await feed.idle();
    expect(publisher.calls).toBe(2);
    await feed.close();
  });

  test('a failed publish is retried until it succeeds (the change is already committed)', async () => {
    const publisher = new FakePublisher();
    publisher.failures = 3;
    const feed = new TenantSettingsFeed({ publisher, logger, retry: { initialDelayMs: 5, maxDelayMs: 20 } });
    feed.offer(tenant('acme', 7n), actor);
    await feed.idle();
    expect(publisher.calls).toBe(4);
    expect(versionsOf(publisher.published)).toEqual(['acme@7']);
    await feed.close();
  });

  test('republishAll offers every tenant, page by page, as the auth service', async () => {
    const publisher = new FakePublisher();
    const feed = new TenantSettingsFeed({ publisher, logger });
    const all = Array.from({ length: 1203 }, (_, i) => tenant(`t${String(i).padStart(4, '0')}`, BigInt(i + 1)));
    const pages: Array<string | undefined> = [];
    feed.republishAll({
      list: async ({ limit, afterId }) => {
        pages.push(afterId);
        const from = afterId === undefined ? 0 : all.findIndex((t) => t.id === afterId) + 1;
        return all.slice(from, from + limit);
      },
    });
    await feed.idle();
    expect(pages).toEqual([undefined, 't0499', 't0999']);
    expect(publisher.published).toHaveLength(1203);
    expect(publisher.published.every((e) => e.actor?.type === PrincipalType.SERVICE && e.actor.id === 'aegis-auth')).toBe(true);
    await feed.close();
  });

  test('close stops retrying without waiting for the backoff', async () => {
    const publisher = new FakePublisher();
    publisher.failures = Number.POSITIVE_INFINITY;
    const feed = new TenantSettingsFeed({ publisher, logger, retry: { initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    feed.offer(tenant('acme', 1n), actor);
    await new Promise((resolve) => setImmediate(resolve));
    await feed.close();
    expect(publisher.published).toEqual([]);
  });
});
