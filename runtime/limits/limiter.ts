/**
 * The admission control of one endpoint: concurrency slots, `rpm` and `tpm` token buckets, and a
 * priority queue, with adaptive (AIMD) limits on 429. A request is admitted when a slot is free
 * and the buckets allow it; it takes both at that moment. So a rate limit never holds a slot, and
 * requests reach the server at the paced rate.
 *
 * Cost: with no rate limit and a free slot, `tryAcquire` admits synchronously: no timer, no
 * promise. The limiter keeps at most one timer (for the head of the queue, while a bucket holds it
 * back), cleared as soon as the queue empties, so nothing is left running after an abort.
 */
import type { Admission, EffectiveLimits } from '../endpoint.js'
import { onAbort } from '../endpoints/abort.js'
import { TokenBucket } from './token-bucket.js'



/** What a limit held a request back for. */
export type RateLimitReason = 'rpm' | 'tpm'

/**
 * One admitted request: hand it back to {@link Limiter.release} when the request has settled.
 *
 * @example
 * ```ts
 * const admission = limiter.tryAcquire(300) ?? (await limiter.acquire(300, signal))
 * try { ... } finally { limiter.release(admission, 'ok') }
 * ```
 */
export interface LimiterAdmission extends Admission {
  /** Number of the admission at this limiter (0-based), for the adaptive epoch rule. */
  readonly seq: number
  /** Tokens charged to the `tpm` bucket (0 without `tpm`). */
  readonly tokens: number
}

/** How an admitted request ended, for the adaptive limits. */
export type AdmissionOutcome = 'ok' | 'rate-limited' | 'failed'

/** Options of a {@link Limiter}. */
export interface LimiterOptions {
  maxConcurrent: number
  rpm?: number | undefined
  tpm?: number | undefined
  burstRequests?: number | undefined
  burstTokens?: number | undefined
  adaptive?: boolean | undefined
}

interface Waiter {
  readonly priority: number
  readonly order: number
  readonly tokens: number
  readonly queuedAt: number
  /** Cumulative rate-blocked ms (by reason) when it joined; its own wait is the difference. */
  readonly rpmMark: number
  readonly tpmMark: number
  done: boolean
  resolve: (admission: LimiterAdmission) => void
  reject: (reason: unknown) => void
  stop: () => void
}

/** Lowest adaptive rate, as a fraction of the configured rate. */
const MIN_RATE_FACTOR = 1 / 64
/** Rate regained per success, as a fraction of the configured rate. */
const RATE_STEP = 1 / 10
const PER_MINUTE = 60_000
/** The limits are lowered at most once per this many milliseconds. */
const DECREASE_COOLDOWN_MS = 1_000

/**
 * Admission control for one endpoint (see the file comment).
 *
 * @example
 * ```ts
 * const limiter = new Limiter({ maxConcurrent: 4, rpm: 60, burstRequests: 1 })
 * const admission = limiter.tryAcquire(0) ?? (await limiter.acquire(0, signal))
 * try { await send() } finally { limiter.release(admission, 'ok') }
 * ```
 */
export class Limiter {
  readonly maxConcurrent: number
  readonly rpm: number | undefined
  readonly tpm: number | undefined
  private readonly adaptive: boolean
  private readonly requestBucket: TokenBucket | undefined
  private readonly tokenBucket: TokenBucket | undefined
  /** A slot hand-over is scheduled (see handOver). */
  private handOverPending = false
  /** Requests admitted and not yet released. */
  inFlight = 0
  /** Waiters not yet admitted nor aborted. */
  queued = 0
  private readonly heap: Waiter[] = []
  private orderCounter = 0
  private admissions = 0
  // Adaptive state.
  private concurrencyLimit: number
  private slots: number
  private rateFactor = 1
  /** Admissions numbered below this were sent before the last decrease: their 429s are old news. */
  private epoch = 0
  private decreasedAt = Number.NEGATIVE_INFINITY
  // Rate-blocked bookkeeping: while the head waits for a bucket with a slot free.
  private blocked: RateLimitReason | undefined
  private blockedSince = 0
  private rpmBlockedMs = 0
  private tpmBlockedMs = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private timerDue = 0

  constructor(options: LimiterOptions) {
    this.maxConcurrent = options.maxConcurrent
    this.concurrencyLimit = options.maxConcurrent
    this.slots = options.maxConcurrent
    this.rpm = options.rpm
    this.tpm = options.tpm
    this.adaptive = options.adaptive ?? true
    const now = performance.now()
    if (options.rpm !== undefined) this.requestBucket = new TokenBucket(options.burstRequests ?? Math.max(1, Math.floor(options.rpm / 60)), options.rpm / PER_MINUTE, now)
    if (options.tpm !== undefined) this.tokenBucket = new TokenBucket(options.burstTokens ?? Math.max(1, options.tpm / 60), options.tpm / PER_MINUTE, now)
  }

