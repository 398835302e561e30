import type { KeyValueStore, Logger } from '@aegis/shared';
import type { PendingLogin } from '../../domain/login-state.js';
import type { LoginStateStore } from '../../ports.js';

// Started logins in the service's key-value store: Redis when configured (any instance may
// receive the callback), memory otherwise. `take` is an atomic read-and-delete, so a state
// is honoured once even when the same callback reaches two instances at the same moment.
export class KvLoginStateStore implements LoginStateStore {
  constructor(private readonly kv: KeyValueStore, private readonly logger: Logger) {}

  save(state: string, login: PendingLogin, ttlMs: number): Promise<void> {
    return this.kv.set(key(state), JSON.stringify(login), ttlMs);
  }

  async take(state: string): Promise<PendingLogin | undefined> {
    const raw = await this.kv.take(key(state));
    if (raw === undefined) return undefined;
    try {
      const login = JSON.parse(raw) as PendingLogin;
      // The store's TTL is the first line; this catches a store that kept the key longer.
      return login.expireTime > Date.now() ? login : undefined;
    } catch (err) {
      this.logger.warn({ err }, 'discarding an unreadable pending SSO login');
      return undefined;
    }
  }
}

function key(state: string): string {
  return `sso:login:${state}`;
}
