/**
 * The mock OpenAI-compatible server (test/support/openai-server.ts) started in a child process
 * (bench/probes/mock-server.ts), with per-model latency set over IPC; with `{ log: true }`, also
 * injected faults and the server's request log.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { MockCounters, MockFaults, MockLatency } from '../../test/support/openai-server.js'
import type { SlimLogEntry } from '../probes/mock-server.js'

export type { SlimLogEntry }

/** What the server saw since the last `reset()`. */
export interface ServerLog {
  /** One entry per request, in arrival order; times are the server process's clock (ms). */
  entries: SlimLogEntry[]
  perModel: Record<string, MockCounters>
  maxInFlight: number
  /** Add to a time of `entries` to get it on this process's `performance.now()` clock (via both processes' `performance.timeOrigin`; good to about a millisecond). */
  toClientClock: number
}

/** The parent's handle on the server process. */
export interface MockServerProcess {
  /** Base URL for the SDK, e.g. `http://127.0.0.1:54321/v1`. */
  readonly url: string
  /** Sets the latency (per model: `{ fast: 100, smart: 200 }`); resolves once the server has it. */
  setLatency(latencyMs: MockLatency): Promise<void>
  /** Sets the injected faults (`undefined`: none). */
  setFaults(faults: MockFaults | undefined): Promise<void>
  /** Zeroes the counters and empties the log. */
  reset(): Promise<void>
  /** Resolves when no request is in flight at the server. */
  whenIdle(): Promise<void>
  /** The log (empty unless started with `{ log: true }`) and counters since the last `reset()`. */
  log(): Promise<ServerLog>
  /** Stops the server and its process; resolves with the number of requests served since the last `setLatency`. */
  close(): Promise<number>
}

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

interface Ack {
  type: string
  id?: number
  url?: string
  requests?: number
  log?: SlimLogEntry[]
  perModel?: Record<string, MockCounters>
  maxInFlight?: number
  timeOrigin?: number
}

/**
 * @example
 * ```ts
 * const server = await startMockServerProcess()
 * await server.setLatency({ fast: 100, smart: 200 })
 * const client = new OpenAI({ baseURL: server.url, apiKey: 'bench', maxRetries: 0 })
 * ```
 */
export async function startMockServerProcess(options: { log?: boolean } = {}): Promise<MockServerProcess> {
  const child = fork(fileURLToPath(new URL('../probes/mock-server.ts', import.meta.url)), options.log ? ['--log'] : [], {
    cwd: repoRoot,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  let nextId = 0
  const pending = new Map<number, (message: Ack) => void>()
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`The mock server process exited early (code ${code}).`)))
    child.on('message', (message: Ack) => {
      if (message.type === 'ready') resolve(message.url!)
      else if (message.type === 'ack') pending.get(message.id!)?.(message)
    })
  })
  const ask = (message: Record<string, unknown>) =>
    new Promise<Ack>((resolve) => {
      const id = nextId++
      pending.set(id, (reply) => {
        pending.delete(id)
        resolve(reply)
      })
      child.send({ ...message, id })
    })
  return {
    url,
    setLatency: async (latencyMs) => {
      await ask({ type: 'latency', latencyMs })
    },
    setFaults: async (faults) => {
      await ask({ type: 'faults', faults })
    },
    reset: async () => {
      await ask({ type: 'reset' })
    },
    whenIdle: async () => {
      await ask({ type: 'idle' })
    },
    log: async () => {
      const reply = await ask({ type: 'log' })
      return { entries: reply.log ?? [], perModel: reply.perModel ?? {}, maxInFlight: reply.maxInFlight ?? 0, toClientClock: (reply.timeOrigin ?? performance.timeOrigin) - performance.timeOrigin }
    },
    close: async () => {
      const reply = await ask({ type: 'close' })
      await new Promise<void>((resolve) => (child.exitCode === null ? child.once('exit', () => resolve()) : resolve()))
      return reply.requests ?? 0
    },
  }
}
