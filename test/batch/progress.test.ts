/**
 * Progress of batches and streams: the onProgress counts, and the progress bar (on a terminal
 * only, off in CI and when stderr is not a terminal, or as forced).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LLMInference, Module, type Progress } from 'plait'
import { simulated, type CompletionRequest } from 'plait/endpoints'
import { progressBarEnabled, type ProgressBarStream } from '../../runtime/progress.js'

const userText = (request: CompletionRequest) => request.messages.at(-1)!.content

class One extends Module<[string], string> {
  call = new LLMInference({ alias: 'main' })
  forward(input: string): string {
    return this.call(input)
  }
}

/** Items `n:latency`; those starting with `fail` fail (400, not retried). */
const endpoint = () =>
  simulated({
    latencyMs: (request) => Number(userText(request).split(':')[1] ?? 0),
    faults: (request) => (userText(request).startsWith('fail') ? { status: 400, message: 'bad item' } : 'ok'),
    reply: (request) => `ok ${userText(request)}`,
  })

const inputs = Array.from({ length: 20 }, (_, index): [string] => [`${index % 5 === 4 ? 'fail' : 'item'}${index}:${(index * 7) % 13}`])

function checkMonotonic(reports: Progress[], total: number, concurrency: number) {
  expect(reports.length).toBeGreaterThan(total)
  for (let index = 1; index < reports.length; index++) {
    const previous = reports[index - 1]!
    const report = reports[index]!
    expect(report.done).toBeGreaterThanOrEqual(previous.done)
    expect(report.failed).toBeGreaterThanOrEqual(previous.failed)
    expect(report.elapsedMs).toBeGreaterThanOrEqual(previous.elapsedMs)
  }
  for (const report of reports) {
    expect(report.total).toBe(total)
    expect(report.inFlight).toBeLessThanOrEqual(concurrency)
    expect(report.done + report.failed + report.inFlight).toBeLessThanOrEqual(total)
    expect(report.rate).toBeGreaterThanOrEqual(0)
  }
  const last = reports.at(-1)!
  expect(last).toMatchObject({ total, done: 16, failed: 4, inFlight: 0, etaMs: 0 })
  expect(reports[0]).toMatchObject({ done: 0, failed: 0, inFlight: 0, etaMs: undefined })
}

describe('onProgress', () => {
  it('reports monotonic progress of a batch, within the cap on runs in flight, ending at the total', async () => {
    const pipeline = new One().bind({ endpoints: { main: endpoint() } })
    const reports: Progress[] = []
    const items = await pipeline.batch(inputs, { concurrency: 3, progressBar: false, onProgress: (progress) => reports.push(progress) })
    expect(items.filter((item) => item.ok)).toHaveLength(16)
    checkMonotonic(reports, 20, 3)
    expect(Math.max(...reports.map((report) => report.inFlight))).toBe(3)
    const midway = reports.find((report) => report.done + report.failed === 10)!
    expect(midway.rate).toBeGreaterThan(0)
    expect(midway.etaMs).toBeGreaterThan(0)
  })

  it('reports the progress of a stream too', async () => {
    const pipeline = new One().bind({ endpoints: { main: endpoint() } })
    const reports: Progress[] = []
    let yielded = 0
    for await (const item of pipeline.stream(inputs, { concurrency: 4, progressBar: false, onProgress: (progress) => reports.push(progress) })) {
      yielded++
      expect(item.index).toBeGreaterThanOrEqual(0)
    }
    expect(yielded).toBe(20)
    checkMonotonic(reports, 20, 4)
  })

  it('checks the options', async () => {
    const pipeline = new One().bind({ endpoints: { main: endpoint() } })
    await expect(pipeline.batch(inputs, { onProgress: 'yes' as never })).rejects.toThrow('Expected `onProgress` to be a function, got "yes".')
    await expect(pipeline.batch(inputs, { progressBar: 'auto' as never })).rejects.toThrow('Expected `progressBar` to be true, false or `{ stream }`')
  })
})

