/**
 * What the mock server's log says about one run: requests per model, how long each took at the
 * server, how many were in flight at once, and how busy each model's slots were. Times are the
 * server process's clock, so only differences are used.
 */
import type { SlimLogEntry } from './mock-server.js'
import { median } from './stats.js'

/** One model's requests as the server saw them. */
export interface ModelLoad {
  requests: number
  /** Median and smallest time from arrival to response at the server (ms). */
  medianServiceMs: number
  minServiceMs: number
  /** Most requests of this model in flight at once (from the log's intervals). */
  maxInFlight: number
  /** Arrival of the first and end of the last request, relative to the first arrival of any model (ms). */
  firstStartMs: number
  lastEndMs: number
  /** Sum of service times over (cap × span from first arrival to last end of this model). */
  utilization: (cap: number) => number
  /**
   * Time from a reply leaving the server to the request that took its slot arriving, for each
   * arrival beyond the first `cap`: the (i+1)-th such arrival against the i-th end, which is what
   * freed a slot for it while requests were queued at the client. Client turnaround plus loopback
   * both ways. `arrivalMs` is relative to the first arrival of any model, as `firstStartMs`.
   */
  handovers: (cap: number) => Array<{ arrivalMs: number; gapMs: number }>
}

/** Requests per model from the log, with service times, concurrency and span. */
export function loadsByModel(entries: readonly SlimLogEntry[]): Map<string, ModelLoad> {
  const origin = Math.min(...entries.map((entry) => entry.startedAt))
  const byModel = new Map<string, SlimLogEntry[]>()
  for (const entry of entries) byModel.set(entry.model, [...(byModel.get(entry.model) ?? []), entry])
  const loads = new Map<string, ModelLoad>()
  for (const [model, list] of byModel) {
    const service = list.map((entry) => (entry.endedAt ?? entry.startedAt) - entry.startedAt)
    const firstStart = Math.min(...list.map((entry) => entry.startedAt))
    const lastEnd = Math.max(...list.map((entry) => entry.endedAt ?? entry.startedAt))
    const busy = service.reduce((sum, value) => sum + value, 0)
    loads.set(model, {
      requests: list.length,
      medianServiceMs: median(service),
      minServiceMs: Math.min(...service),
      maxInFlight: maxOverlap(list),
      firstStartMs: firstStart - origin,
      lastEndMs: lastEnd - origin,
      utilization: (cap) => busy / (cap * (lastEnd - firstStart)),
      handovers: (cap) => {
        const arrivals = list.map((entry) => entry.startedAt).sort((a, b) => a - b)
        const ends = list.map((entry) => entry.endedAt ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b)
        return arrivals.slice(cap).map((arrival, index) => ({ arrivalMs: arrival - origin, gapMs: arrival - ends[index]! }))
      },
    })
  }
  return loads
}

function maxOverlap(list: readonly SlimLogEntry[]): number {
  // Ends sort before starts at the same instant: a request that ended frees its slot for one that arrives then.
  const events = list.flatMap((entry) => [
    [entry.startedAt, 1],
    [entry.endedAt ?? Number.POSITIVE_INFINITY, -1],
  ])
  events.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!)
  let now = 0
  let most = 0
  for (const [, step] of events) most = Math.max(most, (now += step!))
  return most
}

/**
 * The least makespan of S3's shape, extract (stage 1) then compare (stage 2), on capped
 * endpoints: every stage-2 request needs stage-1 replies, at most `cap` requests of a stage are
 * in flight at once and each takes at least `latencyMs`. See bench/README.md (S3) for the
 * derivation.
 *
 * - stage 2 cannot start before one stage-1 request has finished, and its `requests` then take at
 *   least ceil(requests / cap) back-to-back latencies on some slot;
 * - the last stage-1 request ends no earlier than ceil(requests / cap) latencies, and the stage-2
 *   request that needs it still follows.
 *
 * @example
 * ```ts
 * twoStageBound({ requests: 400, cap: 20, latencyMs: 100 }, { requests: 200, cap: 5, latencyMs: 200 })
 * // { bound: 8100, stage1Ms: 2200, stage2Ms: 8100 }
 * ```
 */
export function twoStageBound(
  first: { requests: number; cap: number; latencyMs: number },
  second: { requests: number; cap: number; latencyMs: number },
): { bound: number; stage1Ms: number; stage2Ms: number } {
  const rounds = (stage: { requests: number; cap: number }) => Math.ceil(stage.requests / stage.cap)
  const stage1Ms = rounds(first) * first.latencyMs + second.latencyMs
  const stage2Ms = first.latencyMs + rounds(second) * second.latencyMs
  return { bound: Math.max(stage1Ms, stage2Ms), stage1Ms, stage2Ms }
}
