/**
 * Helpers of the observability tests: a run harness with the observer hooks wired the way the
 * pipeline is meant to wire them, a backend that reports retries and rate-limit waits, synthetic
 * records, and a checker for Chrome trace files.
 */
import { inProcessBackend, type Backend } from '../../runtime/backend.js'
import type { Endpoint } from '../../runtime/endpoint.js'
import type { CallEvent } from '../../runtime/events.js'
import type { RunObserver } from '../../runtime/observe/index.js'
import type { NodeRecord } from '../../runtime/run.js'
import type { Module } from '../../src/module.js'
import { runModule } from '../../src/pipeline.js'
import type { ChromeTrace, TraceEvent } from '../../runtime/observe/index.js'

/** One run of `module` with `observer` wired by the pipeline's own `runModule`. */
export async function observedRun<In extends unknown[], Out>(
  module: Module<In, Out>,
  args: In,
  backend: Backend,
  observer: RunObserver,
  index?: number,
): Promise<Out> {
  return (await runModule(module, args, backend, { observer, index }, false)).value as Out
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The in-process backend, plus what a retrying, rate-limited backend reports: calls whose user text
 * contains `[retry]` fail their first attempt (status 429) and retry after 15 ms; calls with
 * `[paced]` wait 10 ms for a rate limit before their attempt.
 */
export function eventfulBackend(endpoints: Readonly<Record<string, Endpoint>>): Backend {
  const plain = inProcessBackend(endpoints)
  return {
    async complete(alias, request, options) {
      const text = request.messages.at(-1)?.content ?? ''
      if (!text.includes('[retry]') && !text.includes('[paced]')) return plain.complete(alias, request, options)
      const endpoint = endpoints[alias]!
      const emit = (event: CallEvent) => options.onEvent?.(event)
      const description = endpoint.describe()
      const queuedAt = performance.now()
      emit({ type: 'queued', alias, at: queuedAt })
      let startedAt = queuedAt
      const result = await endpoint.schedule(async () => {
        if (text.includes('[paced]')) {
          emit({ type: 'rate-limit-wait', alias, reason: 'rpm', waitMs: 10, at: performance.now() })
          await sleep(10)
        }
        startedAt = performance.now()
        emit({ type: 'attempt', alias, attempt: 1, endpoint: description, at: startedAt })
        if (text.includes('[retry]')) {
          await sleep(5)
          emit({ type: 'retry', alias, attempt: 1, delayMs: 15, status: 429, message: 'simulated 429: slow down', at: performance.now() })
          await sleep(15)
          emit({ type: 'attempt', alias, attempt: 2, endpoint: description, at: performance.now() })
        }
        return endpoint.complete(request, { signal: options.signal })
      }, { signal: options.signal })
      emit(result.usage ? { type: 'end', alias, ok: true, usage: result.usage, at: performance.now() } : { type: 'end', alias, ok: true, at: performance.now() })
      return { ...result, endpoint: description, queuedMs: startedAt - queuedAt }
    },
  }
}

/** A call record as a backend with retries, rate limits and fallbacks would report it. */
export function syntheticCall(options: {
  run: number
  id: string
  alias: string
  /** `performance.now()` of the run's start. */
  origin: number
  startMs: number
  endMs: number
  events: Array<Record<string, unknown> & { type: CallEvent['type']; atMs: number }>
  model?: string
  state?: NodeRecord['state']
  error?: unknown
}): NodeRecord {
  const endpoint = { kind: 'openai', model: options.model ?? 'gpt-4o-mini', baseURL: 'https://api.openai.com/v1' }
  const events = options.events.map(({ atMs, ...event }) => ({ ...(event.type === 'attempt' ? { endpoint } : {}), alias: options.alias, ...event, at: options.origin + atMs }) as unknown as CallEvent)
  const record: NodeRecord = {
    run: options.run,
    id: options.id,
    kind: 'call',
    module: options.id,
    alias: options.alias,
    inputs: [],
    state: options.state ?? 'done',
    readyMs: options.startMs,
    startMs: options.startMs,
    endMs: options.endMs,
    details: { calls: 1, system: 'SYSTEM PROMPT TEXT', endpoint, events, usage: { promptTokens: 11, completionTokens: 7 } },
  }
  if (options.error !== undefined) record.error = options.error
  return record
}

/** What {@link checkTrace} found out about a trace. */
export interface TraceShape {
  /** Process names by pid. */
  processes: Map<number, string>
  /** Thread names by `pid:tid`. */
  threads: Map<string, string>
  /** Complete slices: name, cat, track, begin and end ts, args of B, depth. */
  slices: Array<{ name: string; cat: string | undefined; pid: number; tid: number; begin: number; end: number; args: Record<string, unknown> | undefined; depth: number }>
  instants: TraceEvent[]
  counters: TraceEvent[]
}

/**
 * Checks that `text` is a valid Chrome trace as Perfetto reads it, throwing on the first problem:
 * JSON object with `traceEvents`; metadata first; timed events in non-decreasing `ts` (globally,
 * hence per track); every B closed by an E of the same name on the same pid/tid, properly nested;
 * instants of calls inside a slice; every track named.
 */
export function checkTrace(text: string): { trace: ChromeTrace; shape: TraceShape } {
  const trace = JSON.parse(text) as ChromeTrace
  if (!Array.isArray(trace.traceEvents)) throw new Error('traceEvents is not an array')
  const shape: TraceShape = { processes: new Map(), threads: new Map(), slices: [], instants: [], counters: [] }
  const stacks = new Map<string, Array<{ event: TraceEvent }>>()
  let seenTimed = false
  let lastTs = -Infinity
  const lastPerTrack = new Map<string, number>()
  for (const [position, event] of trace.traceEvents.entries()) {
    const where = `event ${position} ${JSON.stringify(event)}`
    if (typeof event.ts !== 'number' || !Number.isFinite(event.ts) || event.ts < 0) throw new Error(`bad ts: ${where}`)
    if (!Number.isInteger(event.pid) || !Number.isInteger(event.tid)) throw new Error(`bad pid/tid: ${where}`)
    const track = `${event.pid}:${event.tid}`
    if (event.ph === 'M') {
      if (seenTimed) throw new Error(`metadata after timed events: ${where}`)
      if (event.name === 'process_name') shape.processes.set(event.pid, String(event.args?.name))
      if (event.name === 'thread_name') shape.threads.set(track, String(event.args?.name))
      continue
    }
    seenTimed = true
    if (event.ts < lastTs) throw new Error(`ts goes back: ${where}`)
    lastTs = event.ts
    if (event.ts < (lastPerTrack.get(track) ?? -Infinity)) throw new Error(`ts goes back on ${track}: ${where}`)
    lastPerTrack.set(track, event.ts)
    if (!shape.processes.has(event.pid)) throw new Error(`unnamed process: ${where}`)
    if (event.ph !== 'C' && !shape.threads.has(track)) throw new Error(`unnamed thread: ${where}`)
    const stack = stacks.get(track) ?? []
    stacks.set(track, stack)
    switch (event.ph) {
      case 'B':
        stack.push({ event })
        break
      case 'E': {
        const open = stack.pop()
        if (!open) throw new Error(`E without B: ${where}`)
        if (open.event.name !== event.name) throw new Error(`E closes ${open.event.name}: ${where}`)
        shape.slices.push({ name: event.name, cat: open.event.cat, pid: event.pid, tid: event.tid, begin: open.event.ts, end: event.ts, args: open.event.args, depth: stack.length })
        break
      }
      case 'i':
        if (event.s !== 't') throw new Error(`instant not thread-scoped: ${where}`)
        if (event.cat === 'call.event' && !stack.some((open) => open.event.cat === 'call')) throw new Error(`call instant outside its call: ${where}`)
        shape.instants.push(event)
        break
      case 'C':
        if (!event.args || Object.values(event.args).some((value) => typeof value !== 'number')) throw new Error(`counter args must be numbers: ${where}`)
        shape.counters.push(event)
        break
      default:
        throw new Error(`unexpected phase: ${where}`)
    }
  }
  for (const [track, stack] of stacks) if (stack.length > 0) throw new Error(`unclosed slices on ${track}: ${stack.map((open) => open.event.name).join(', ')}`)
  return { trace, shape }
}
