export { remoteRateLimitChecker, type LimitSelectorInit, type RateLimitChecker, type RateLimitQuery, type RateLimitVerdict } from './rate-limit-checker.js';
export { principalTarget, principalTier, rateLimitedError, rateLimitInterceptor, type RateLimitInterceptorOptions, type RateLimitTarget } from './rate-limit-interceptor.js';
