import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const execute = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const entry = (path: string) => JSON.stringify(pathToFileURL(join(root, path)).href)

// A child process runs a chain of three calls on simulated() 20 times, then 10 times more with a
// full GC before each, while V8 logs every map it makes (`--log-maps`). Objects given a field of a
// new name in between mark the two phases in the log.
const script = `
const { LLMInference, Module } = await import(${entry('src/index.ts')})
const { simulated } = await import(${entry('runtime/endpoints/index.ts')})
class Chain extends Module {
  steps = [1, 2, 3].map((step) => new LLMInference({ alias: 'fast', system: 'Step ' + step }))
  forward(text) {
    let value = text
    for (const step of this.steps) value = step(value)
    return value
  }
}
const pipeline = new Chain().bind({ endpoints: { fast: simulated({ latencyMs: 0 }) } })
for (let run = 0; run < 20; run++) await pipeline('text')
globalThis.marker = {}
globalThis.marker.plaitShapesStart = 1
for (let run = 0; run < 10; run++) {
  gc()
  gc()
  await pipeline('text')
}
globalThis.marker.plaitShapesEnd = 1
`

/** Fields only plait's per-run objects have: the run, a node, a node's context, a direct call, the module tree. */
const fields = ['moduleStack', 'prioritiesKnown', 'liftedListenerLimit', 'readyHead', 'remaining', 'dependents', 'adopters', 'waiters', 'scopeSignal', 'admission', 'finished', 'fresh']

describe('the shapes of a run’s objects', () => {
  let folder: string
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'plait-shapes-'))
  })
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true })
  })

  it('outlive full GCs between runs: the next run makes none of their maps again', async () => {
    const log = join(folder, 'v8.log')
    await execute(process.execPath, ['--expose-gc', '--log-maps', `--logfile=${log}`, '--no-logfile-per-isolate', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, timeout: 60_000 })
    // A map event: map,<kind>,<time>,<from>,<to>,<pc>,<line>,<column>,<reason>,<name> (a comma
    // in a name is written \x2C).
    const names = (await readFile(log, 'utf8'))
      .split('\n')
      .filter((line) => line.startsWith('map,Transition,'))
      .map((line) => line.slice(line.lastIndexOf(',') + 1))
    const start = names.indexOf('plaitShapesStart')
    const end = names.indexOf('plaitShapesEnd')
    expect(start).toBeGreaterThan(0)
    expect(end).toBeGreaterThan(start)
    // Before the GCs, the first runs made them.
    expect(names.slice(0, start)).toEqual(expect.arrayContaining(fields))
    expect(names.slice(start, end).filter((name) => fields.includes(name))).toEqual([])
  })
})