  /** The limits in force now (lowered after 429s, recovering on success). */
  get effective(): EffectiveLimits {
    const effective: EffectiveLimits = { maxConcurrent: this.slots }
    if (this.rpm !== undefined) effective.rpm = this.rpm * this.rateFactor
    if (this.tpm !== undefined) effective.tpm = this.tpm * this.rateFactor
    return effective
  }

  /**
   * Admits at once when nothing waits, a slot is free and the buckets allow `tokens`; otherwise
   * `undefined` (then call {@link acquire}). With `timed` false and no rate limit, the clock is
   * not read (reading it costs a call into the runtime): the admission's times are then 0.
   */
  tryAcquire(tokens: number, timed = true): LimiterAdmission | undefined {
    if (this.queued > 0 || this.inFlight >= this.slots) return undefined
    if (this.requestBucket === undefined && this.tokenBucket === undefined) {
      const now = timed ? performance.now() : 0
      return this.admit(tokens, now, now, 0, 0)
    }
    const now = performance.now()
    if (this.rateWait(tokens, now) !== undefined) return undefined
    return this.admit(tokens, now, now, 0, 0)
  }

  /**
   * Waits for admission: highest `priority` first, then first come. Rejects with the signal's
   * reason if it aborts first (the waiter leaves the queue at once).
   */
  acquire(tokens: number, signal: AbortSignal, priority = 0): Promise<LimiterAdmission> {
    if (signal.aborted) return Promise.reject(signal.reason)
    return new Promise<LimiterAdmission>((resolve, reject) => {
      const waiter: Waiter = {
        priority,
        order: this.orderCounter++,
        tokens,
        queuedAt: performance.now(),
        rpmMark: this.blockedTotal('rpm'),
        tpmMark: this.blockedTotal('tpm'),
        done: false,
        resolve,
        reject,
        stop: noop,
      }
      this.push(waiter)
      this.queued++
      waiter.stop = onAbort(signal, (reason) => this.leave(waiter, reason))
      this.pump()
    })
  }

  /**
   * Hands back the slot of a settled request. `outcome` feeds the adaptive limits; `usedTokens`
   * (the usage the endpoint reported) corrects the `tpm` estimate.
   */
  release(admission: LimiterAdmission, outcome: AdmissionOutcome, usedTokens?: number): void {
    this.inFlight--
    if (usedTokens !== undefined && this.tokenBucket !== undefined) this.tokenBucket.adjust(admission.tokens - usedTokens)
    if (this.adaptive) {
      if (outcome === 'rate-limited') {
        if (admission.seq >= this.epoch && performance.now() - this.decreasedAt >= DECREASE_COOLDOWN_MS) this.decrease()
      } else if (outcome === 'ok' && (this.slots < this.maxConcurrent || this.rateFactor < 1)) {
        this.increase()
      }
    }
    if (this.queued > 0) this.handOver()
  }

  /**
   * Gives a freed slot to the best waiter once the promise reactions now running have finished
   * (`process.nextTick` runs after the microtask queue drains), not at once: the reply that freed
   * it first flows on to its dependents, which may be waiters of higher priority (the next call on
   * the critical path), and a budget counts its usage first. No timer, no event-loop turn.
   */
  private handOver(): void {
    if (this.handOverPending) return
    this.handOverPending = true
    process.nextTick(() => {
      this.handOverPending = false
      if (this.queued > 0) this.pump()
    })
  }

  private admit(tokens: number, queuedAt: number, now: number, rpmWaitMs: number, tpmWaitMs: number): LimiterAdmission {
    this.inFlight++
    this.requestBucket?.take(1)
    this.tokenBucket?.take(tokens)
    return { seq: this.admissions++, tokens, queuedAt, admittedAt: now, rpmWaitMs, tpmWaitMs }
  }

  /** Milliseconds and reason the buckets hold back `tokens` now; `undefined` when they do not. */
  private rateWait(tokens: number, now: number): { ms: number; reason: RateLimitReason } | undefined {
    const rpmMs = this.requestBucket?.waitMs(1, now) ?? 0
    const tpmMs = this.tokenBucket === undefined || tokens <= 0 ? 0 : this.tokenBucket.waitMs(tokens, now)
    if (rpmMs <= 0 && tpmMs <= 0) return undefined
    return rpmMs >= tpmMs ? { ms: rpmMs, reason: 'rpm' } : { ms: tpmMs, reason: 'tpm' }
  }

