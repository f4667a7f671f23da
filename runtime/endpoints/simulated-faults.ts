import type { CompletionRequest } from '../endpoint.js'
import { EndpointError } from '../endpoint.js'
import { isRetryableStatus } from './http-status.js'
import { seededRandom } from './prng.js'
import { show } from './show.js'

/**
 * What happens to one simulated request: `'ok'`, `'429'` (rate limited), `'500'` (server error),
 * `'hang'` (no answer until the caller aborts), or any HTTP error status.
 *
 * @example
 * ```ts
 * const faults: SimulatedFault[] = ['429', 'ok', { status: 503, retryAfterMs: 100 }]
 * ```
 */
export type SimulatedFault = 'ok' | '429' | '500' | 'hang' | { status: number; retryAfterMs?: number; message?: string }

/**
 * Faults of a simulated endpoint. Request `index` (0-based, in arrival order) takes
 * `sequence[index]` while there is one; after that, each request draws from a PRNG seeded with the
 * endpoint's `seed`: 429 with probability `rate429`, 500 with `rate500`, a hang with `rateHang`.
 *
 * @example
 * ```ts
 * simulated({ faults: { sequence: ['429', '429'], rate500: 0.01, retryAfterMs: 50 } })
 * ```
 */
export interface SimulatedFaultRates {
  rate429?: number
  /** `retryAfterMs` of simulated 429s (sent as if from a `retry-after-ms` header). */
  retryAfterMs?: number
  rate500?: number
  rateHang?: number
  sequence?: readonly SimulatedFault[]
}

/**
 * Faults as rates, or a function choosing the fault of each request.
 *
 * @example
 * ```ts
 * simulated({ faults: (request, index) => (index % 10 === 9 ? '500' : 'ok') })
 * ```
 */
export type SimulatedFaults = SimulatedFaultRates | ((request: CompletionRequest, index: number) => SimulatedFault)

/**
 * The fault chooser of one simulated endpoint (see {@link faultPicker}).
 *
 * @example
 * ```ts
 * const pick: FaultPicker = () => 'ok'
 * ```
 */
export type FaultPicker = (request: CompletionRequest, index: number) => SimulatedFault

/**
 * Checks `faults` and returns the function choosing each request's fault.
 *
 * @example
 * ```ts
 * const pick = faultPicker({ sequence: ['429', 'ok'] }, 0, 'sim')
 * pick(request, 0) // '429'
 * ```
 */
export function faultPicker(faults: SimulatedFaults | undefined, seed: number, label: string): FaultPicker {
  if (faults === undefined) return () => 'ok'
  if (typeof faults === 'function') {
    return (request, index) => {
      const fault = faults(request, index)
      checkFault(fault, `\`faults\` of ${label} to return`)
      return fault
    }
  }
  if (typeof faults !== 'object' || faults === null) {
    throw new TypeError(`Expected \`faults\` of ${label} to be an object of rates or a function, got ${show(faults)}`)
  }
  const rate429 = rate(faults.rate429, 'rate429', label)
  const rate500 = rate(faults.rate500, 'rate500', label)
  const rateHang = rate(faults.rateHang, 'rateHang', label)
  if (rate429 + rate500 + rateHang > 1) {
    throw new TypeError(`Expected \`faults.rate429 + rate500 + rateHang\` of ${label} to be at most 1, got ${rate429 + rate500 + rateHang}`)
  }
  const { retryAfterMs, sequence = [] } = faults
  if (retryAfterMs !== undefined && !(typeof retryAfterMs === 'number' && retryAfterMs >= 0 && Number.isFinite(retryAfterMs))) {
    throw new TypeError(`Expected \`faults.retryAfterMs\` of ${label} to be a number of milliseconds >= 0, got ${show(retryAfterMs)}`)
  }
  if (!Array.isArray(sequence)) throw new TypeError(`Expected \`faults.sequence\` of ${label} to be an array, got ${show(sequence)}`)
  for (const fault of sequence) checkFault(fault, `every item of \`faults.sequence\` of ${label} to be`)
  const random = seededRandom(seed ^ 0x5eed_fa17)
  return (_request, index) => {
    const scripted = sequence[index]
    if (scripted !== undefined) return scripted === '429' && retryAfterMs !== undefined ? { status: 429, retryAfterMs } : scripted
    if (rate429 + rate500 + rateHang === 0) return 'ok'
    const u = random()
    if (u < rate429) return retryAfterMs === undefined ? '429' : { status: 429, retryAfterMs }
    if (u < rate429 + rate500) return '500'
    if (u < rate429 + rate500 + rateHang) return 'hang'
    return 'ok'
  }
}

/**
 * The error a simulated fault throws: an `EndpointError` shaped like the `openai` endpoint's
 * (status, `retryable` by the same rule, `retryAfterMs`).
 *
 * @example
 * ```ts
 * faultError('429', 'simulated "sim"') // EndpointError, status 429, retryable
 * ```
 */
export function faultError(fault: Exclude<SimulatedFault, 'ok' | 'hang'>, where: string): EndpointError {
  const { status, retryAfterMs, message } =
    fault === '429' ? { status: 429, retryAfterMs: undefined, message: undefined } : fault === '500' ? { status: 500, retryAfterMs: undefined, message: undefined } : fault
  const text = message ?? (status === 429 ? 'Rate limit reached' : status >= 500 ? 'Internal server error' : 'Request failed')
  const options = retryAfterMs === undefined ? { status, retryable: isRetryableStatus(status) } : { status, retryable: isRetryableStatus(status), retryAfterMs }
  return new EndpointError(`${where}: ${status} ${text} (simulated fault)`, options)
}

function rate(value: unknown, name: string, label: string): number {
  if (value === undefined) return 0
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new TypeError(`Expected \`faults.${name}\` of ${label} to be a number from 0 to 1, got ${show(value)}`)
  }
  return value
}

function checkFault(fault: unknown, expectation: string): asserts fault is SimulatedFault {
  if (fault === 'ok' || fault === '429' || fault === '500' || fault === 'hang') return
  if (typeof fault === 'object' && fault !== null) {
    const { status, retryAfterMs } = fault as { status?: unknown; retryAfterMs?: unknown }
    const statusOk = typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599
    const retryOk = retryAfterMs === undefined || (typeof retryAfterMs === 'number' && retryAfterMs >= 0)
    if (statusOk && retryOk) return
  }
  throw new TypeError(`Expected ${expectation} 'ok', '429', '500', 'hang' or { status: 400..599, retryAfterMs? }, got ${show(fault)}`)
}
