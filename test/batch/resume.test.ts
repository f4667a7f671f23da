/**
 * Kill and resume: a child process runs a batch with a file memo store against the local mock
 * OpenAI server and is killed with SIGKILL half-way; the re-run asks the server for nothing that
 * had succeeded before the kill and gives the same outputs as an uninterrupted run.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockOpenAIServer, type MockChatBody, type MockOpenAIServer, type MockReply } from '../support/openai-server.js'
import { waitUntil } from '../support/wait.js'
import { outputsOf, resumeInputs, resumePipeline } from './fixtures/resume-pipeline.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const script = 'test/batch/fixtures/resume-child.ts'

let server: MockOpenAIServer
let folder: string
beforeAll(async () => {
  server = await startMockOpenAIServer({ latencyMs: 10 })
  folder = mkdtempSync(join(tmpdir(), 'plait-resume-'))
})
afterAll(async () => {
  await server.close()
  rmSync(folder, { recursive: true, force: true })
})

const system = (body: MockChatBody) => String(body.messages.find((message) => message.role === 'system')?.content ?? '')
const user = (body: MockChatBody) => String(body.messages.at(-1)?.content ?? '')
const isExtract = (body: MockChatBody) => system(body) === 'Extract the main facts.'
const itemOf = (body: MockChatBody) => Number(/Document (\d+):/.exec(user(body))?.[1])
/** Replies that depend only on the request, so every run of the batch gets the same ones. */
const reply = (body: MockChatBody): MockReply => (isExtract(body) ? `FACTS[${user(body)}]` : `SUMMARY[${user(body).length}:${itemOf(body)}]`)

/** The child, started from the repository root with the source condition. */
function startChild(store: string, out: string): { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  const child = spawn(process.execPath, ['--conditions=plait-source', '--import', 'tsx', script, server.url, store, out], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stderr })))
  return { child, exited }
}

/** What identifies a request: its messages. */
const identity = (body: MockChatBody) => JSON.stringify(body.messages)
const records = (path: string) => {
  try {
    return readFileSync(path, 'utf8').split('\n').filter((line) => line !== '').length
  } catch {
    return 0
  }
}

describe('kill and resume', () => {
  it('repeats no finished call after SIGKILL half-way, and gives the outputs of a clean run', async () => {
    // 1. A clean, uninterrupted run of the same pipeline (in this process, without a store).
    server.reset()
    server.setHandler(reply)
    const cleanOutputs = outputsOf(await resumePipeline(server.url).batch(resumeInputs, { concurrency: 8 }))
    expect(server.stats.requests).toBe(80)
    expect(cleanOutputs.every((item) => (item as { ok: boolean }).ok)).toBe(true)

    // 2. The batch in a child process that is killed half-way. The server answers every extraction
    //    but only the summaries of items 0-19: items 0-19 finish (40 calls), items 20-27 take their
    //    places and get their extraction (8 calls) while their summaries hang. Once the child has
    //    stored those 48 replies, it is killed with SIGKILL.
    server.reset()
    server.setHandler((body) => (isExtract(body) || itemOf(body) < 20 ? reply(body) : { hang: true }))
    const store = join(folder, 'memo.jsonl')
    const killed = startChild(store, join(folder, 'killed.json'))
    await waitUntil(() => records(store) >= 48 && server.stats.inFlight === 8, { timeoutMs: 20_000, message: 'the child to store 48 replies with 8 summaries hanging' })
    killed.child.kill('SIGKILL')
    expect((await killed.exited).signal).toBe('SIGKILL')
    await server.whenIdle()
    const before = server.log.filter((entry) => entry.status === 200)
    expect(before).toHaveLength(48)
    expect(before.filter((entry) => isExtract(entry.body))).toHaveLength(28)
    expect(server.log.filter((entry) => entry.clientClosed)).toHaveLength(8)
    expect(records(store)).toBe(48)
    const succeeded = new Set(before.map((entry) => identity(entry.body)))

    // 3. The re-run asks only for what had not succeeded: the extractions of items 28-39 and the
    //    summaries of items 20-39 (items 20-27 resume half-done), and its outputs are the clean run's.
    server.reset()
    server.setHandler(reply)
    const resumed = startChild(store, join(folder, 'resumed.json'))
    const resumedExit = await resumed.exited
    expect(resumedExit, resumedExit.stderr).toMatchObject({ code: 0 })
    expect(server.log.filter((entry) => succeeded.has(identity(entry.body)))).toEqual([])
    expect(server.log.filter((entry) => isExtract(entry.body)).map((entry) => itemOf(entry.body)).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, index) => 28 + index))
    expect(server.log.filter((entry) => !isExtract(entry.body)).map((entry) => itemOf(entry.body)).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, index) => 20 + index))
    expect(records(store)).toBe(80)
    expect(JSON.parse(readFileSync(join(folder, 'resumed.json'), 'utf8'))).toEqual(cleanOutputs)
  }, 60_000)
})
