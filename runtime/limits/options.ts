/**
 * The limit options every endpoint takes (`openai()`, `simulated()`, `defineEndpoint()`), their
 * defaults, and their checks. The limits live on the endpoint object: every run, batch item and
 * pipeline using the object shares them.
 */
import type { EndpointLimits, RetryPolicy } from '../endpoint.js'
import { show } from '../endpoints/show.js'

/**
 * How failed attempts are retried: `attempts` in all (the first one included), waiting between
 * them with exponential backoff and full jitter: before retry `n` (1-based) a random delay from 0
 * to `min(maxMs, baseMs * 2 ** (n - 1))`, but never less than the server's `retry-after`.
 *
 * @example
 * ```ts
 * const retries: RetryOptions = { attempts: 6, baseMs: 250, maxMs: 10_000 }
 * openai({ model: 'gpt-4o-mini', retries })
 * ```
 */
export interface RetryOptions {
  /** Attempts in all, the first one included; 1 means no retries. Default 4. */
  attempts?: number
  /** Backoff before the first retry is drawn from 0..`baseMs`, doubling each retry. Default 500. */
  baseMs?: number
  /**
   * The backoff never draws above this. It also bounds the server's `retry-after`: when a server
   * asks to wait longer than `maxMs`, plait stops retrying that endpoint at once (and goes on to
   * its `fallbacks`, if any) rather than sleep that long. Default 30,000.
   */
  maxMs?: number
}

/**
 * How many requests or tokens may go at once before pacing starts: the capacity of the token
 * buckets behind `rpm` and `tpm`. A number sets the requests.
 *
 * @example
 * ```ts
 * const burst: BurstOptions = { requests: 5, tokens: 20_000 }
 * ```
 */
export interface BurstOptions {
  /** Requests that may start at once when the `rpm` bucket is full. Default: one second's worth, `max(1, floor(rpm / 60))`. */
  requests?: number
  /** Tokens that may go at once when the `tpm` bucket is full. Default: one second's worth, `max(1, tpm / 60)`. */
  tokens?: number
}

/**
 * Limits of one endpoint object, shared by everything that uses it.
 *
 * Order of a request: it waits in the endpoint's queue (highest priority first, then first come)
 * until a concurrency slot is free **and** the `rpm` / `tpm` buckets allow it; both are taken at
 * the same moment and the request is sent. So waiting for a rate limit never holds a slot, and the
 * server sees requests at the paced rate (a slot taken before pacing would idle; pacing before
 * taking a slot would let paced requests pile up behind the slots and go out in bursts).
 *
 * @example
 * ```ts
 * openai({
 *   model: 'gpt-4o-mini',
 *   maxConcurrent: 20,
 *   rpm: 500,
 *   tpm: 200_000,
 *   timeoutMs: 30_000,
 *   retries: { attempts: 4 },
 *   fallbacks: ['backup'],
 * })
 * ```
 */
