import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import type { RateLimitTierName } from './ports.js';

const TO_PROTO: Record<RateLimitTierName, RateLimitTier> = {
  free: RateLimitTier.FREE,
  pro: RateLimitTier.PRO,
  enterprise: RateLimitTier.ENTERPRISE,
};

export function tierToProto(tier: RateLimitTierName): RateLimitTier {
  return TO_PROTO[tier];
}
