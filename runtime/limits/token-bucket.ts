/**
 * A token bucket: `capacity` tokens at most, refilled continuously at `perMs` tokens per
 * millisecond. Used for requests per minute (one token per request) and tokens per minute (the
 * estimated tokens of each request). It holds no timer: callers ask how long to wait and keep one
 * timer for the whole queue (see `Limiter`).
 *
 * A cost larger than the capacity is let through once the bucket is full and leaves it in debt
 * (negative), so such requests are still paced at the configured rate instead of waiting forever.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket(1, 60 / 60_000) // 60 per minute, burst 1
 * bucket.waitMs(1, performance.now()) // 0: full
 * bucket.take(1)
 * bucket.waitMs(1, performance.now()) // about 1000
 * ```
 */
export class TokenBucket {
  /** Tokens available now (after the last refill); negative while in debt. */
  private tokens: number
  private refilledAt: number

  constructor(
    readonly capacity: number,
    /** Refill rate in tokens per millisecond; may change (adaptive limits). */
    public perMs: number,
    now: number = performance.now(),
  ) {
    this.tokens = capacity
    this.refilledAt = now
  }

  /** Tokens available at `now`. */
  available(now: number): number {
    this.refill(now)
    return this.tokens
  }

  /** Milliseconds until `cost` tokens (at most the capacity) are available; 0 when they are now. */
  waitMs(cost: number, now: number): number {
    this.refill(now)
    const needed = Math.min(cost, this.capacity)
    // A small tolerance: refills are floating point, and a timer set for the exact wait must not
    // wake up a hair early and have to sleep again.
    const missing = needed - this.tokens
    return missing <= 1e-9 ? 0 : missing / this.perMs
  }

  /** Takes `cost` tokens (the bucket may go into debt). */
  take(cost: number): void {
    this.tokens -= cost
  }

  /** Gives back `amount` tokens (or takes more when negative); never above the capacity. */
  adjust(amount: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + amount)
  }

  /** Changes the refill rate from `now` on (what has refilled so far stays). */
  setRate(perMs: number, now: number): void {
    this.refill(now)
    this.perMs = perMs
  }

  private refill(now: number): void {
    const elapsed = now - this.refilledAt
    if (elapsed <= 0) return
    this.refilledAt = now
    if (this.tokens < this.capacity) this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.perMs)
  }
}
