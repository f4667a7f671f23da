import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LLMInference, Module, type NodeRecord } from 'plait'
import { simulated } from 'plait/endpoints'
import { inProcessBackend } from '../../runtime/backend.js'
import { createTraceRecorder, type TraceEvent } from '../../runtime/observe/index.js'
import { checkTrace, eventfulBackend, observedRun, syntheticCall } from './support.js'

class Compare extends Module<[string, string], string> {
  extractor = new LLMInference({ alias: 'fast', system: 'Extract the facts.' })
  comparer = new LLMInference({ alias: 'smart', system: 'Compare them.' })
  forward(a: string, b: string): string {
    const first = this.extractor(a)
    const second = this.extractor(b)
    return this.comparer(`Compare:\n${first}\n\nvs:\n${second}`)
  }
}

const endpoints = () => ({
  fast: simulated({ model: 'fast-model', latencyMs: 25, maxConcurrent: 2 }),
  smart: simulated({ model: 'smart-model', latencyMs: 15 }),
})

/** Names of the threads of process `pid`. */
const threadsOf = (threads: Map<string, string>, pid: number) => [...threads].filter(([track]) => track.startsWith(`${pid}:`)).map(([, name]) => name)
const pidOf = (processes: Map<number, string>, prefix: string) => [...processes].find(([, name]) => name.startsWith(prefix))?.[0]
const counterSeries = (counters: TraceEvent[], pid: number) => counters.filter((event) => event.pid === pid).map((event) => [event.ts, event.args!['in flight'], event.args!.queued])

