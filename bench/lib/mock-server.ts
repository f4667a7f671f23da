/**
 * The mock OpenAI-compatible server (test/support/openai-server.ts) started in a child process
 * (bench/probes/mock-server.ts), with per-model latency set over IPC.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { MockLatency } from '../../test/support/openai-server.js'

/** The parent's handle on the server process. */
export interface MockServerProcess {
  /** Base URL for the SDK, e.g. `http://127.0.0.1:54321/v1`. */
  readonly url: string
  /** Sets the latency (per model: `{ fast: 100, smart: 200 }`); resolves once the server has it. */
  setLatency(latencyMs: MockLatency): Promise<void>
  /** Stops the server and its process; resolves with the number of requests served since the last `setLatency`. */
  close(): Promise<number>
}

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

/**
 * @example
 * ```ts
 * const server = await startMockServerProcess()
 * await server.setLatency({ fast: 100, smart: 200 })
 * const client = new OpenAI({ baseURL: server.url, apiKey: 'bench', maxRetries: 0 })
 * ```
 */
export async function startMockServerProcess(): Promise<MockServerProcess> {
  const child = fork(fileURLToPath(new URL('../probes/mock-server.ts', import.meta.url)), [], {
    cwd: repoRoot,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  let nextId = 0
  const pending = new Map<number, (requests: number) => void>()
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`The mock server process exited early (code ${code}).`)))
    child.on('message', (message: { type: string; id?: number; url?: string; requests?: number }) => {
      if (message.type === 'ready') resolve(message.url!)
      else if (message.type === 'ack') pending.get(message.id!)?.(message.requests ?? 0)
    })
  })
  const ask = (message: Record<string, unknown>) =>
    new Promise<number>((resolve) => {
      const id = nextId++
      pending.set(id, (requests) => {
        pending.delete(id)
        resolve(requests)
      })
      child.send({ ...message, id })
    })
  return {
    url,
    setLatency: async (latencyMs) => {
      await ask({ type: 'latency', latencyMs })
    },
    close: async () => {
      const requests = await ask({ type: 'close' })
      await new Promise<void>((resolve) => (child.exitCode === null ? child.once('exit', () => resolve()) : resolve()))
      return requests
    },
  }
}
