/**
 * Child process: the mock OpenAI-compatible server from test/support, on loopback, driven over
 * IPC by bench/lib/mock-server.ts. It runs in its own process so that its JSON and timer work
 * does not share an event loop (or a core) with the client being measured.
 *
 * With `--log` on the command line the server keeps a log entry per request, which the parent
 * reads with `{ type: 'log' }`: one slim entry per request (model, times, status, the `id:N:` tag
 * and the start of the last message) and the server's `performance.timeOrigin`. `{ type: 'faults' }`,
 * `{ type: 'reset' }` and `{ type: 'idle' }` drive fault injection, counters and idleness.
 */
import { startMockOpenAIServer, type MockFaults, type MockLatency } from '../../test/support/openai-server.js'

type Message =
  | { type: 'latency'; id: number; latencyMs: MockLatency }
  | { type: 'faults'; id: number; faults: MockFaults | undefined }
  | { type: 'reset'; id: number }
  | { type: 'idle'; id: number }
  | { type: 'log'; id: number }
  | { type: 'close'; id: number }

/** One request as the server saw it, without the body (times are this process's `performance.now()`). */
export interface SlimLogEntry {
  model: string
  startedAt: number
  endedAt: number | undefined
  status: number | undefined
  clientClosed: boolean
  /** N of an `id:N:` tag in the last message, or -1. */
  tag: number
  /** The first 60 characters of the last message. */
  head: string
}

const send = (message: unknown) => process.send!(message)
const keepLog = process.argv.includes('--log')
const server = await startMockOpenAIServer({ latencyMs: 0, log: keepLog })

function slimLog(): SlimLogEntry[] {
  return server.log.map((entry) => {
    const last = entry.body.messages.at(-1)?.content
    const tag = typeof last === 'string' ? /id:(\d+):/.exec(last)?.[1] : undefined
    return {
      model: entry.model,
      startedAt: entry.startedAt,
      endedAt: entry.endedAt,
      status: entry.status,
      clientClosed: entry.clientClosed,
      tag: tag === undefined ? -1 : Number(tag),
      head: typeof last === 'string' ? last.slice(0, 60) : '',
    }
  })
}

process.on('message', (message: Message) => {
  const ack = (extra: Record<string, unknown> = {}) => send({ type: 'ack', id: message.id, requests: server.stats.requests, ...extra })
  if (message.type === 'latency') {
    server.setLatency(message.latencyMs)
    ack()
  } else if (message.type === 'faults') {
    server.setFaults(message.faults)
    ack()
  } else if (message.type === 'reset') {
    server.reset()
    ack()
  } else if (message.type === 'idle') {
    void server.whenIdle().then(() => ack())
  } else if (message.type === 'log') {
    // timeOrigin: to put the server's times on the client's clock (both on this machine's wall clock).
    ack({ log: slimLog(), perModel: server.stats.perModel, maxInFlight: server.stats.maxInFlight, timeOrigin: performance.timeOrigin })
  } else if (message.type === 'close') {
    void server.close().then(() => {
      ack()
      process.disconnect()
    })
  }
})
// The parent going away (Ctrl-C, crash) must not leave the server running.
process.on('disconnect', () => void server.close().then(() => process.exit(0)))
send({ type: 'ready', url: server.url })
