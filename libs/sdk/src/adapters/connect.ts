import type { DescMessage, DescMethodUnary, MessageShape } from '@bufbuild/protobuf';
import { Code, ConnectError, createContextKey, type HandlerContext, type Interceptor, type UnaryResponse } from '@connectrpc/connect';
import { credentialFromHeaders } from '../guard/credential.js';
import { GuardRefusal, GuardServiceError } from '../guard/errors.js';
import type { Guard } from '../guard/guard.js';
import type { GuardContent, GuardRequest, GuardRunContext, TokenCounts } from '../guard/types.js';

/** The guard's run context, for handlers behind guardInterceptor (`ctx.values.get(guardContextKey)`). */
export const guardContextKey = createContextKey<GuardRunContext | undefined>(undefined, { description: 'aegis guard run' });

/** The run context of the current guarded call; throws when the call was not guarded. */
export function requireGuardContext(ctx: HandlerContext): GuardRunContext {
  const run = ctx.values.get(guardContextKey);
  if (run === undefined) throw new ConnectError('this RPC is not guarded by Aegis', Code.Internal);
  return run;
}

/** How one unary RPC maps to a guarded run: where its input, output and token usage are. */
export interface ConnectGuardRule<I extends DescMessage, O extends DescMessage> {
  method: DescMethodUnary<I, O>;
  /** The guard request of a call (credential defaults to the Authorization / x-api-key header). */
  describe(message: MessageShape<I>, header: Headers): Omit<GuardRequest, 'credential' | 'input' | 'signal'> & { credential?: string };
  input(message: MessageShape<I>): GuardContent;
  /** The request with its input replaced by the redacted one. */
  withInput(message: MessageShape<I>, input: GuardContent): MessageShape<I>;
  output(message: MessageShape<O>): GuardContent;
  /** The response with its output replaced by the redacted one. */
  withOutput(message: MessageShape<O>, output: GuardContent): MessageShape<O>;
  /** Tokens the handler reports; undefined lets the guard count them. */
  usage?(message: MessageShape<O>): TokenCounts | undefined;
}

// Erased so rules of different methods fit one list.
type AnyRule = ConnectGuardRule<DescMessage, DescMessage>;

/** Types one rule (so `describe` and friends see the method's messages) for guardInterceptor's list. */
export function guardRule<I extends DescMessage, O extends DescMessage>(rule: ConnectGuardRule<I, O>): AnyRule {
  return rule as unknown as AnyRule;
}

// Probes and reflection never run an agent.
const ALWAYS_OPEN = new Set(['grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection']);

export interface GuardInterceptorOptions {
  /** RPCs without a rule: `deny` (default, PermissionDenied) or `pass`. Health and reflection always pass. */
  unmatched?: 'deny' | 'pass';
}

/**
 * Server side: guards Connect handlers. For a method with a rule, the handler becomes the run:
 * it receives the redacted input (and the run context under guardContextKey), its response's
 * output is scanned and redacted, and its usage is committed. Refusals become Connect errors
 * (Unauthenticated, PermissionDenied, ResourceExhausted with RetryInfo, ...).
 */
export function guardInterceptor(guard: Guard, rules: readonly AnyRule[], opts: GuardInterceptorOptions = {}): Interceptor {
  const byMethod = new Map(rules.map((r) => [`${r.method.parent.typeName}/${r.method.name}`, r]));
  return (next) => async (req) => {
    const rule = byMethod.get(`${req.service.typeName}/${req.method.name}`);
    if (rule === undefined) {
      if (ALWAYS_OPEN.has(req.service.typeName) || opts.unmatched === 'pass') return next(req);
      throw new ConnectError(`${req.method.name} has no Aegis guard rule`, Code.PermissionDenied);
    }
    if (req.stream) throw new ConnectError('streaming RPCs cannot be guarded', Code.Unimplemented);
    const message = req.message as MessageShape<DescMessage>;
    const spec = rule.describe(message, req.header);
    let response: UnaryResponse | undefined;
    try {
      const result = await guard({
        ...spec,
        credential: spec.credential ?? credentialFromHeaders(req.header),
        input: rule.input(message),
        signal: req.signal,
      }, async (ctx) => {
        req.contextValues.set(guardContextKey, ctx);
        response = await next({ ...req, message: rule.withInput(message, ctx.input) }) as UnaryResponse;
        const usage = rule.usage?.(response.message as MessageShape<DescMessage>);
        return { output: rule.output(response.message as MessageShape<DescMessage>), ...(usage !== undefined ? { usage } : {}) };
      });
      return { ...response!, message: rule.withOutput(response!.message as MessageShape<DescMessage>, result.output) } as UnaryResponse;
    } catch (err) {
      if (err instanceof GuardRefusal || err instanceof GuardServiceError) throw err.toConnectError();
      throw err;
    }
  };
}
