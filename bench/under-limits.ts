/**
 * The scenarios under endpoint limits, against a mock server that keeps a request log: S3 (a
 * capped batch against its makespan lower bound and a p-limit baseline), critical path first vs
 * FIFO, and soak throughput under faults and an rpm limit. Each returns rows for the report's
 * "Under endpoint limits" table, spreads and notes. See bench/README.md.
 */
import OpenAI from 'openai'
import { time } from './lib/interleave.js'
import type { MockServerProcess, ServerLog } from './lib/mock-server.js'
import { ms, ratio, verdict } from './lib/report.js'
import { loadsByModel, twoStageBound, type ModelLoad } from './lib/server-log.js'
import { median, pairedRatio, range } from './lib/stats.js'
import { priorityBound, priorityPipeline, priorityShape, priorityTopics } from './scenarios/priority.js'
import { S3_ITEMS, s3Baseline, s3Caps, s3Inputs, s3Latency, s3Plait } from './scenarios/s3-capped-batch.js'
import { soakFaults, soakPipeline, soakShape } from './scenarios/soak.js'

export const LIMIT_TARGETS = { boundRatio: 1.05, baselineRatio: 1, priorityRatio: 0.8, soakRateLow: 0.8, soakRateHigh: 1.05 }

/** What a section adds to the report. */
export interface Section {
  rows: string[][]
  spreads: string[][]
  notes: string[]
}

const progress = (text: string) => process.stderr.write(`bench: ${text}\n`)
const spread = (samples: number[]) => {
  const { min, max } = range(samples)
  return `${min.toFixed(0)}–${max.toFixed(0)}`
}

/** A timed run with the server's log of it; `startedAt` / `endedAt` on this process's clock, around `body` only. */
interface LoggedSample<T> {
  wall: number
  cpu: number
  value: T
  log: ServerLog
  startedAt: number
  endedAt: number
  /** How long starting `body` held the event loop: until a `setImmediate` queued just before it ran. */
  blockedMs: number
}

/** Resets the server, runs `body` timed (full GC first), waits for the server to go idle and reads its log. */
async function timedWithLog<T>(server: MockServerProcess, body: () => Promise<T>): Promise<LoggedSample<T>> {
  await server.reset()
  let startedAt = 0
  let endedAt = 0
  let blockedMs = 0
  const sample = await time(async () => {
    startedAt = performance.now()
    setImmediate(() => (blockedMs = performance.now() - startedAt))
    const value = await body()
    endedAt = performance.now()
    return value
  })
  await server.whenIdle()
  return { ...sample, log: await server.log(), startedAt, endedAt, blockedMs }
}

/** How long the client took before its first request reached the server, and after the last reply left it. */
function clientEdges(sample: LoggedSample<unknown>): { beforeFirst: number; afterLast: number } {
  const shift = sample.log.toClientClock
  const first = Math.min(...sample.log.entries.map((entry) => entry.startedAt)) + shift
  const last = Math.max(...sample.log.entries.map((entry) => entry.endedAt ?? entry.startedAt)) + shift
  return { beforeFirst: first - sample.startedAt, afterLast: sample.endedAt - last }
}

function describeLoad(name: string, load: ModelLoad | undefined, cap: number, busyUntilMs?: number): string {
  if (!load) return `${name}: no requests`
  const gaps = load.handovers(cap)
  const summary = (list: typeof gaps) =>
    list.length === 0 ? 'none' : `median ${median(list.map((each) => each.gapMs)).toFixed(1)} ms, mean ${(list.reduce((sum, each) => sum + each.gapMs, 0) / list.length).toFixed(1)} ms over ${list.length}`
  const turnaround =
    busyUntilMs === undefined
      ? summary(gaps)
      : `${summary(gaps.filter((each) => each.arrivalMs < busyUntilMs))} while fast was still running, ${summary(gaps.filter((each) => each.arrivalMs >= busyUntilMs))} after`
  return `${name} ${load.requests} requests, service ${load.medianServiceMs.toFixed(1)} ms median (min ${load.minServiceMs.toFixed(1)}), ${load.maxInFlight} in flight at most (cap ${cap}), first arrival +${load.firstStartMs.toFixed(0)} ms, last reply +${load.lastEndMs.toFixed(0)} ms, slots busy ${(load.utilization(cap) * 100).toFixed(1)}%, reply → next request on the freed slot ${turnaround}`
}

