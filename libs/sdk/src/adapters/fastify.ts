import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { credentialFromHeaders } from '../guard/credential.js';
import type { Guard } from '../guard/guard.js';
import type { GuardRequest, GuardResult, GuardRunContext, RunResult } from '../guard/types.js';
import { httpAnswerOf, rateLimitHeaders, resultBody } from './http.js';

/** A guarded Fastify route: what the request asks for, and the run itself. */
export interface FastifyGuardRoute {
  /** The guard request (credential defaults to the Authorization / x-api-key header, clientIp to `request.ip`). */
  describe(request: FastifyRequest): Omit<GuardRequest, 'credential' | 'signal'> & { credential?: string };
  /** The agent run, given the redacted input. */
  run(ctx: GuardRunContext, request: FastifyRequest): Promise<RunResult>;
  /** The success payload (default resultBody). */
  respond?(result: GuardResult, reply: FastifyReply, request: FastifyRequest): unknown;
}

/**
 * A Fastify route handler running `route.run` under `guard`. Refusals and service errors are
 * answered here; any other error is thrown to Fastify's error handler. Cancelled when the client
 * disconnects.
 */
export function fastifyGuard(guard: Guard, route: FastifyGuardRoute): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  return async (request, reply) => {
    const cancel = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) cancel.abort(new Error('the client closed the connection'));
    };
    reply.raw.once('close', onClose);
    try {
      const spec = route.describe(request);
      const result = await guard({
        ...spec,
        credential: spec.credential ?? credentialFromHeaders(request.headers),
        ...(spec.clientIp === undefined ? { clientIp: request.ip } : {}),
        signal: cancel.signal,
      }, (ctx) => route.run(ctx, request));
      reply.headers(rateLimitHeaders(result.rateLimit));
      return route.respond !== undefined ? route.respond(result, reply, request) : resultBody(result);
    } catch (err) {
      const answer = httpAnswerOf(err);
      if (answer === undefined) throw err;
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    } finally {
      reply.raw.off('close', onClose);
    }
  };
}

/**
 * A Fastify plugin for handlers that call `guard` themselves: guard refusals and service
 * errors thrown from any route become their HTTP answers; other errors keep Fastify's default
 * handling. Registered without encapsulation, so it covers the routes of the parent instance.
 */
export async function aegisFastifyPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((err, _request, reply) => {
    const answer = httpAnswerOf(err);
    if (answer !== undefined) return reply.code(answer.status).headers(answer.headers).send(answer.body);
    throw err;
  });
}
// What fastify-plugin does: opt out of encapsulation so the error handler applies to the caller's scope.
(aegisFastifyPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