describe('Chrome trace of real runs', () => {
  it('profiles a batch on two aliases: a track per alias with lanes for overlapping calls, runs apart, counters', async () => {
    const trace = createTraceRecorder()
    const backend = inProcessBackend(endpoints())
    const results = await Promise.all([0, 1, 2].map((index) => observedRun(new Compare(), [`doc a${index}`, `doc b${index}`], backend, trace, index)))
    expect(results).toHaveLength(3)
    const { trace: json, shape } = checkTrace(JSON.stringify(trace))

    expect(json.displayTimeUnit).toBe('ms')
    expect([...shape.processes.values()]).toEqual(['runs', 'fast · simulated fast-model', 'smart · simulated smart-model'])
    const fast = pidOf(shape.processes, 'fast')!
    const smart = pidOf(shape.processes, 'smart')!

    // Every call is a slice on its alias's process, named by node id, with its details.
    const calls = shape.slices.filter((slice) => slice.cat === 'call')
    expect(calls.filter((slice) => slice.pid === fast).map((slice) => slice.name).sort()).toEqual(['extractor', 'extractor', 'extractor', 'extractor_2', 'extractor_2', 'extractor_2'])
    expect(calls.filter((slice) => slice.pid === smart).map((slice) => slice.name)).toEqual(['comparer', 'comparer', 'comparer'])
    for (const slice of calls) {
      expect(slice.depth).toBe(0)
      expect(slice.args).toMatchObject({ state: 'done', endpoint: 'simulated', attempts: 1 })
      expect(slice.args!.inputTokens).toBeGreaterThan(0)
      expect(slice.args!.outputTokens).toBeGreaterThan(0)
      expect(slice.end - slice.begin).toBeGreaterThanOrEqual(10_000)
    }
    expect(calls.find((slice) => slice.pid === fast)!.args).toMatchObject({ module: 'extractor', alias: 'fast', model: 'fast-model' })
    expect(calls.find((slice) => slice.pid === smart)!.args).toMatchObject({ module: 'comparer', alias: 'smart', model: 'smart-model' })
    // Each call slice holds its attempt as a nested phase.
    expect(shape.slices.filter((slice) => slice.cat === 'call.phase' && slice.name === 'attempt 1')).toHaveLength(9)

    // Parallel calls on one alias sit on separate lanes.
    expect(threadsOf(shape.threads, fast).length).toBeGreaterThanOrEqual(2)
    expect(threadsOf(shape.threads, fast)[0]).toBe('fast 1')

    // Runs: one thread each, named after the module and batch item, holding a run slice with the render inside.
    expect(threadsOf(shape.threads, 1).map((name) => name.replace(/^run \d+/, 'run N')).sort()).toEqual(['run N · Compare · item 0', 'run N · Compare · item 1', 'run N · Compare · item 2'])
    const runSlices = shape.slices.filter((slice) => slice.cat === 'run')
    expect(runSlices.map((slice) => slice.args!.index).sort()).toEqual([0, 1, 2])
    expect(Math.min(...runSlices.map((slice) => slice.begin))).toBe(0)
    for (const run of runSlices) expect(run.args).toMatchObject({ state: 'done', nodes: 4, name: 'Compare' })
    const renders = shape.slices.filter((slice) => slice.cat === 'render')
    expect(renders).toHaveLength(3)
    for (const render of renders) {
      expect(render.pid).toBe(1)
      expect(render.depth).toBe(1)
      const run = runSlices.find((slice) => slice.tid === render.tid)!
      expect(render.begin).toBeGreaterThanOrEqual(run.begin)
      expect(render.end).toBeLessThanOrEqual(run.end)
    }
    // Calls start after their run started and end before it ended.
    for (const slice of calls) {
      const run = runSlices.find((candidate) => candidate.args!.run === slice.args!.run)!
      expect(slice.begin).toBeGreaterThanOrEqual(run.begin)
      expect(slice.end).toBeLessThanOrEqual(run.end)
    }

    // Counters per alias: from zero, up to the limit of 2 in flight with calls queued behind, back to zero.
    const series = counterSeries(shape.counters, fast)
    expect(series[0]).toEqual([0, 0, 0])
    expect(series.at(-1)!.slice(1)).toEqual([0, 0])
    expect(Math.max(...series.map(([, inFlight]) => inFlight as number))).toBeGreaterThanOrEqual(2)
    expect(Math.max(...series.map(([, , queued]) => queued as number))).toBeGreaterThanOrEqual(3)
    expect(counterSeries(shape.counters, smart).at(-1)!.slice(1)).toEqual([0, 0])

    const summary = json.otherData.summary
    expect(summary).toMatchObject({ runs: 3, failedRuns: 0 })
    expect(summary.aliases.fast).toMatchObject({ calls: 6, failed: 0, attempts: 6, retries: 0, endpoints: ['simulated fast-model'] })
    expect(summary.aliases.smart).toMatchObject({ calls: 3, attempts: 3 })
    expect(summary.aliases.fast!.queuedMs).toBeGreaterThan(0)
    expect(summary.aliases.fast!.inputTokens).toBe(calls.filter((slice) => slice.pid === fast).reduce((sum, slice) => sum + (slice.args!.inputTokens as number), 0))
    expect(trace.summary()).toEqual(summary)
  })

  it('shows retries and rate-limit waits as instants inside their calls, with phases', async () => {
    const trace = createTraceRecorder()
    const backend = eventfulBackend(endpoints())
    await observedRun(new Compare(), ['first [retry]', 'second [paced]'], backend, trace)
    const { shape } = checkTrace(JSON.stringify(trace.toJSON()))
    const fast = pidOf(shape.processes, 'fast')!
    const retried = shape.slices.find((slice) => slice.cat === 'call' && slice.name === 'extractor')!
    expect(retried.args).toMatchObject({ attempts: 2, retries: 1 })
    const paced = shape.slices.find((slice) => slice.cat === 'call' && slice.name === 'extractor_2')!
    expect(paced.args).toMatchObject({ attempts: 1 })

    const phasesOf = (call: typeof retried) =>
      shape.slices.filter((slice) => slice.cat === 'call.phase' && slice.pid === call.pid && slice.tid === call.tid && slice.begin >= call.begin && slice.end <= call.end).map((slice) => slice.name)
    expect(phasesOf(retried)).toEqual(['attempt 1', 'backoff', 'attempt 2'])
    // The rate limit held the call back before admission: queue time, marked by an instant at its start.
    expect(phasesOf(paced)).toEqual(['attempt 1'])

    const retry = shape.instants.find((event) => event.name === 'retry')!
    expect(retry).toMatchObject({ pid: fast, tid: retried.tid, cat: 'call.event', args: { attempt: 1, delayMs: 15, status: 429, message: 'simulated 429: slow down' } })
    expect(retry.ts).toBeGreaterThan(retried.begin)
    expect(retry.ts).toBeLessThan(retried.end)
    const wait = shape.instants.find((event) => event.name === 'rate-limit wait')!
    expect(wait).toMatchObject({ pid: fast, tid: paced.tid, ts: paced.begin, args: { reason: 'rpm', waitMs: 10 } })
    expect(paced.args!.queuedMs).toBeGreaterThanOrEqual(9)
    const summary = trace.summary().aliases.fast!
    expect(summary).toMatchObject({ calls: 2, attempts: 3, retries: 1, rateLimitWaits: 1 })
  })

  it('works from onNode alone (pipeline.batch), estimating each run start from its records', async () => {
    const trace = createTraceRecorder()
    const pipeline = new Compare().bind({ endpoints: endpoints() })
    const items = await pipeline.batch(
      [
        ['x1', 'y1'],
        ['x2', 'y2'],
      ],
      { onNode: trace.onNode },
    )
    expect(items.every((item) => item.ok)).toBe(true)
    const { shape } = checkTrace(JSON.stringify(trace.toJSON()))
    const runs = shape.slices.filter((slice) => slice.cat === 'run')
    expect(runs).toHaveLength(2)
    expect(new Set(runs.map((run) => run.args!.run)).size).toBe(2)
    expect(Math.min(...runs.map((run) => run.begin))).toBe(0)
    expect(shape.slices.filter((slice) => slice.cat === 'call')).toHaveLength(6)
    for (const slice of shape.slices.filter((candidate) => candidate.cat === 'call')) {
      const run = runs.find((candidate) => candidate.args!.run === slice.args!.run)!
      expect(slice.begin).toBeGreaterThanOrEqual(run.begin)
    }
  })

  it('marks failed calls and runs, and keeps the trace valid', async () => {
    class Fragile extends Module<[string], string> {
      good = new LLMInference({ alias: 'fast', system: 'G' })
      bad = new LLMInference({ alias: 'smart', system: 'B' })
      forward(input: string): string {
        return this.bad(this.good(input))
      }
    }
    const trace = createTraceRecorder()
    const backend = inProcessBackend({
      fast: simulated({ latencyMs: 5 }),
      smart: simulated({ latencyMs: 5, faults: () => ({ status: 400, message: 'bad request from the test' }) }),
    })
    await expect(observedRun(new Fragile(), ['x'], backend, trace)).rejects.toThrow(/bad request from the test/)
    const { shape, trace: json } = checkTrace(JSON.stringify(trace.toJSON()))
    const failed = shape.slices.find((slice) => slice.cat === 'call' && slice.name === 'bad')!
    expect(failed.args).toMatchObject({ state: 'failed' })
    expect(failed.args!.error).toMatch(/Node `bad` .* failed: .*bad request from the test/)
    const run = shape.slices.find((slice) => slice.cat === 'run')!
    expect(run.args).toMatchObject({ state: 'failed' })
    expect(run.args!.error).toMatch(/bad request from the test/)
    expect(json.otherData.summary).toMatchObject({ runs: 1, failedRuns: 1, aliases: { smart: { calls: 1, failed: 1 }, fast: { calls: 1, failed: 0 } } })
  })

  it('writes a file that parses, creating folders; clear() forgets', async () => {
    const trace = createTraceRecorder()
    await observedRun(new Compare(), ['a', 'b'], inProcessBackend(endpoints()), trace)
    const folder = await mkdtemp(join(tmpdir(), 'plait-trace-'))
    try {
      const path = join(folder, 'nested', 'trace.json')
      await trace.write(path)
      const { shape } = checkTrace(await readFile(path, 'utf8'))
      expect(shape.slices.filter((slice) => slice.cat === 'call')).toHaveLength(3)
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
    trace.clear()
    expect(trace.toJSON().traceEvents.filter((event) => event.ph !== 'M')).toEqual([])
    expect(trace.summary()).toMatchObject({ runs: 0, aliases: {} })
  })
})

describe('Chrome trace of synthetic records (retries, rate limits, fallbacks as a limiting backend reports them)', () => {
  const origin = 1_000
  /**
   * Run 7 at `origin`: three calls on `fast` (a: a retry, queued again and held back by tpm; b: held
   * back by rpm before its first attempt; c: queued long, then a fallback to `smart`) and a render;
   * run 8 on `smart` 5 ms later, without events.
   */
  const records = (): NodeRecord[] => [
    syntheticCall({
      run: 7,
      id: 'a',
      alias: 'fast',
      origin,
      startMs: 0,
      endMs: 50,
      events: [
        { type: 'queued', atMs: 0 },
        { type: 'attempt', attempt: 1, atMs: 2 },
        { type: 'retry', attempt: 1, delayMs: 2, status: 429, message: '429 slow down (Bearer sk-abcdefghijklmnop)', retryAfterMs: 2, atMs: 10 },
        { type: 'queued', atMs: 12 },
        { type: 'rate-limit-wait', reason: 'tpm', waitMs: 2, atMs: 13 },
        { type: 'attempt', attempt: 2, atMs: 15 },
        { type: 'end', ok: true, atMs: 48 },
      ],
    }),
    syntheticCall({
      run: 7,
      id: 'b',
      alias: 'fast',
      origin,
      startMs: 1,
      endMs: 30,
      events: [
        { type: 'queued', atMs: 1 },
        { type: 'rate-limit-wait', reason: 'rpm', waitMs: 4, atMs: 3 },
        { type: 'attempt', attempt: 1, atMs: 7 },
        { type: 'end', ok: true, atMs: 29 },
      ],
    }),
    syntheticCall({
      run: 7,
      id: 'c',
      alias: 'fast',
      origin,
      startMs: 1,
      endMs: 60,
      events: [
        { type: 'queued', atMs: 1 },
        { type: 'attempt', attempt: 1, atMs: 31 },
        { type: 'fallback', from: 'fast', to: 'smart', attempts: 1, message: 'fast is down', atMs: 40 },
        { type: 'queued', alias: 'smart', atMs: 40 },
        { type: 'attempt', alias: 'smart', attempt: 1, atMs: 41 },
        { type: 'end', alias: 'smart', ok: true, atMs: 59 },
      ],
    }),
    { run: 7, id: 'render', kind: 'render', module: '', inputs: ['a', 'b', 'c'], state: 'done', readyMs: 60, startMs: 60, endMs: 60.5 },
    {
      run: 8,
      id: 'solo',
      kind: 'call',
      module: 'solo',
      alias: 'smart',
      inputs: [],
      state: 'failed',
      readyMs: 0,
      startMs: 0,
      endMs: 10,
      details: { calls: 1, queuedMs: 2, endpoint: { kind: 'simulated', model: 'smart-model' } },
      error: Object.assign(new Error('Node `solo` failed: 503 from upstream'), { name: 'NodeError', cause: Object.assign(new Error('503 from upstream'), { status: 503 }) }),
    },
  ]
  const record = (order: NodeRecord[]) => {
    const trace = createTraceRecorder()
    trace.runStart({ run: 8, startedAt: origin + 5, name: 'Solo', index: 1 })
    trace.runStart({ run: 7, startedAt: origin, name: 'Trio', index: 0 })
    for (const node of order) trace.onNode(node)
    trace.runEnd({ run: 7, endedAt: origin + 61, ok: true })
    trace.runEnd({ run: 8, endedAt: origin + 16, ok: false, error: new Error('503 from upstream') })
    return trace
  }

  it('lays calls out exactly: slices from admission, phases, instants, lanes reused', () => {
    const { shape } = checkTrace(JSON.stringify(record(records()).toJSON()))
    expect([...shape.processes.values()]).toEqual(['runs', 'fast · openai gpt-4o-mini', 'smart · simulated smart-model'])
    expect([...shape.threads.values()]).toEqual(['run 7 · Trio · item 0', 'run 8 · Solo · item 1', 'fast 1', 'fast 2', 'smart 1'])
    const slice = (name: string, cat = 'call') => shape.slices.find((candidate) => candidate.name === name && candidate.cat === cat)!
    const lane = (name: string) => shape.threads.get(`${slice(name).pid}:${slice(name).tid}`)
    expect([slice('a').begin, slice('a').end, lane('a')]).toEqual([2_000, 50_000, 'fast 1'])
    // b was held back by the rpm limit from 3 to 7 ms: queue time, before its slice.
    expect([slice('b').begin, slice('b').end, lane('b')]).toEqual([7_000, 30_000, 'fast 2'])
    expect(slice('b').args).toMatchObject({ queuedMs: 6 })
    // c waited in the queue until 31 ms, after b had ended: it reuses b's lane.
    expect([slice('c').begin, slice('c').end, lane('c')]).toEqual([31_000, 60_000, 'fast 2'])
    expect(slice('c').args).toMatchObject({ alias: 'fast', attempts: 2, queuedMs: 31 })
    expect(slice('a').args).toMatchObject({ attempts: 2, retries: 1, inputTokens: 11, outputTokens: 7, queuedMs: 5, model: 'gpt-4o-mini', baseURL: 'https://api.openai.com/v1' })
    // Without events, the slice starts after `queuedMs`.
    expect([slice('solo').begin, slice('solo').end, lane('solo')]).toEqual([7_000, 15_000, 'smart 1'])
    expect(slice('solo').args).toMatchObject({ state: 'failed', attempts: 1 })

    const phases = (call: string) =>
      shape.slices
        .filter((candidate) => candidate.cat === 'call.phase' && candidate.tid === slice(call).tid && candidate.begin >= slice(call).begin && candidate.end <= slice(call).end)
        .map((candidate) => [candidate.name, candidate.begin, candidate.end])
    // Before the retry, the attempt queued again and a rate limit held it back: phases inside the call.
    expect(phases('a')).toEqual([
      ['attempt 1', 2_000, 10_000],
      ['backoff', 10_000, 12_000],
      ['queued', 12_000, 13_000],
      ['rate-limit wait (tpm)', 13_000, 15_000],
      ['attempt 2', 15_000, 48_000],
    ])
    expect(phases('b')).toEqual([['attempt 1', 7_000, 29_000]])
    expect(phases('c')).toEqual([
      ['attempt 1', 31_000, 40_000],
      ['queued · smart', 40_000, 41_000],
      ['attempt 1 · smart', 41_000, 59_000],
    ])
    expect(shape.instants.map((event) => [event.name, event.ts, shape.threads.get(`${event.pid}:${event.tid}`)])).toEqual([
      ['rate-limit wait', 7_000, 'fast 2'],
      ['retry', 10_000, 'fast 1'],
      ['rate-limit wait', 13_000, 'fast 1'],
      ['fallback', 40_000, 'fast 2'],
    ])
    expect(shape.instants.find((event) => event.name === 'fallback')!.args).toEqual({ from: 'fast', to: 'smart', attempts: 1, message: 'fast is down' })
    // Key-shaped text in event messages is redacted.
    expect(shape.instants.find((event) => event.name === 'retry')!.args).toEqual({ alias: 'fast', attempt: 1, delayMs: 2, retryAfterMs: 2, status: 429, message: '429 slow down (Bearer [redacted])' })

    // Runs: told starts and ends; the render nests in run 7's slice.
    expect([slice('run 7', 'run').begin, slice('run 7', 'run').end, slice('run 7', 'run').args]).toEqual([0, 61_000, { run: 7, state: 'done', nodes: 4, name: 'Trio', index: 0 }])
    expect([slice('run 8', 'run').begin, slice('run 8', 'run').end]).toEqual([5_000, 16_000])
    expect(slice('run 8', 'run').args).toMatchObject({ state: 'failed', error: '503 from upstream' })
    expect([slice('render', 'render').begin, slice('render', 'render').end, slice('render', 'render').depth]).toEqual([60_000, 60_500, 1])
  })

  it('derives in-flight and queued counters per alias from the events', () => {
    const { shape } = checkTrace(JSON.stringify(record(records()).toJSON()))
    const fast = pidOf(shape.processes, 'fast')!
    const smart = pidOf(shape.processes, 'smart')!
    expect(counterSeries(shape.counters, fast)).toEqual([
      [0, 0, 0],
      [0, 0, 1], // a queued
      [1_000, 0, 3], // b and c queued
      [2_000, 1, 2], // a admitted (at 3 ms b moves from queued to a rate-limit wait: still waiting, no sample)
      [7_000, 2, 1], // b admitted
      [10_000, 1, 1], // a failed, backs off
      [12_000, 1, 2], // a queues again (from 13 ms held back by the tpm limit: still waiting)
      [15_000, 2, 1], // a's second attempt
      [29_000, 1, 1], // b done
      [31_000, 2, 0], // c admitted
      [40_000, 1, 0], // c falls back to smart
      [48_000, 0, 0], // a done
    ])
    expect(counterSeries(shape.counters, smart)).toEqual([
      [0, 0, 0],
      [5_000, 0, 1],
      [7_000, 1, 0],
      [15_000, 0, 0],
      [40_000, 0, 1],
      [41_000, 1, 0],
      [59_000, 0, 0],
    ])
    const summary = record(records()).summary()
    expect(summary.aliases.fast).toMatchObject({ calls: 3, failed: 0, attempts: 5, retries: 1, rateLimitWaits: 2, fallbacks: 1, inputTokens: 33, outputTokens: 21, maxInFlight: 2, maxQueued: 3 })
    expect(summary.aliases.smart).toMatchObject({ calls: 1, failed: 1, attempts: 1, maxInFlight: 1, maxQueued: 1 })
    expect(summary).toMatchObject({ runs: 2, failedRuns: 1, wallMs: 61 })
  })

  it('gives the same trace whatever order the records arrive in', () => {
    const forward = record(records()).toJSON()
    const backward = record(records().reverse()).toJSON()
    const shuffled = record([2, 4, 0, 3, 1].map((index) => records()[index]!)).toJSON()
    expect(backward).toEqual(forward)
    expect(shuffled).toEqual(forward)
    expect(JSON.stringify(shuffled)).toBe(JSON.stringify(forward))
  })

  it('keeps the order of events at equal timestamps so that slices nest (zero-length slices, touching lanes)', () => {
    const trace = createTraceRecorder()
    trace.runStart({ run: 1, startedAt: 0 })
    const node = (id: string, startMs: number, endMs: number): NodeRecord => ({ run: 1, id, kind: 'derive', module: '', inputs: [], state: 'done', startMs, endMs })
    for (const record of [node('z1', 0, 0), node('z2', 0, 0), node('long', 0, 5), node('after', 5, 5), node('inside', 1, 2)]) trace.onNode(record)
    trace.runEnd({ run: 1, endedAt: 5, ok: true })
    const { shape } = checkTrace(JSON.stringify(trace.toJSON()))
    const lanes = new Map(shape.slices.filter((slice) => slice.cat === 'derive').map((slice) => [slice.name, shape.threads.get(`1:${slice.tid}`)]))
    expect(Object.fromEntries(lanes)).toEqual({ z1: 'run 1', z2: 'run 1', long: 'run 1', after: 'run 1', inside: 'run 1 (2)' })
  })
})