/**
 * S3: 200 × extract-and-compare in one batch, fast capped at 20, smart at 5; plait against the
 * lower bound computed from the server's log of the same run, and against two p-limit limiters.
 */
export async function s3Section(server: MockServerProcess, reps: number): Promise<Section> {
  await server.setLatency(s3Latency)
  const plait = s3Plait(server.url)
  const baseline = s3Baseline(new OpenAI({ baseURL: server.url, apiKey: 'bench', maxRetries: 0 }))
  const inputs = s3Inputs(S3_ITEMS)
  progress(`S3: warm-up (20 items per side), then ${reps} interleaved repetitions of ${S3_ITEMS} items (≈ 8 s each)`)
  const warm = s3Inputs(20)
  await plait(warm)
  await baseline(warm)

  const samples = { plait: [] as number[], baseline: [] as number[], plaitCpu: [] as number[], baselineCpu: [] as number[] }
  const bounds: number[] = []
  const measuredBounds: number[] = []
  const notes: string[] = []
  const overCap: string[] = []
  const edges = {
    plait: { before: [] as number[], after: [] as number[], blocked: [] as number[] },
    baseline: { before: [] as number[], after: [] as number[], blocked: [] as number[] },
  }
  for (let rep = 0; rep < reps; rep++) {
    const ours = await timedWithLog(server, () => plait(inputs))
    const theirs = await timedWithLog(server, () => baseline(inputs))
    if (rep === 0 && JSON.stringify(ours.value) !== JSON.stringify(theirs.value)) throw new Error('S3: plait and the baseline gave different outputs.')
    samples.plait.push(ours.wall)
    samples.plaitCpu.push(ours.cpu)
    samples.baseline.push(theirs.wall)
    samples.baselineCpu.push(theirs.cpu)
    for (const [side, sample] of [['plait', ours], ['baseline', theirs]] as const) {
      const edge = clientEdges(sample)
      edges[side].before.push(edge.beforeFirst)
      edges[side].after.push(edge.afterLast)
      edges[side].blocked.push(sample.blockedMs)
      const loads = loadsByModel(sample.log.entries)
      const fast = loads.get('fast')
      const smart = loads.get('smart')
      if (!fast || !smart) throw new Error(`S3: the server saw no ${fast ? 'smart' : 'fast'} requests from ${side}.`)
      for (const [model, load] of [['fast', fast], ['smart', smart]] as const) {
        if (load.maxInFlight > s3Caps[model]) overCap.push(`${side} rep ${rep + 1}: ${model} ${load.maxInFlight} in flight > cap ${s3Caps[model]}`)
      }
      if (side === 'plait') {
        bounds.push(twoStageBound({ requests: fast.requests, cap: s3Caps.fast, latencyMs: s3Latency.fast }, { requests: smart.requests, cap: s3Caps.smart, latencyMs: s3Latency.smart }).bound)
        measuredBounds.push(
          twoStageBound({ requests: fast.requests, cap: s3Caps.fast, latencyMs: fast.medianServiceMs }, { requests: smart.requests, cap: s3Caps.smart, latencyMs: smart.medianServiceMs }).bound,
        )
      }
      if (rep === Math.floor(reps / 2)) {
        const span = Math.max(fast.lastEndMs, smart.lastEndMs)
        notes.push(`S3 ${side}, repetition ${rep + 1} (wall ${ms(sample.wall)}; at the server first arrival to last reply ${ms(span)}): ${describeLoad('fast', fast, s3Caps.fast)}; ${describeLoad('smart', smart, s3Caps.smart, fast.lastEndMs)}.`)
      }
    }
  }
  const plaitMedian = median(samples.plait)
  const baselineMedian = median(samples.baseline)
  const bound = median(bounds)
  const measuredBound = median(measuredBounds)
  const bound0 = twoStageBound({ requests: 2 * S3_ITEMS, cap: s3Caps.fast, latencyMs: s3Latency.fast }, { requests: S3_ITEMS, cap: s3Caps.smart, latencyMs: s3Latency.smart })
  notes.unshift(
    `S3 bound: from the server log, ${2 * S3_ITEMS} fast and ${S3_ITEMS} smart requests per run (no retries); max(fast: ceil(F/20) × 100 + 200 = ${bound0.stage1Ms} ms, smart: 100 + ceil(S/5) × 200 = ${bound0.stage2Ms} ms) = ${ms(bound)}. With the median service times the server measured instead of the nominal latencies: ${ms(measuredBound)} (plait / that: ${ratio(plaitMedian / measuredBound)}).`,
  )
  const edgeText = (side: 'plait' | 'baseline') =>
    `${side} ${ms(median(edges[side].before))} before its first request reached the server (starting the ${S3_ITEMS} items held the event loop ${ms(median(edges[side].blocked))}) and ${ms(median(edges[side].after))} after the last reply left it`
  notes.push(`S3, client time outside the server's busy span (medians; clocks aligned through performance.timeOrigin): ${edgeText('plait')}; ${edgeText('baseline')}.`)
  notes.push(overCap.length === 0 ? 'S3: the server never saw more requests of a model in flight than its cap, on either side.' : `S3: over the cap: ${overCap.join('; ')}.`)
  const caption = `S3 capped batch: ${S3_ITEMS} × extract-and-compare in one batch(), fast (100 ms) ≤ 20 in flight, smart (200 ms) ≤ 5`
  return {
    rows: [
      [`${caption}, vs the makespan lower bound`, ms(plaitMedian), `bound ${ms(bound)}`, ratio(plaitMedian / bound), `≤ ${LIMIT_TARGETS.boundRatio}× bound`, verdict(plaitMedian / bound <= LIMIT_TARGETS.boundRatio && overCap.length === 0)],
      [`${caption}, vs p-limit + openai SDK`, ms(plaitMedian), ms(baselineMedian), ratio(plaitMedian / baselineMedian), `≤ ${LIMIT_TARGETS.baselineRatio}× baseline (no worse)`, verdict(plaitMedian / baselineMedian <= LIMIT_TARGETS.baselineRatio)],
    ],
    spreads: [
      ['S3 capped batch (plait / p-limit baseline)', spread(samples.plait), spread(samples.baseline), ratio(pairedRatio(samples.plait, samples.baseline)), `${median(samples.plaitCpu).toFixed(0)} / ${median(samples.baselineCpu).toFixed(0)}`, String(reps)],
    ],
    notes,
  }
}

