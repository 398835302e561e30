// Clients and helpers shared by the users module's integration tests.
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { TenantService } from '@aegis/proto/aegis/auth/v1/tenant_service_pb.js';
import { TokenService } from '@aegis/proto/aegis/auth/v1/token_service_pb.js';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { decodeEvent, TOPICS, type EventBus } from '@aegis/shared';
import { uniqueKafkaName } from '@aegis/shared/testing';

export interface AuthClients {
  users: Client<typeof UserService>;
  tenants: Client<typeof TenantService>;
  keys: Client<typeof ApiKeyService>;
  tokens: Client<typeof TokenService>;
}

/** Clients of auth at `url` sending `credential` (an API key or access token) as a bearer, or nothing. */
export function clientsFor(url: string, credential?: string): AuthClients {
  const transport = createConnectTransport({
    baseUrl: url,
    httpVersion: '1.1',
    interceptors: credential === undefined ? [] : [(next) => (req) => {
      req.header.set('authorization', `Bearer ${credential}`);
      return next(req);
    }],
  });
  return {
    users: createClient(UserService, transport),
    tenants: createClient(TenantService, transport),
    keys: createClient(ApiKeyService, transport),
    tokens: createClient(TokenService, transport),
  };
}

export async function rejection(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('expected the call to fail');
}

/** Milliseconds until `call` fails with `code` (polling every 20 ms); throws after `limitMs`. */
export async function msUntilRefused(call: () => Promise<unknown>, code: Code, limitMs = 3_000): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < limitMs) {
    try {
      await call();
    } catch (err) {
      if (ConnectError.from(err).code === code) return Date.now() - start;
      throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`still accepted after ${limitMs} ms (expected ${Code[code]})`);
}

/**
 * Reads aegis.audit.v1 from the beginning with a group of its own until `expected` audit events
 * about `resourceId` whose action starts with `actionPrefix` arrived (or `timeoutMs` passed),
 * and returns them in order.
 */
export async function auditEventsAbout(events: EventBus, resourceId: string, expected: number, actionPrefix = '', timeoutMs = 20_000): Promise<Event[]> {
  const found: Event[] = [];
  let done: () => void = () => {};
  const enough = new Promise<void>((resolve) => (done = resolve));
  const handle = await events.subscribe({
    groupId: uniqueKafkaName('users-audit-test'),
    topics: [TOPICS.audit],
    fromBeginning: true,
    async handleBatch(batch) {
      for (const consumed of batch) {
        let event: Event;
        try {
          event = decodeEvent(consumed.value);
        } catch {
          continue; // other runs' events on a shared topic
        }
        if (event.payload.case === 'audit' && event.payload.value.resource?.id === resourceId && event.action.startsWith(actionPrefix)) found.push(event);
      }
      if (found.length >= expected) done();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([enough, new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); })]);
    return found;
  } finally {
    clearTimeout(timer);
    await handle.stop();
  }
}
