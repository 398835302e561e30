import type { HandlerContext } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { type RotateSigningKeyRequest, type RotateSigningKeyResponse, RotateSigningKeyResponseSchema } from '@aegis/proto/aegis/auth/v1/token_service_pb.js';
import { type SigningKey, SigningKeySchema, SigningKeyState } from '@aegis/proto/aegis/auth/v1/token_pb.js';
import { invalidArgument } from '@aegis/shared';
import { actorOf } from '../audit.js';
import { isSigningAlgorithm, SIGNING_ALGORITHMS } from '../domain/signing-algorithms.js';
import type { SigningKeyState as KeyState } from '../domain/signing-key-schedule.js';
import type { StoredSigningKey } from '../signing-key-material.js';
import type { TokenHandlerDeps } from './handler-deps.js';

/** RotateSigningKey (platform scope, `signing_key:rotate`): a new key signs from now on. */
export async function rotateSigningKey(deps: TokenHandlerDeps, req: RotateSigningKeyRequest, ctx: HandlerContext): Promise<RotateSigningKeyResponse> {
  // Platform scope: the authorizer checks the caller's tenant against the platform tenant, not this one.
  const principal = deps.authorizer.authorize(ctx, { tenantId: '' });
  const algorithm = req.algorithm === '' ? deps.defaultAlgorithm : req.algorithm;
  if (!isSigningAlgorithm(algorithm)) throw invalidArgument('algorithm', `must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
  const created = await deps.keys.rotateNow(algorithm, actorOf(principal));
  const published = deps.keys.published();
  const stateOf = (kid: string) => published.find((p) => p.key.kid === kid)?.state ?? 'active';
  return create(RotateSigningKeyResponseSchema, {
    activeKey: signingKeyMessage(created, stateOf(created.kid)),
    publishedKeys: published.map((p) => signingKeyMessage(p.key, p.state)),
  });
}

// A pending successor is published but does not sign yet: VERIFY_ONLY is the closest state.
const STATES: Record<KeyState, SigningKeyState> = {
  active: SigningKeyState.ACTIVE,
  pending: SigningKeyState.VERIFY_ONLY,
  verify_only: SigningKeyState.VERIFY_ONLY,
  retired: SigningKeyState.VERIFY_ONLY,
};

function signingKeyMessage(key: StoredSigningKey, state: KeyState): SigningKey {
  return create(SigningKeySchema, {
    kid: key.kid,
    algorithm: key.algorithm,
    state: STATES[state],
    createTime: timestampFromDate(key.createTime),
    ...(key.retireTime !== null ? { retireTime: timestampFromDate(key.retireTime) } : {}),
  });
}