/** The same batch under critical-path-first and FIFO scheduling, interleaved. */
export async function prioritySection(server: MockServerProcess, reps: number): Promise<Section> {
  const shape = priorityShape
  await server.setLatency(shape.latencyMs)
  const criticalPath = priorityPipeline(server.url, 'critical-path')
  const fifo = priorityPipeline(server.url, 'fifo')
  const topics = priorityTopics(shape.items)
  progress(`critical path vs FIFO: warm-up, then ${reps} interleaved repetitions`)
  const [a, b] = [await criticalPath(topics), await fifo(topics)]
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error('priority: critical-path and fifo gave different outputs.')
  const samples = { cp: [] as number[], fifo: [] as number[], cpCpu: [] as number[], fifoCpu: [] as number[] }
  let maxInFlight = 0
  const timelines: string[] = []
  for (let rep = 0; rep < reps; rep++) {
    for (const [side, run] of [['cp', criticalPath], ['fifo', fifo]] as const) {
      const sample = await timedWithLog(server, () => run(topics))
      if (rep === Math.floor(reps / 2)) timelines.push(`${side === 'cp' ? 'critical-path' : 'fifo'} (wall ${ms(sample.wall)}): ${chainTimeline(sample, topics)}`)
      samples[side].push(sample.wall)
      samples[side === 'cp' ? 'cpCpu' : 'fifoCpu'].push(sample.cpu)
      const loads = loadsByModel(sample.log.entries)
      maxInFlight = Math.max(maxInFlight, loads.get('main')?.maxInFlight ?? 0)
    }
  }
  const cp = median(samples.cp)
  const ff = median(samples.fifo)
  const bound = priorityBound(shape)
  const calls = shape.items * (shape.chain + shape.shorts)
  const caption = `${shape.items} items × (chain of ${shape.chain} + ${shape.shorts} independent calls), one endpoint (${shape.latencyMs} ms) ≤ ${shape.cap} in flight`
  return {
    rows: [
      [`Critical path first vs FIFO: ${caption}`, `critical-path ${ms(cp)}`, `fifo ${ms(ff)}`, ratio(cp / ff), `critical-path ≤ ${LIMIT_TARGETS.priorityRatio}× fifo`, verdict(cp / ff <= LIMIT_TARGETS.priorityRatio && maxInFlight <= shape.cap)],
      [`…the same batch against its lower bound max(chain, ceil(${calls} calls / ${shape.cap})) × ${shape.latencyMs} ms`, `critical-path ${ms(cp)}`, `bound ${ms(bound)}`, ratio(cp / bound), `for information (fifo: ${ratio(ff / bound)})`, '—'],
    ],
    spreads: [['Critical path (critical-path / fifo)', spread(samples.cp), spread(samples.fifo), ratio(pairedRatio(samples.cp, samples.fifo)), `${median(samples.cpCpu).toFixed(0)} / ${median(samples.fifoCpu).toFixed(0)}`, String(reps)]],
    notes: [
      `Critical path vs FIFO: the server saw at most ${maxInFlight} requests in flight (cap ${shape.cap}); ${calls} calls per batch. Repetition ${Math.floor(reps / 2) + 1}, times from the batch() call, from the server's log: ${timelines.join('; ')}.`,
    ],
  }
}