  /** Admits waiters while it can; otherwise notes why the head waits and arms the one timer. */
  private pump(): void {
    for (;;) {
      const head = this.peek()
      if (head === undefined) {
        this.setBlocked(undefined, 0)
        this.clearTimer()
        return
      }
      if (this.inFlight >= this.slots) {
        // A release pumps again; no timer needed.
        this.setBlocked(undefined, 0)
        this.clearTimer()
        return
      }
      const now = performance.now()
      const wait = this.requestBucket === undefined && this.tokenBucket === undefined ? undefined : this.rateWait(head.tokens, now)
      if (wait !== undefined) {
        this.setBlocked(wait.reason, now)
        this.armTimer(wait.ms, now)
        return
      }
      this.setBlocked(undefined, now)
      this.pop()
      this.queued--
      head.done = true
      head.stop()
      const admission = this.admit(head.tokens, head.queuedAt, now, this.blockedTotal('rpm', now) - head.rpmMark, this.blockedTotal('tpm', now) - head.tpmMark)
      head.resolve(admission)
    }
  }

  private leave(waiter: Waiter, reason: unknown): void {
    if (waiter.done) return
    waiter.done = true
    this.queued--
    waiter.reject(reason)
    if (this.queued === 0) {
      // Everything left was aborted: drop it, close the books, and leave no timer behind.
      this.heap.length = 0
      this.setBlocked(undefined, 0)
      this.clearTimer()
    } else if (this.heap[0] === waiter) {
      this.pump()
    }
  }

  private setBlocked(reason: RateLimitReason | undefined, now: number): void {
    if (this.blocked === reason) return
    if (this.blocked !== undefined) {
      const at = now === 0 ? performance.now() : now
      if (this.blocked === 'rpm') this.rpmBlockedMs += at - this.blockedSince
      else this.tpmBlockedMs += at - this.blockedSince
    }
    this.blocked = reason
    if (reason !== undefined) this.blockedSince = now === 0 ? performance.now() : now
  }

  /** Milliseconds the queue has been held back by `reason` so far, the current stretch included. */
  private blockedTotal(reason: RateLimitReason, now?: number): number {
    const total = reason === 'rpm' ? this.rpmBlockedMs : this.tpmBlockedMs
    return this.blocked === reason ? total + ((now ?? performance.now()) - this.blockedSince) : total
  }

  private armTimer(ms: number, now: number): void {
    const due = now + ms
    if (this.timer !== undefined) {
      if (Math.abs(due - this.timerDue) < 1) return
      clearTimeout(this.timer)
    }
    this.timerDue = due
    // +1: timers may fire up to a millisecond early relative to performance.now().
    this.timer = setTimeout(this.onTimer, Math.ceil(ms) + 1)
  }

  private readonly onTimer = (): void => {
    this.timer = undefined
    this.pump()
  }

  private clearTimer(): void {
    if (this.timer === undefined) return
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private decrease(): void {
    this.epoch = this.admissions
    this.decreasedAt = performance.now()
    this.concurrencyLimit = Math.max(1, this.concurrencyLimit / 2)
    this.slots = Math.max(1, Math.floor(this.concurrencyLimit))
    if (this.requestBucket !== undefined || this.tokenBucket !== undefined) this.setRateFactor(Math.max(MIN_RATE_FACTOR, this.rateFactor / 2))
  }

  private increase(): void {
    if (this.concurrencyLimit < this.maxConcurrent) {
      this.concurrencyLimit = Math.min(this.maxConcurrent, this.concurrencyLimit + 1 / this.slots)
      this.slots = Math.max(1, Math.floor(this.concurrencyLimit))
    }
    if (this.rateFactor < 1) this.setRateFactor(Math.min(1, this.rateFactor + RATE_STEP))
  }

  private setRateFactor(factor: number): void {
    this.rateFactor = factor
    const now = performance.now()
    if (this.requestBucket !== undefined) this.requestBucket.setRate((this.rpm! * factor) / PER_MINUTE, now)
    if (this.tokenBucket !== undefined) this.tokenBucket.setRate((this.tpm! * factor) / PER_MINUTE, now)
    // The head's wait changed: re-arm on the next pump.
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
  }

  // A binary heap: highest priority first, then lowest order (first come). Aborted waiters stay
  // until they reach the top, where they are skipped.
  private peek(): Waiter | undefined {
    const heap = this.heap
    while (heap.length > 0 && heap[0]!.done) this.pop()
    return heap[0]
  }

  private push(waiter: Waiter): void {
    const heap = this.heap
    let index = heap.push(waiter) - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (!before(waiter, heap[parent]!)) break
      heap[index] = heap[parent]!
      index = parent
    }
    heap[index] = waiter
  }

  private pop(): void {
    const heap = this.heap
    const last = heap.pop()!
    if (heap.length === 0) return
    let index = 0
    const length = heap.length
    for (;;) {
      const left = 2 * index + 1
      if (left >= length) break
      const right = left + 1
      const child = right < length && before(heap[right]!, heap[left]!) ? right : left
      if (!before(heap[child]!, last)) break
      heap[index] = heap[child]!
      index = child
    }
    heap[index] = last
  }
}

function before(a: Waiter, b: Waiter): boolean {
  return a.priority !== b.priority ? a.priority > b.priority : a.order < b.order
}

function noop(): void {}
