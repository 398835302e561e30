import type { JWK } from 'jose';
import type { SqlDatabase, SqlExecutor } from '@aegis/shared';
import type { SigningAlgorithm } from '../../domain/signing-algorithms.js';
import type { SigningKeyStore, SigningKeyWriter } from '../../ports.js';
import type { StoredSigningKey } from '../../signing-key-material.js';

interface Row {
  kid: string;
  algorithm: SigningAlgorithm;
  public_jwk: JWK;
  private_key_sealed: string;
  create_time: Date;
  activate_time: Date;
  retire_time: Date | null;
}

const COLUMNS = 'kid, algorithm, public_jwk, private_key_sealed, create_time, activate_time, retire_time';

export class PostgresSigningKeyStore implements SigningKeyStore {
  constructor(private readonly db: SqlDatabase) {}

  async list(): Promise<StoredSigningKey[]> {
    return (await this.db.query<Row>(`SELECT ${COLUMNS} FROM signing_keys`)).rows.map(fromRow);
  }

  underRotationLock<T>(fn: (keys: StoredSigningKey[], writer: SigningKeyWriter) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      // Held to commit: a second instance waits here and then reads what the first stored.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('aegis.auth.signing_keys', 0))`);
      const keys = (await tx.query<Row>(`SELECT ${COLUMNS} FROM signing_keys`)).rows.map(fromRow);
      return fn(keys, writerOn(tx));
    });
  }

  async reseal(kid: string, sealedPrivateKey: string): Promise<void> {
    await this.db.query('UPDATE signing_keys SET private_key_sealed = $2 WHERE kid = $1', [kid, sealedPrivateKey]);
  }

  async deleteRetired(now: Date): Promise<string[]> {
    const { rows } = await this.db.query<{ kid: string }>('DELETE FROM signing_keys WHERE retire_time <= $1 RETURNING kid', [now]);
    return rows.map((r) => r.kid);
  }
}

function writerOn(tx: SqlExecutor): SigningKeyWriter {
  return {
    async insert(key) {
      await tx.query(
        `INSERT INTO signing_keys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [key.kid, key.algorithm, JSON.stringify(key.publicJwk), key.sealedPrivateKey, key.createTime, key.activateTime, key.retireTime],
      );
    },
    async retireUnretired(at, exceptKid) {
      await tx.query('UPDATE signing_keys SET retire_time = $1 WHERE retire_time IS NULL AND kid <> $2', [at, exceptKid]);
    },
    async delete(kids) {
      if (kids.length > 0) await tx.query('DELETE FROM signing_keys WHERE kid = ANY($1::text[])', [kids]);
    },
  };
}

function fromRow(row: Row): StoredSigningKey {
  return {
    kid: row.kid,
    algorithm: row.algorithm,
    publicJwk: row.public_jwk,
    sealedPrivateKey: row.private_key_sealed,
    createTime: new Date(row.create_time),
    activateTime: new Date(row.activate_time),
    retireTime: row.retire_time === null ? null : new Date(row.retire_time),
  };
}