describe('progress bar', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
    vi.restoreAllMocks()
  })

  it('is on by default only on a terminal outside CI', () => {
    const tty = { isTTY: true, write: () => true }
    const pipe = { write: () => true }
    expect(progressBarEnabled(undefined, {}, tty)).toBe(true)
    expect(progressBarEnabled(undefined, {}, pipe)).toBe(false)
    expect(progressBarEnabled(undefined, { CI: 'true' }, tty)).toBe(false)
    expect(progressBarEnabled(undefined, { CI: '1' }, tty)).toBe(false)
    expect(progressBarEnabled(undefined, { CI: 'false' }, tty)).toBe(true)
    expect(progressBarEnabled(undefined, { CI: '' }, tty)).toBe(true)
    expect(progressBarEnabled(false, {}, tty)).toBe(false)
    expect(progressBarEnabled(true, { CI: 'true' }, pipe)).toBe(true)
    expect(progressBarEnabled({ stream: pipe }, { CI: 'true' }, pipe)).toBe(true)
  })

  /** Runs a batch with process.stderr made (not) a terminal, and returns what was written to it. */
  async function stderrOf(isTTY: boolean, ci: string | undefined, options: { progressBar?: boolean; latencyMs?: number } = {}): Promise<string> {
    const stderr = process.stderr as unknown as { isTTY?: boolean; columns?: number }
    const had = Object.getOwnPropertyDescriptor(stderr, 'isTTY')
    const hadColumns = Object.getOwnPropertyDescriptor(stderr, 'columns')
    Object.defineProperty(stderr, 'isTTY', { value: isTTY, configurable: true, writable: true })
    Object.defineProperty(stderr, 'columns', { value: 120, configurable: true, writable: true })
    vi.stubEnv('CI', ci)
    let written = ''
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written += String(chunk)
      return true
    })
    try {
      const { latencyMs, ...batchOptions } = options
      const pipeline = new One().bind({ endpoints: { main: latencyMs === undefined ? endpoint() : simulated({ latencyMs, faults: (request) => (userText(request).startsWith('fail') ? { status: 400 } : 'ok') }) } })
      await pipeline.batch(inputs, { concurrency: 5, ...batchOptions })
    } finally {
      vi.restoreAllMocks()
      if (had) Object.defineProperty(stderr, 'isTTY', had)
      else delete stderr.isTTY
      if (hadColumns) Object.defineProperty(stderr, 'columns', hadColumns)
      else delete stderr.columns
    }
    return written
  }

  it('stays off when stderr is not a terminal, in CI, when turned off, and for short batches', async () => {
    expect(await stderrOf(false, undefined, { latencyMs: 150 })).toBe('')
    expect(await stderrOf(true, 'true', { latencyMs: 150 })).toBe('')
    expect(await stderrOf(true, undefined, { progressBar: false, latencyMs: 150 })).toBe('')
    expect(await stderrOf(true, undefined)).toBe('')
  })

  it('draws done, failed, in flight, rate and ETA on a terminal, for batches that last', async () => {
    // 20 items of about 150 ms, 5 at a time: longer than the half second before a default bar shows.
    const written = await stderrOf(true, undefined, { latencyMs: 150 })
    expect(written).toContain('20/20 | 16 done, 4 failed, 0 in flight |')
    expect(written).toMatch(/\d+(\.\d)?\/s \| ETA \d+s/)
    expect(written).toContain('█')
  })

  it('draws on a given stream when forced, a line at a time off a terminal', async () => {
    const chunks: string[] = []
    const stream: ProgressBarStream = { write: (chunk: string) => chunks.push(chunk) }
    const pipeline = new One().bind({ endpoints: { main: endpoint() } })
    await pipeline.batch(inputs, { concurrency: 5, progressBar: { stream } })
    const lines = chunks.join('').split('\n').filter((line) => line.trim() !== '')
    expect(lines.at(-1)).toContain('20/20 | 16 done, 4 failed, 0 in flight')
    expect(chunks.join('')).not.toContain('\u001b[')
  })
})