export interface EndpointLimitOptions {
  /** Most requests in flight at once. Default 8 (`simulated()`: 64). */
  maxConcurrent?: number
  /**
   * Requests per minute, paced before each request as a token bucket (every attempt counts).
   * Any positive rate works: 30 means one request every 2 s. Default: no limit.
   *
   * @example
   * ```ts
   * simulated({ rpm: 60, burst: 1 }) // one request a second
   * ```
   */
  rpm?: number
  /**
   * Tokens per minute, paced before each request as a token bucket. A request is charged an
   * estimate before it goes (prompt characters / 4, plus `maxTokens` or 256 for the reply), which
   * is corrected with the usage the endpoint reports. Default: no limit.
   *
   * @example
   * ```ts
   * openai({ model: 'gpt-4o-mini', tpm: 200_000 })
   * ```
   */
  tpm?: number
  /**
   * How much may go at once before pacing starts (the capacity of the `rpm` / `tpm` buckets).
   * A number is requests. Default: one second's worth of each rate (`rpm / 60` requests, at
   * least 1; `tpm / 60` tokens). Needs `rpm` or `tpm`.
   *
   * @example
   * ```ts
   * simulated({ rpm: 600, burst: 1 }) // strictly one request every 100 ms
   * ```
   */
  burst?: number | BurstOptions
  /**
   * Retries of failed attempts: 429, 5xx, timeouts and connection errors (errors whose
   * `retryable` is true). 400, 401, 403, 404, 422 and invalid replies fail at once. `false` turns
   * retries off. Default `{ attempts: 4, baseMs: 500, maxMs: 30_000 }`.
   *
   * @example
   * ```ts
   * openai({ model: 'gpt-4o-mini', retries: { attempts: 6 } })
   * simulated({ retries: false })
   * ```
   */
  retries?: RetryOptions | false
  /**
   * Per-attempt timeout in milliseconds: an attempt taking longer is aborted and fails with a
   * retryable error naming the limit (so it counts as an attempt and is retried). The clock starts
   * when the attempt is admitted (waiting in the queue does not count); a reply that is already in
   * the socket when the timer fires (after an event-loop stall) is still taken. Default: none (the
   * `openai` SDK's own 10-minute timeout still applies to `openai()`).
   *
   * @example
   * ```ts
   * openai({ model: 'gpt-4o-mini', timeoutMs: 30_000 })
   * ```
   */
  timeoutMs?: number
  /**
   * Aliases of other endpoints to try, in order, when this endpoint's attempts are used up by
   * retryable failures (or the server asks to wait longer than `retries.maxMs`). Each fallback
   * gets its own attempts, limits and retries; its own `fallbacks` are not followed. Errors that
   * no retry can fix (400, 401, 422, invalid replies) fail at once without fallback. Aliases are
   * checked when the pipeline is bound. Default none.
   *
   * @example
   * ```ts
   * const endpoints = {
   *   main: openai({ model: 'gpt-4o', fallbacks: ['backup'] }),
   *   backup: openai({ model: 'gpt-4o-mini' }),
   * }
   * ```
   */
  fallbacks?: readonly string[]
  /**
   * Adaptive limits (AIMD). A 429 halves the endpoint's effective concurrency (down to 1) and its
   * effective `rpm` / `tpm` (down to 1/64 of the configured rate); each success adds back
   * `1 / current` slots (about one slot per round of requests) and 1/10 of the configured rate,
   * never above what was configured. A 429 lowers the limits only if its request was sent after
   * the last decrease and at least 1 s has passed since it, so a burst of 429s halves them once,
   * and scattered 429s (a server shedding a fixed share of requests) do not grind the endpoint
   * down. Errors other than 429 leave the limits alone. Read them at `endpoint.effectiveLimits`.
   * Default `true`.
   *
   * @example
   * ```ts
   * openai({ model: 'gpt-4o-mini', rpm: 500, adaptive: false }) // keep the configured limits
   * ```
   */
  adaptive?: boolean
}

/** Default retry policy: 4 attempts, backoff from 500 ms doubling, at most 30 s. */
export const DEFAULT_RETRIES: Readonly<RetryPolicy> = Object.freeze({ attempts: 4, baseMs: 500, maxMs: 30_000 })

/** The completion tokens assumed for a request without `maxTokens`, before usage is known. */
export const DEFAULT_COMPLETION_TOKENS = 256

/**
 * Checks the limit options and gives the endpoint's configured limits (frozen), with defaults.
 * `label` names the endpoint in errors ("openai endpoint "gpt-4o-mini"").
 *
 * @example
 * ```ts
 * normalizeLimits({ rpm: 60 }, 'simulated endpoint "m"', 8)
 * // { maxConcurrent: 8, rpm: 60, burst: { requests: 1 }, retries: { attempts: 4, ... }, fallbacks: [], adaptive: true }
 * ```
 */
