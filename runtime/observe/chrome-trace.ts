/**
 * Profiles in the Chrome trace event format (the JSON object form), which Perfetto
 * (https://ui.perfetto.dev) and chrome://tracing open. See docs/observability.md for the layout.
 *
 * Layout:
 * - one process per endpoint alias (`fast · openai gpt-4o-mini`), whose threads are lanes: a call
 *   goes on the first lane free at its start, so lanes are concurrency slots and B/E events on a
 *   lane never overlap (Perfetto needs properly nested slices per thread). A call's slice runs from
 *   the admission of its first attempt to the node's end (queue time is not drawn), with nested
 *   phases (`attempt 1`, `backoff`, `queued` and `rate-limit wait (rpm)` before a later attempt)
 *   and instant events for retries, rate-limit waits and fallbacks. Counters `in flight` /
 *   `queued` per alias come from the call events.
 * - one process `runs` with a thread per run (more lanes when its nodes overlap): a slice for the
 *   whole run and, inside it, the run's other nodes (render, select, derive, ...).
 * Timestamps are microseconds since the first run started; event order is deterministic.
 */
import type { ErrorFacts, EventFacts, NodeFacts } from './facts.js'
import { errorFacts, estimateRunStart, nodeFacts } from './facts.js'
import type { RunEndInfo, RunObserver, RunStartInfo } from './observer.js'
import type { NodeRecord } from '../run.js'

/** One event of a Chrome trace. `ts` is in microseconds. */
export interface TraceEvent {
  name: string
  /** B/E: slice begin/end; i: instant; C: counter; M: metadata. */
  ph: 'B' | 'E' | 'i' | 'C' | 'M'
  ts: number
  pid: number
  tid: number
  cat?: string
  /** Scope of an instant event: thread. */
  s?: 't'
  args?: Record<string, unknown>
}

/** Totals of one endpoint alias over everything recorded. Times in ms. */
export interface AliasSummary {
  /** Models seen on this alias's calls (`openai gpt-4o-mini`). */
  endpoints: string[]
  calls: number
  failed: number
  /** Requests sent, retries included. */
  attempts: number
  retries: number
  rateLimitWaits: number
  fallbacks: number
  inputTokens: number
  outputTokens: number
  /** Time calls spent waiting for the limiter (queued or paced), summed. */
  queuedMs: number
  /** Time calls spent in requests, summed. */
  requestMs: number
  maxInFlight: number
  maxQueued: number
}

/** What a trace says about itself, beside its events (`otherData`). */
export interface TraceSummary {
  runs: number
  failedRuns: number
  /** From the first run's start to the last run's end, in ms. */
  wallMs: number
  aliases: Record<string, AliasSummary>
}

/** A Chrome trace (JSON object format). */
export interface ChromeTrace {
  traceEvents: TraceEvent[]
  displayTimeUnit: 'ms'
  otherData: {
    generator: 'plait'
    /** Wall-clock time of `ts` 0 (the first run's start), ISO 8601. */
    startTime: string
    summary: TraceSummary
  }
}

/**
 * Records runs and turns them into a Chrome trace. Pass it (or its `onNode`) to every run to
 * profile, then `write()` the file and open it in https://ui.perfetto.dev.
 */
export interface TraceRecorder extends RunObserver {
  /** Tells the exact start of a run; without it the start is estimated from the run's records. */
  runStart(info: RunStartInfo): void
  /** Records one settled node. Keeps only what the trace shows, never prompt or reply text. */
  onNode(record: NodeRecord): void
  /** Tells the end and outcome of a run; without it the run ends with its last node. */
  runEnd(info: RunEndInfo): void
  /** The trace of everything recorded so far. */
  toJSON(): ChromeTrace
  /** Writes `toJSON()` to `path` (folders are created), e.g. `'trace.json'`. */
  write(path: string): Promise<void>
  /** Per-alias totals of everything recorded so far. */
  summary(): TraceSummary
  /** Forgets everything recorded. */
  clear(): void
}

interface RunEntry {
  run: number
  /** `performance.now()` of the run's start: told, or the lowest estimate of each kind. */
  toldStart?: number
  eventsStart?: number
  clockStart?: number
  name?: string
  index?: number
  end?: { at: number; ok: boolean; error?: ErrorFacts }
  nodes: NodeFacts[]
}

/**
 * Creates a trace recorder.
 *
 * @example
 * ```ts
 * import { createTraceRecorder } from 'plait'
 * const trace = createTraceRecorder()
 * await pipeline.batch(inputs, { onNode: trace.onNode })
 * await trace.write('trace.json') // open in https://ui.perfetto.dev
 * ```
 */
