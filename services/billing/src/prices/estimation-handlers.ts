import type { ConnectRouter } from '@connectrpc/connect';
import { EstimationService } from '@aegis/proto/aegis/billing/v1/estimation_service_pb.js';
import { invalidArgument, requireNonEmpty } from '@aegis/shared';
import { money, requireTokens } from '../money/proto-mapping.js';
import { tenantOf } from '../request-context.js';
import { dateOr, priceToProto } from './price-mapping.js';
import type { Pricer } from './pricer.js';
import { countTokens, encodingFor } from './tokenizer.js';

const MAX_TEXT_BYTES = 10 * 1024 * 1024;

export function registerEstimationService(router: ConnectRouter, deps: { pricer: Pricer; now: () => number }): void {
  router.service(EstimationService, {
    async estimateCost(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const provider = requireNonEmpty(req.provider, 'provider').toLowerCase();
      const model = requireNonEmpty(req.model, 'model');
      const tokens = requireTokens(req.tokens);
      const { cost, price } = await deps.pricer.cost(tenantId, provider, model, tokens, dateOr(req.time, new Date(deps.now())));
      return { cost: money(price.currency, cost), price: priceToProto(price) };
    },

    async estimateTokens(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const provider = requireNonEmpty(req.provider, 'provider').toLowerCase();
      const model = requireNonEmpty(req.model, 'model');
      if (Buffer.byteLength(req.text, 'utf8') > MAX_TEXT_BYTES) throw invalidArgument('text', 'must be at most 10 MiB');
      // The catalogue names the model: an unknown one is NotFound, as for prices.
      const price = await deps.pricer.price(tenantId, provider, model, new Date(deps.now()));
      const { name, exact } = encodingFor(model, price.tokenizer);
      return { tokens: BigInt(countTokens(req.text, name)), tokenizer: name, exact };
    },
  });
}