export function normalizeLimits(options: EndpointLimitOptions, label: string, defaultMaxConcurrent: number): EndpointLimits {
  const { maxConcurrent = defaultMaxConcurrent, rpm, tpm, burst, retries, timeoutMs, fallbacks = [], adaptive = true } = options
  if (typeof maxConcurrent !== 'number' || !Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
    throw new TypeError(`Expected \`maxConcurrent\` of the ${label} to be a positive integer, got ${show(maxConcurrent)}`)
  }
  const positive = (value: unknown, name: string, what: string): value is number => {
    if (value === undefined) return false
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
      throw new TypeError(`Expected \`${name}\` of the ${label} to be a positive number of ${what}, got ${show(value)}`)
    }
    return true
  }
  const limits: EndpointLimits = { maxConcurrent, retries: retryPolicy(retries, label), fallbacks: [], adaptive: true }
  if (positive(rpm, 'rpm', 'requests per minute (30 = one request every 2 s)')) limits.rpm = rpm
  if (positive(tpm, 'tpm', 'tokens per minute')) limits.tpm = tpm
  if (positive(timeoutMs, 'timeoutMs', 'milliseconds')) limits.timeoutMs = timeoutMs
  if (burst !== undefined && limits.rpm === undefined && limits.tpm === undefined) {
    throw new TypeError(`Expected \`rpm\` or \`tpm\` of the ${label} with \`burst\`: burst is how much of a rate may go at once`)
  }
  if (limits.rpm !== undefined || limits.tpm !== undefined) limits.burst = burstOf(burst, limits.rpm, limits.tpm, label)
  if (!Array.isArray(fallbacks) || !fallbacks.every((alias) => typeof alias === 'string' && alias !== '')) {
    throw new TypeError(`Expected \`fallbacks\` of the ${label} to be an array of endpoint aliases, got ${show(fallbacks)}`)
  }
  const duplicate = fallbacks.find((alias, index) => fallbacks.indexOf(alias) !== index)
  if (duplicate !== undefined) throw new TypeError(`Expected \`fallbacks\` of the ${label} to name each alias once, got ${show(duplicate)} twice`)
  limits.fallbacks = Object.freeze([...fallbacks])
  if (typeof adaptive !== 'boolean') throw new TypeError(`Expected \`adaptive\` of the ${label} to be true or false, got ${show(adaptive)}`)
  limits.adaptive = adaptive
  return Object.freeze(limits)
}

function retryPolicy(retries: RetryOptions | false | undefined, label: string): RetryPolicy {
  if (retries === undefined) return DEFAULT_RETRIES
  if (retries === false) return Object.freeze({ ...DEFAULT_RETRIES, attempts: 1 })
  if (typeof retries !== 'object' || retries === null || Array.isArray(retries)) {
    throw new TypeError(`Expected \`retries\` of the ${label} to be { attempts?, baseMs?, maxMs? } or false, got ${show(retries)}`)
  }
  const { attempts = DEFAULT_RETRIES.attempts, baseMs = DEFAULT_RETRIES.baseMs, maxMs = Math.max(DEFAULT_RETRIES.maxMs, baseMs) } = retries
  if (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 1) {
    throw new TypeError(`Expected \`retries.attempts\` of the ${label} to be a positive integer (attempts in all, 1 = no retries), got ${show(attempts)}`)
  }
  if (typeof baseMs !== 'number' || !(baseMs >= 0) || !Number.isFinite(baseMs)) {
    throw new TypeError(`Expected \`retries.baseMs\` of the ${label} to be a number of milliseconds >= 0, got ${show(baseMs)}`)
  }
  if (typeof maxMs !== 'number' || !(maxMs >= baseMs) || !Number.isFinite(maxMs)) {
    throw new TypeError(`Expected \`retries.maxMs\` of the ${label} to be a number of milliseconds >= retries.baseMs (${baseMs}), got ${show(maxMs)}`)
  }
  return Object.freeze({ attempts, baseMs, maxMs })
}

function burstOf(burst: number | BurstOptions | undefined, rpm: number | undefined, tpm: number | undefined, label: string): { requests?: number; tokens?: number } {
  const given: BurstOptions = typeof burst === 'number' ? { requests: burst } : burst ?? {}
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new TypeError(`Expected \`burst\` of the ${label} to be a number of requests or { requests?, tokens? }, got ${show(burst)}`)
  }
  const result: { requests?: number; tokens?: number } = {}
  if (rpm !== undefined) {
    const requests = given.requests ?? Math.max(1, Math.floor(rpm / 60))
    if (typeof requests !== 'number' || !Number.isInteger(requests) || requests < 1) {
      throw new TypeError(`Expected \`burst\` (requests) of the ${label} to be a positive integer, got ${show(requests)}`)
    }
    result.requests = requests
  } else if (given.requests !== undefined) {
    throw new TypeError(`Expected \`rpm\` of the ${label} with \`burst.requests\``)
  }
  if (tpm !== undefined) {
    const tokens = given.tokens ?? Math.max(1, tpm / 60)
    if (typeof tokens !== 'number' || !(tokens >= 1) || !Number.isFinite(tokens)) {
      throw new TypeError(`Expected \`burst.tokens\` of the ${label} to be a number of tokens >= 1, got ${show(tokens)}`)
    }
    result.tokens = tokens
  } else if (given.tokens !== undefined) {
    throw new TypeError(`Expected \`tpm\` of the ${label} with \`burst.tokens\``)
  }
  return Object.freeze(result)
}
