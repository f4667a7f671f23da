/**
 * The runtime knows which classes the build step compiled: compiled ones say where their graph
 * file is; a class left to the tracer warns once, with the compiler's reason.
 */
import { readFileSync } from 'node:fs'
import { transformSync } from 'esbuild'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { compilationOf, LLMInference, Module, Parameter } from 'plait'
import { enter, mark, sites } from 'plait/compiled'
import { simulated } from 'plait/endpoints'
import { compile } from '../plugin/compiler/index.js'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Compiles a fixture and evaluates it with its imports handed in by name. */
function load(fixture: string): Record<string, new () => Module> {
  const file = `${root}fixtures/compiler/${fixture}`
  const { code } = compile(readFileSync(file, 'utf8'), file, { root })
  const exported = [...code.matchAll(/export class (\w+)/g)].map((match) => match[1]!)
  const javascript = transformSync(code, { loader: 'ts' }).code
  const body = javascript.replace(/import\s*\{[^}]*\}\s*from\s*"[^"]*";?/g, '').replace(/export (class|const) /g, '$1 ')
  return new Function('LLMInference', 'Module', 'Parameter', 'enter', '$mark', '$sites', `${body}\nreturn { ${exported.join(', ')} }`)(LLMInference, Module, Parameter, enter, mark, sites) as Record<string, new () => Module>
}

const warnings: Error[] = []
const onWarning = (warning: Error) => warnings.push(warning)
process.on('warning', onWarning)
afterEach(() => {
  warnings.length = 0
})

const endpoints = { main: simulated(), fast: simulated(), smart: simulated() }

describe('compilationOf', () => {
  it('is "not compiled" for a class no build step saw, and nothing warns without a build step', async () => {
    class Plain extends Module<[string], string> {
      a = new LLMInference({ alias: 'main' })
      forward(text: string) {
        return this.a(text)
      }
    }
    expect(compilationOf(Plain)).toMatchObject({ compiled: false, reason: expect.stringContaining('not transformed by a plait build step') })
    await new Plain().bind({ endpoints })('x')
    await new Promise((resolve) => setImmediate(resolve))
    expect(warnings).toEqual([])
  })

  it('names the graph file of a compiled class, and graph() says the compiler made it', () => {
    const { ExtractAndCompare } = load('extract-and-compare.ts')
    expect(compilationOf(ExtractAndCompare!)).toEqual({
      compiled: true,
      file: 'fixtures/compiler/extract-and-compare.ts',
      graphFile: '.plait/fixtures/compiler/extract-and-compare.ts/ExtractAndCompare.graph.json',
    })
    const module = new ExtractAndCompare!()
    expect(compilationOf(module).compiled).toBe(true)
    expect(module.graph('a', 'b')).toMatchObject({ source: 'compiler', file: 'fixtures/compiler/extract-and-compare.ts' })
  })

  it('gives the reason of a tracer fallback and warns once per class when it runs', async () => {
    load('extract-and-compare.ts')
    const { Rejected } = load('error.switch.ts')
    expect(compilationOf(Rejected!)).toMatchObject({ compiled: false, reason: expect.stringMatching(/^PL202: /), fallback: { code: 'PL202', location: { file: 'fixtures/compiler/error.switch.ts', line: 11 } } })
    const pipeline = new Rejected!().bind({ endpoints })
    await pipeline('ticket')
    await pipeline('ticket')
    await new Promise((resolve) => setImmediate(resolve))
    expect(warnings.map((warning) => [(warning as Error & { code?: string }).code, warning.message])).toEqual([
      ['PLAIT_TRACER_FALLBACK', expect.stringMatching(/^Rejected\.forward\(\) runs on the runtime tracer: PL202: .*\(fixtures\/compiler\/error\.switch\.ts:11:\d+\)\. Fix: /)],
    ])
  })

  it("says nothing about a forward() that opts out with 'use no plait'", async () => {
    load('extract-and-compare.ts')
    class Chosen extends Module<[string], string> {
      a = new LLMInference({ alias: 'main' })
      forward(text: string) {
        'use no plait'
        return this.a(text)
      }
    }
    const file = '/repo/chosen.ts'
    const source = `import { LLMInference, Module } from 'plait'\nexport class Chosen extends Module {\n  a = new LLMInference({ alias: 'main' })\n  forward(text) {\n    'use no plait'\n    return this.a(text)\n  }\n}\n`
    const { code } = compile(source, file, { root: '/repo' })
    expect(code).toContain('static { $mark(this, {"optedOut":true}) }')
    mark(Chosen, { optedOut: true })
    expect(compilationOf(Chosen)).toEqual({ compiled: false, reason: "forward() opts out with 'use no plait'", optedOut: true })
    await new Chosen().bind({ endpoints })('x')
    await new Promise((resolve) => setImmediate(resolve))
    expect(warnings).toEqual([])
  })

  it('warns about a class left out of the build once a build step is in use', async () => {
    load('extract-and-compare.ts')
    class Missed extends Module<[string], string> {
      a = new LLMInference({ alias: 'main' })
      forward(text: string) {
        return this.a(text)
      }
    }
    class Subclass extends Missed {}
    await new Subclass().bind({ endpoints })('x')
    await new Promise((resolve) => setImmediate(resolve))
    expect(warnings.map((warning) => warning.message)).toEqual([expect.stringContaining('Subclass.forward() runs on the runtime tracer: its file was not transformed')])
  })
})
