export { RateAllowances, type AllowanceBucket, type LimitSelectorInit, type RateAllowanceOptions, type RateAllowanceStats } from './rate-allowances.js';
export { IdleLeases, type HeldLease, type SlotReuseOptions } from './idle-leases.js';
