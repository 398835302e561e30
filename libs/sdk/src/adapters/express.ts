import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { credentialFromHeaders } from '../guard/credential.js';
import type { Guard } from '../guard/guard.js';
import type { GuardRequest, GuardResult, GuardRunContext, RunResult } from '../guard/types.js';
import { httpAnswerOf, rateLimitHeaders, resultBody } from './http.js';

/** A guarded Express route: what the request asks for, and the run itself. */
export interface ExpressGuardRoute {
  /**
   * The guard request of an HTTP request (action, resource, model, input, ...). The credential
   * defaults to the Authorization / x-api-key header and clientIp to `req.ip`.
   */
  describe(req: Request): Omit<GuardRequest, 'credential' | 'signal'> & { credential?: string };
  /** The agent run, given the redacted input. */
  run(ctx: GuardRunContext, req: Request): Promise<RunResult>;
  /** Writes the success response (default: 200 with resultBody as JSON). */
  respond?(result: GuardResult, res: Response, req: Request): void;
}

/**
 * An Express handler running `route.run` under `guard`. Refusals are answered here (status,
 * Retry-After, RateLimit headers, `{ error: { code, reason, message } }`); any other error
 * (including one thrown by the run) goes to `next`, to the application's error handler. The
 * guard is cancelled when the client disconnects.
 */
export function expressGuard(guard: Guard, route: ExpressGuardRoute): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const cancel = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) cancel.abort(new Error('the client closed the connection'));
    };
    res.once('close', onClose);
    try {
      const spec = route.describe(req);
      const result = await guard({
        ...spec,
        credential: spec.credential ?? credentialFromHeaders(req.headers),
        ...(spec.clientIp === undefined && req.ip !== undefined ? { clientIp: req.ip } : {}),
        signal: cancel.signal,
      }, (ctx) => route.run(ctx, req));
      res.set(rateLimitHeaders(result.rateLimit));
      if (route.respond !== undefined) route.respond(result, res, req);
      else res.status(200).json(resultBody(result));
    } catch (err) {
      const answer = httpAnswerOf(err);
      if (answer === undefined) {
        next(err);
        return;
      }
      res.status(answer.status).set(answer.headers).json(answer.body);
    } finally {
      res.off('close', onClose);
    }
  };
}
