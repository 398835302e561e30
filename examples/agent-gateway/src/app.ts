import express, { type ErrorRequestHandler, type Express } from 'express';
import { GuardServiceError, type Aegis, type Guard } from '@aegis/sdk';
import { expressGuard } from '@aegis/sdk/express';
import type { Logger } from '@aegis/shared';
import { InvalidRequestError, parseExecuteRequest, type ExecuteRequest } from './execute-request.js';
import { complete, ModelFailure } from './stand-in-model.js';

export interface GatewayAppOptions {
  aegis: Aegis;
  logger: Logger;
  defaultMaxTokens: number;
  /** False once the gateway drains: readiness answers 503 so a load balancer stops sending. */
  accepting: () => boolean;
}

const SERVICES = ['auth', 'policy', 'ratelimit', 'pii', 'billing'] as const;

/**
 * The guard, logging the failures that are the operator's business: a service that could not
 * answer (the caller gets 503 and no detail). Refusals are the caller's business, not logged.
 */
function loggedGuard(guard: Guard, logger: Logger): Guard {
  return async (request, run) => {
    try {
      return await guard(request, run);
    } catch (err) {
      if (err instanceof GuardServiceError) logger.warn({ step: err.step, code: err.code, err: err.message }, 'an Aegis service could not answer: the request was refused');
      throw err;
    }
  };
}

function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/** The HTTP surface: health, readiness, and the guarded agent endpoint. */
export function gatewayApp(opts: GatewayAppOptions): Express {
  const { aegis, logger } = opts;
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // Ready when accepting and every service the guard calls answers its health check: the
  // guard fails closed, so without them every request would be refused anyway.
  app.get('/readyz', async (_req, res) => {
    if (!opts.accepting()) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    const checks = await Promise.all(SERVICES.map(async (s) => {
      try {
        const { status } = await aegis.clients.health[s].check({}, { timeoutMs: 1000 });
        return [s, status === 1 ? 'serving' : 'not_serving'] as const;
      } catch {
        return [s, 'unreachable'] as const;
      }
    }));
    const ready = checks.every(([, state]) => state === 'serving');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', services: Object.fromEntries(checks) });
  });

  app.post(
    '/agents/:id/execute',
    express.json({ limit: '256kb' }),
    (req, res, next) => {
      try {
        res.locals['execute'] = parseExecuteRequest(String(req.params['id']), req.body, opts.defaultMaxTokens);
        next();
      } catch (err) {
        next(err);
      }
    },
    expressGuard(loggedGuard(aegis.guard, logger), {
      describe: (req) => {
        const r = (req.res!.locals['execute'] as ExecuteRequest);
        return { action: 'execute', resource: { kind: 'agent', id: r.agentId }, model: r.model, input: r.input, maxOutputTokens: r.maxTokens };
      },
      run: async (ctx, req) => {
        const r = (req.res!.locals['execute'] as ExecuteRequest);
        const completion = complete({
          model: r.model.model,
          prompt: typeof ctx.input === 'string' ? ctx.input : JSON.stringify(ctx.input.json),
          maxTokens: r.maxTokens,
          ...(r.simulate !== undefined ? { simulate: r.simulate } : {}),
        });
        return { output: completion.text, usage: { promptTokens: completion.promptTokens, completionTokens: completion.completionTokens } };
      },
    }),
  );

  app.use((_req, res) => {
    res.status(404).json(errorBody('not_found', 'no such endpoint: POST /agents/<agent id>/execute, GET /healthz, GET /readyz'));
  });

  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    if (err instanceof InvalidRequestError) {
      res.status(400).json(errorBody('invalid_request', err.message));
      return;
    }
    // express.json(): a body that is not JSON, or too large.
    const status = (err as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json(errorBody('invalid_request', status === 413 ? 'the body is too large' : 'the body must be JSON'));
      return;
    }
    if (err instanceof ModelFailure) {
      // The guard has already released the budget hold and the concurrency slot.
      logger.warn({ path: req.path, err: err.message }, 'the model failed');
      res.status(502).json(errorBody('model_unavailable', err.message));
      return;
    }
    logger.error({ err, path: req.path }, 'request failed');
    res.status(500).json(errorBody('internal', 'the gateway failed to handle the request'));
  };
  app.use(onError);
  return app;
}
