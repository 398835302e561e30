export { cappedTokens, costNanos, costNumerator, divideHalfEven, tokenProblem, ZERO_TOKENS, type TokenPrices, type Tokens } from './cost.js';
