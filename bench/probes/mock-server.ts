/**
 * Child process: the mock OpenAI-compatible server from test/support, on loopback, driven over
 * IPC by bench/lib/mock-server.ts. It runs in its own process so that its JSON and timer work
 * does not share an event loop (or a core) with the client being measured.
 */
import { startMockOpenAIServer, type MockLatency } from '../../test/support/openai-server.js'

type Message = { type: 'latency'; id: number; latencyMs: MockLatency } | { type: 'close'; id: number }

const send = (message: unknown) => process.send!(message)
const server = await startMockOpenAIServer({ latencyMs: 0, log: false })

process.on('message', (message: Message) => {
  if (message.type === 'latency') {
    server.setLatency(message.latencyMs)
    send({ type: 'ack', id: message.id, requests: server.stats.requests })
  } else if (message.type === 'close') {
    void server.close().then(() => {
      send({ type: 'ack', id: message.id, requests: server.stats.requests })
      process.disconnect()
    })
  }
})
// The parent going away (Ctrl-C, crash) must not leave the server running.
process.on('disconnect', () => void server.close().then(() => process.exit(0)))
send({ type: 'ready', url: server.url })