export function createTraceRecorder(): TraceRecorder {
  const runs = new Map<number, RunEntry>()
  const entry = (run: number): RunEntry => {
    let found = runs.get(run)
    if (!found) runs.set(run, (found = { run, nodes: [] }))
    return found
  }
  const recorder: TraceRecorder = {
    runStart(info) {
      const run = entry(info.run)
      run.toldStart = info.startedAt
      if (info.name !== undefined) run.name = String(info.name)
      if (info.index !== undefined) run.index = info.index
    },
    onNode(record) {
      const facts = nodeFacts(record)
      const run = entry(facts.run)
      run.nodes.push(facts)
      if (run.toldStart !== undefined) return
      const estimate = estimateRunStart(record, facts, performance.now())
      if (estimate?.from === 'events') run.eventsStart = Math.min(run.eventsStart ?? Infinity, estimate.at)
      if (estimate?.from === 'clock') run.clockStart = Math.min(run.clockStart ?? Infinity, estimate.at)
    },
    runEnd(info) {
      const run = entry(info.run)
      run.end = info.ok ? { at: info.endedAt, ok: true } : { at: info.endedAt, ok: false, error: errorFacts(info.error) }
    },
    toJSON: () => buildTrace([...runs.values()]),
    summary: () => buildTrace([...runs.values()]).otherData.summary,
    async write(path) {
      const [{ mkdir, writeFile }, { dirname }] = await Promise.all([import('node:fs/promises'), import('node:path')])
      await mkdir(dirname(path), { recursive: true })
      await writeFile(path, JSON.stringify(recorder.toJSON()))
    },
    clear: () => runs.clear(),
  }
  // Usable detached: `{ onNode: trace.onNode }`.
  for (const key of ['runStart', 'onNode', 'runEnd', 'toJSON', 'summary', 'write', 'clear'] as const) {
    Object.defineProperty(recorder, key, { value: recorder[key], enumerable: false })
  }
  return recorder
}

/** A slice on a lane, with what nests inside it. Times are `performance.now()` ms. */
interface Item {
  start: number
  end: number
  name: string
  cat: string
  args: Record<string, unknown>
  phases: Phase[]
  instants: Instant[]
  /** Sort key: run, then id. */
  run: number
  id: string
}

interface Phase {
  name: string
  start: number
  end: number
  args: Record<string, unknown>
}

interface Instant {
  name: string
  at: number
  args: Record<string, unknown>
}

/** A change of an alias's counters. */
interface Delta {
  at: number
  inFlight: number
  queued: number
}

interface AliasData {
  items: Item[]
  deltas: Delta[]
  summary: AliasSummary
}

const runStartOf = (run: RunEntry): number => run.toldStart ?? run.eventsStart ?? run.clockStart ?? run.end?.at ?? 0