/** When each item's chain started and ended, and when the last independent call ended (ms from the batch() call). */
function chainTimeline(sample: LoggedSample<unknown>, topics: string[]): string {
  const at = (time: number) => Math.round(time + sample.log.toClientClock - sample.startedAt)
  const starts: number[] = []
  const ends: number[] = []
  for (const topic of topics) {
    const first = sample.log.entries.find((entry) => entry.head.startsWith(`Draft 1 on ${topic}`))
    const last = sample.log.entries.find((entry) => entry.head.startsWith(`Draft ${priorityShape.chain} on ${topic}:`))
    starts.push(first ? at(first.startedAt) : Number.NaN)
    ends.push(last ? at(last.endedAt ?? last.startedAt) : Number.NaN)
  }
  const checks = sample.log.entries.filter((entry) => entry.head.startsWith('Aspect '))
  const lastCheck = Math.max(...checks.map((entry) => at(entry.endedAt ?? entry.startedAt)))
  return `chains started at ${starts.map((value) => `+${value}`).join(' / ')} ms and ended at ${ends.map((value) => `+${value}`).join(' / ')} ms; the last independent call ended at +${lastCheck} ms`
}

/** One timed soak run: throughput against the rpm limit, retries, wall time. */
export async function soakSection(server: MockServerProcess): Promise<Section> {
  const shape = soakShape
  await server.setLatency(shape.latencyMs)
  await server.setFaults(undefined)
  const soak = soakPipeline(server.url)
  await soak.warmUp()
  await server.whenIdle()
  await server.reset()
  await server.setFaults(soakFaults)
  progress(`soak: ${shape.items} items, 20% 429, 5% 500, 2% hangs, rpm ${shape.rpm} (≈ 12 s)`)
  const client = await soak.run()
  await server.whenIdle()
  const log = await server.log()
  await server.setFaults(undefined)

  const entries = log.entries
  const requests = entries.length
  const statuses: Record<string, number> = {}
  for (const entry of entries) {
    const key = entry.status === undefined ? (entry.clientClosed ? 'closed by client' : 'none') : String(entry.status)
    statuses[key] = (statuses[key] ?? 0) + 1
  }
  const successes = new Map<number, number>()
  for (const entry of entries) if (entry.status === 200) successes.set(entry.tag, (successes.get(entry.tag) ?? 0) + 1)
  const exactlyOnce = successes.size === shape.items && [...successes.values()].every((count) => count === 1)
  // Rate over the steady part, as the soak test does: arrivals between the 10th and 90th percentile.
  const arrivals = entries.map((entry) => entry.startedAt).sort((x, y) => x - y)
  const from = Math.floor(arrivals.length * 0.1)
  const to = Math.floor(arrivals.length * 0.9)
  const steadyRpm = ((to - from) / (arrivals[to]! - arrivals[from]!)) * 60_000
  const serverSpan = arrivals[arrivals.length - 1]! - arrivals[0]!
  const overallRps = requests / (client.wallMs / 1000)
  // The least wall time the rpm limit allows for this many requests: the burst at once, the rest paced.
  const paceMs = (Math.max(0, requests - shape.burst) / shape.rpm) * 60_000
  const maxInFlight = loadsByModel(entries).get('soak')?.maxInFlight ?? 0
  const ok = client.failed === 0 && client.mismatched === 0 && exactlyOnce && maxInFlight <= shape.maxConcurrent
  const rateOk = steadyRpm >= shape.rpm * LIMIT_TARGETS.soakRateLow && steadyRpm <= shape.rpm * LIMIT_TARGETS.soakRateHigh
  const retries = client.attempts - shape.items
  const retriesBy = Object.entries(client.retriesBy)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([why, count]) => `${count} after ${why}`)
    .join(', ')
  return {
    rows: [
      [
        `Soak: ${shape.items.toLocaleString('en-US')} items, 20% 429 (retry-after 30 ms), 5% 500, 2% hangs (timeoutMs ${shape.timeoutMs}), rpm ${shape.rpm.toLocaleString('en-US')}, ≤ ${shape.maxConcurrent} in flight: request rate, steady part`,
        `${(steadyRpm / 60).toFixed(1)} req/s (${Math.round(steadyRpm)} rpm)`,
        `limit ${(shape.rpm / 60).toFixed(1)} req/s`,
        ratio(steadyRpm / shape.rpm),
        `${LIMIT_TARGETS.soakRateLow}–${LIMIT_TARGETS.soakRateHigh}× rpm; every item once, ≤ ${shape.maxConcurrent} in flight`,
        verdict(ok && rateOk),
      ],
      [
        '…wall time of the whole batch, against what rpm alone allows for the requests made',
        `${ms(client.wallMs)} (${overallRps.toFixed(1)} req/s overall)`,
        `${ms(paceMs)} (${requests} requests at rpm)`,
        ratio(client.wallMs / paceMs),
        `for information: ${retries} retries (${retriesBy})`,
        '—',
      ],
    ],
    spreads: [],
    notes: [
      `Soak: ${requests} requests at the server in ${ms(serverSpan)} from first to last arrival (${client.attempts} attempts counted by the client); statuses ${JSON.stringify(statuses)}; ${client.failed} items failed, ${client.mismatched} with another item's reply; successes ${exactlyOnce ? 'exactly once per item' : `NOT once per item (${successes.size} items succeeded)`}; at most ${maxInFlight} in flight at the server (cap ${shape.maxConcurrent}); the endpoint's effective rpm (adaptive, halved on 429) averaged ${(client.rateFactorMean * 100).toFixed(0)}% of the limit (lowest ${(client.rateFactorMin * 100).toFixed(1)}%); client CPU ${ms(client.cpuMs)}.`,
    ],
  }
}