function buildTrace(entries: RunEntry[]): ChromeTrace {
  const runs = entries
    .map((run) => ({ run, origin: runStartOf(run) }))
    .sort((first, second) => first.origin - second.origin || first.run.run - second.run.run)
  const zero = runs[0]?.origin ?? 0
  const ts = (at: number) => Math.max(0, Math.round((at - zero) * 1e6) / 1e3)

  const aliases = new Map<string, AliasData>()
  const alias = (name: string): AliasData => {
    let found = aliases.get(name)
    if (!found) {
      found = {
        items: [],
        deltas: [],
        summary: { endpoints: [], calls: 0, failed: 0, attempts: 0, retries: 0, rateLimitWaits: 0, fallbacks: 0, inputTokens: 0, outputTokens: 0, queuedMs: 0, requestMs: 0, maxInFlight: 0, maxQueued: 0 },
      }
      aliases.set(name, found)
    }
    return found
  }

  const runLanes: Array<{ run: RunEntry; slice: Item; lanes: Item[][] }> = []
  let failedRuns = 0
  let wallEnd = zero
  for (const { run, origin } of runs) {
    const nodes = [...run.nodes].sort((first, second) => byNumber(first.startMs, second.startMs) || compare(first.id, second.id))
    const others: Item[] = []
    let end = run.end?.at ?? origin
    // Told by runEnd; else a run with a failed node failed.
    const failed = run.end ? !run.end.ok : nodes.some((node) => node.state === 'failed')
    for (const node of nodes) {
      if (node.startMs === undefined) continue
      const start = origin + node.startMs
      const stop = origin + Math.max(node.endMs ?? node.startMs, node.startMs)
      end = Math.max(end, stop)
      if (node.call) {
        addCall(node, start, stop, alias)
        continue
      }
      const args: Record<string, unknown> = { run: run.run, module: node.module, kind: node.kind, state: node.state }
      if (node.error) args.error = node.error.message
      others.push({ start, end: stop, name: node.id, cat: node.kind, args, phases: [], instants: [], run: run.run, id: node.id })
    }
    if (failed) failedRuns++
    wallEnd = Math.max(wallEnd, end)
    const args: Record<string, unknown> = { run: run.run, state: failed ? 'failed' : 'done', nodes: run.nodes.length }
    if (run.name !== undefined) args.name = run.name
    if (run.index !== undefined) args.index = run.index
    if (run.end?.error) args.error = run.end.error.message
    const slice: Item = { start: origin, end, name: `run ${run.run}`, cat: 'run', args, phases: [], instants: [], run: run.run, id: '' }
    runLanes.push({ run, slice, lanes: assignLanes(others) })
  }

  // Processes: `runs` first, then aliases by name. Thread ids are unique across processes.
  const metadata: TraceEvent[] = []
  const timed: Array<TraceEvent & { seq: number }> = []
  let seq = 0
  let nextTid = 1
  const push = (event: TraceEvent) => timed.push({ ...event, seq: seq++ })
  const addProcess = (pid: number, name: string) => {
    metadata.push({ name: 'process_name', ph: 'M', ts: 0, pid, tid: 0, args: { name } })
    metadata.push({ name: 'process_sort_index', ph: 'M', ts: 0, pid, tid: 0, args: { sort_index: pid } })
  }
  const thread = (pid: number, name: string): number => {
    const tid = nextTid++
    metadata.push({ name: 'thread_name', ph: 'M', ts: 0, pid, tid, args: { name } })
    metadata.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid, tid, args: { sort_index: tid } })
    return tid
  }
  /** Emits a lane's items (and, first, an enclosing slice) in an order that nests correctly. */
  const emitLane = (pid: number, tid: number, items: Item[], enclosing?: Item) => {
    let last = 0
    const at = (time: number) => (last = Math.max(last, ts(time)))
    if (enclosing) push({ name: enclosing.name, cat: enclosing.cat, ph: 'B', ts: at(enclosing.start), pid, tid, args: enclosing.args })
    for (const item of items) {
      push({ name: item.name, cat: item.cat, ph: 'B', ts: at(item.start), pid, tid, args: item.args })
      const instants = [...item.instants]
      const flush = (until: number, inclusive: boolean) => {
        while (instants.length > 0 && (inclusive ? instants[0]!.at <= until : instants[0]!.at < until)) {
          const instant = instants.shift()!
          push({ name: instant.name, cat: 'call.event', ph: 'i', s: 't', ts: at(instant.at), pid, tid, args: instant.args })
        }
      }
      for (const phase of item.phases) {
        flush(phase.start, false)
        push({ name: phase.name, cat: 'call.phase', ph: 'B', ts: at(phase.start), pid, tid, args: phase.args })
        flush(phase.end, true)
        push({ name: phase.name, cat: 'call.phase', ph: 'E', ts: at(phase.end), pid, tid })
      }
      flush(Infinity, true)
      push({ name: item.name, cat: item.cat, ph: 'E', ts: at(item.end), pid, tid })
    }
    if (enclosing) push({ name: enclosing.name, cat: enclosing.cat, ph: 'E', ts: at(enclosing.end), pid, tid })
  }

  addProcess(1, 'runs')
  for (const { run, slice, lanes } of runLanes) {
    const label = [`run ${run.run}`, run.name, run.index === undefined ? undefined : `item ${run.index}`].filter((part) => part !== undefined).join(' · ')
    const count = Math.max(1, lanes.length)
    for (let lane = 0; lane < count; lane++) {
      const tid = thread(1, lane === 0 ? label : `${label} (${lane + 1})`)
      emitLane(1, tid, lanes[lane] ?? [], lane === 0 ? slice : undefined)
    }
  }

  const summaries: Record<string, AliasSummary> = {}
  const names = [...aliases.keys()].sort(compare)
  names.forEach((name, position) => {
    const data = aliases.get(name)!
    const pid = position + 2
    const { summary } = data
    summary.endpoints.sort(compare)
    addProcess(pid, summary.endpoints.length === 0 ? name : `${name} · ${summary.endpoints.join(', ')}`)
    const lanes = assignLanes(data.items)
    const tids: number[] = []
    for (let lane = 0; lane < Math.max(1, lanes.length); lane++) {
      const tid = thread(pid, `${name} ${lane + 1}`)
      tids.push(tid)
      emitLane(pid, tid, lanes[lane] ?? [])
    }
    // Counters: one sample per moment the values change, starting from zero.
    const deltas = [...data.deltas].sort((first, second) => first.at - second.at)
    let inFlight = 0
    let queued = 0
    push({ name: 'calls', ph: 'C', ts: 0, pid, tid: tids[0]!, args: { 'in flight': 0, queued: 0 } })
    for (let index = 0; index < deltas.length; ) {
      const time = deltas[index]!.at
      const before = [inFlight, queued]
      for (; index < deltas.length && deltas[index]!.at === time; index++) {
        inFlight += deltas[index]!.inFlight
        queued += deltas[index]!.queued
      }
      summary.maxInFlight = Math.max(summary.maxInFlight, inFlight)
      summary.maxQueued = Math.max(summary.maxQueued, queued)
      if (before[0] !== inFlight || before[1] !== queued) push({ name: 'calls', ph: 'C', ts: ts(time), pid, tid: tids[0]!, args: { 'in flight': inFlight, queued } })
    }
    summary.queuedMs = round(summary.queuedMs)
    summary.requestMs = round(summary.requestMs)
    summaries[name] = summary
  })

  timed.sort((first, second) => first.ts - second.ts || first.pid - second.pid || first.tid - second.tid || first.seq - second.seq)
  return {
    traceEvents: [...metadata, ...timed.map(({ seq: _seq, ...event }) => event)],
    displayTimeUnit: 'ms',
    otherData: {
      generator: 'plait',
      startTime: new Date(performance.timeOrigin + zero).toISOString(),
      summary: { runs: runs.length, failedRuns, wallMs: round(wallEnd - zero), aliases: summaries },
    },
  }
}

/** Adds a call node to its alias: its slice, phases, instants, counter changes and totals. */
function addCall(node: NodeFacts, nodeStart: number, nodeEnd: number, alias: (name: string) => AliasData): void {
  const call = node.call!
  const aliased = call.events.find((event): event is Extract<EventFacts, { alias: string }> => 'alias' in event)
  const home = node.alias ?? aliased?.alias ?? 'call'
  const data = alias(home)
  const { summary } = data
  const events = call.events
  summary.calls++
  if (node.state === 'failed') summary.failed++
  summary.attempts += call.attempts
  summary.retries += call.retries
  summary.rateLimitWaits += call.rateLimitWaits
  summary.fallbacks += call.fallbacks
  summary.inputTokens += call.inputTokens ?? 0
  summary.outputTokens += call.outputTokens ?? 0
  if (call.endpoint) {
    const shown = `${call.endpoint.kind} ${call.endpoint.model}`
    if (!summary.endpoints.includes(shown)) summary.endpoints.push(shown)
  }

  // The slice starts when the limiter admitted the first attempt: waiting for a slot or a rate
  // limit before that is queue time (in the counters and `queuedMs`), not drawn on a lane.
  const admitted = events.find((event) => event.type === 'attempt') ?? events.find((event) => event.type !== 'queued' && event.type !== 'rate-limit-wait')
  let sliceStart = events.length === 0 ? nodeStart + (call.queuedMs ?? 0) : (admitted?.at ?? nodeEnd)
  sliceStart = Math.min(Math.max(sliceStart, nodeStart), nodeEnd)

  // Phases and counter changes from the events, as a small state machine.
  const phases: Phase[] = []
  const instants: Instant[] = []
  let queuedMs = 0
  let open: { phase: Phase; alias: string; counts: 'inFlight' | 'queued' | undefined } | undefined
  const change = (name: string, at: number, counts: 'inFlight' | 'queued' | undefined, step: number) => {
    if (counts === undefined) return
    alias(name).deltas.push({ at, inFlight: counts === 'inFlight' ? step : 0, queued: counts === 'queued' ? step : 0 })
  }
  const close = (at: number) => {
    if (!open) return
    const end = Math.max(at, open.phase.start)
    open.phase.end = end
    phases.push(open.phase)
    change(open.alias, end, open.counts, -1)
    if (open.counts === 'queued') queuedMs += end - open.phase.start
    if (open.counts === 'inFlight') alias(open.alias).summary.requestMs += end - open.phase.start
    open = undefined
  }
  const start = (name: string, eventAlias: string, at: number, counts: 'inFlight' | 'queued' | undefined, args: Record<string, unknown> = {}) => {
    close(at)
    const shownName = eventAlias === home ? name : `${name} · ${eventAlias}`
    open = { phase: { name: shownName, start: at, end: at, args }, alias: eventAlias, counts }
    change(eventAlias, at, counts, +1)
  }
  for (const event of events) {
    switch (event.type) {
      case 'queued':
        start('queued', event.alias, event.at, 'queued')
        break
      case 'rate-limit-wait':
        start(`rate-limit wait (${event.reason})`, event.alias, event.at, 'queued', { reason: event.reason, waitMs: event.waitMs })
        instants.push({ name: 'rate-limit wait', at: event.at, args: { alias: event.alias, reason: event.reason, waitMs: event.waitMs } })
        break
      case 'attempt':
        start(`attempt ${event.attempt}`, event.alias, event.at, 'inFlight', { alias: event.alias, attempt: event.attempt })
        break
      case 'retry': {
        start('backoff', event.alias, event.at, undefined, { delayMs: event.delayMs })
        const args: Record<string, unknown> = { alias: event.alias, attempt: event.attempt, delayMs: event.delayMs, message: event.message }
        if (event.status !== undefined) args.status = event.status
        if (event.retryAfterMs !== undefined) args.retryAfterMs = event.retryAfterMs
        instants.push({ name: 'retry', at: event.at, args })
        break
      }
      case 'fallback': {
        close(event.at)
        const args: Record<string, unknown> = { from: event.from, to: event.to }
        if (event.attempts !== undefined) args.attempts = event.attempts
        if (event.message !== undefined) args.message = event.message
        instants.push({ name: 'fallback', at: event.at, args })
        break
      }
      case 'end':
        close(event.at)
        break
    }
  }
  close(nodeEnd)
  if (events.length === 0) {
    // A backend that reports no events: queued for `queuedMs`, then one request.
    if (sliceStart > nodeStart) {
      change(home, nodeStart, 'queued', +1)
      change(home, sliceStart, 'queued', -1)
      queuedMs += sliceStart - nodeStart
    }
    change(home, sliceStart, 'inFlight', +1)
    change(home, nodeEnd, 'inFlight', -1)
    summary.requestMs += nodeEnd - sliceStart
  }
  summary.queuedMs += queuedMs

  const clamp = (at: number) => Math.min(Math.max(at, sliceStart), nodeEnd)
  const shownPhases = phases
    .filter((phase) => !(phase.start < sliceStart && phase.end <= sliceStart))
    .map((phase) => ({ ...phase, start: clamp(phase.start), end: clamp(phase.end) }))
  const args: Record<string, unknown> = { run: node.run, module: node.module, alias: home, state: node.state }
  if (call.endpoint) {
    args.endpoint = call.endpoint.kind
    args.model = call.endpoint.model
    if (call.endpoint.baseURL !== undefined) args.baseURL = call.endpoint.baseURL
  }
  if (call.responseModel !== undefined) args.responseModel = call.responseModel
  if (call.inputTokens !== undefined) args.inputTokens = call.inputTokens
  if (call.outputTokens !== undefined) args.outputTokens = call.outputTokens
  args.attempts = call.attempts
  if (call.retries > 0) args.retries = call.retries
  if (call.calls !== undefined && call.calls > 1) args.calls = call.calls
  args.queuedMs = round(queuedMs)
  if (node.readyMs !== undefined && node.startMs !== undefined && node.startMs > node.readyMs) args.waitMs = round(node.startMs - node.readyMs)
  if (node.error) args.error = node.error.message
  data.items.push({
    start: sliceStart,
    end: nodeEnd,
    name: node.id,
    cat: 'call',
    args,
    phases: shownPhases,
    instants: instants.map((instant) => ({ ...instant, at: clamp(instant.at) })).sort((first, second) => first.at - second.at),
    run: node.run,
    id: node.id,
  })
}

/**
 * Puts each item on the first lane whose last item has ended, in order of start (then end, run,
 * id: deterministic, and zero-length items go before the ones they touch).
 */
function assignLanes(items: Item[]): Item[][] {
  const sorted = [...items].sort((first, second) => first.start - second.start || first.end - second.end || first.run - second.run || compare(first.id, second.id))
  const lanes: Array<{ end: number; items: Item[] }> = []
  for (const item of sorted) {
    let lane = lanes.find((candidate) => candidate.end <= item.start)
    if (!lane) lanes.push((lane = { end: -Infinity, items: [] }))
    lane.items.push(item)
    lane.end = Math.max(lane.end, item.end)
  }
  return lanes.map((lane) => lane.items)
}

/** Ascending, `undefined` last. */
const byNumber = (first: number | undefined, second: number | undefined) =>
  first === second ? 0 : first === undefined ? 1 : second === undefined ? -1 : first - second
const round = (ms: number) => Math.round(ms * 1000) / 1000
const compare = (first: string, second: string) => (first < second ? -1 : first > second ? 1 : 0)
