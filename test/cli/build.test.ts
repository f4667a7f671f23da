import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { bufferIo, main } from '../../plugin/cli/index.js'
import { transformFile } from '../../plugin/transform.js'
import { makeProject, repository } from './project.js'

const tsconfig = JSON.stringify({
  compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, outDir: 'out', sourceMap: true, declaration: true, skipLibCheck: true },
  include: ['src'],
})
const projects: string[] = []
afterAll(() => {
  for (const project of projects) rmSync(project, { recursive: true, force: true })
})

describe('plait build', () => {
  it('emits compiled JavaScript that runs, writes graph files, and reports tsc errors at the original paths', async () => {
    const broken = "// A type error tsc must report at this file's own path and line.\nexport const count: number = 'three'\n"
    const project = makeProject(['extract-and-compare.ts'], { 'tsconfig.json': tsconfig, 'src/broken.ts': broken })
    projects.push(project)
    const io = bufferIo(project)
    const code = await main(['build', '--keep-copy'], io)

    // tsc type checked the originals and still emitted (as tsc does by default), so the exit code is 1.
    expect(io.out()).toContain("src/broken.ts(2,14): error TS2322: Type 'string' is not assignable to type 'number'.")
    expect(io.out()).not.toContain('.plait/.build')
    expect(io.out().match(/TS2322/g)).toHaveLength(1)
    expect(code).toBe(1)
    expect(io.err()).toContain('plait build: compiled 1 class in 1 file (graphs in .plait/); JavaScript in out; tsc reported errors (above).')

    // The copy tsc emitted from is exactly what the bundler plugins get from transformFile.
    const source = join(project, 'src/extract-and-compare.ts')
    const expected = transformFile({ code: readFileSync(source, 'utf8'), id: source }, { root: project, graphs: false }).code
    expect(readFileSync(join(project, '.plait/.build/src/extract-and-compare.ts'), 'utf8')).toBe(expected)

    // Emitted JavaScript, declarations of the user's own types, source maps pointing at the originals.
    const emitted = readFileSync(join(project, 'out/extract-and-compare.js'), 'utf8')
    expect(emitted).toMatch(/from 'plait\/compiled'/)
    expect(readFileSync(join(project, 'out/extract-and-compare.d.ts'), 'utf8')).toContain('forward(doc1: string, doc2: string): string')
    expect(JSON.parse(readFileSync(join(project, 'out/extract-and-compare.js.map'), 'utf8')).sources).toEqual(['../src/extract-and-compare.ts'])
    expect(existsSync(join(project, '.plait/src/extract-and-compare.ts/ExtractAndCompare.graph.json'))).toBe(true)

    // Source locations in the emitted code name the original file and lines.
    expect(emitted).toMatch(/\$sites\("src\/extract-and-compare\.ts", \[[\d, ]*\b12, 12\b/)

    const script = "const { ExtractAndCompare } = await import('./out/extract-and-compare.js'); const { simulated } = await import('plait/endpoints'); const endpoint = simulated({ reply: (request) => request.messages.at(-1).content.slice(0, 40) }); console.log(await new ExtractAndCompare().bind({ endpoints: { fast: endpoint, smart: endpoint } })('rhine', 'danube'))"
    const output = execFileSync(process.execPath, ['--conditions=plait-source', '--import', join(repository, 'node_modules/tsx/dist/esm/index.mjs'), '--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' })
    expect(output).toBe('Compare:\nrhine\n\nvs:\ndanube\n')
  })

  it('does not run tsc when a forward() cannot be compiled', async () => {
    const project = makeProject(['error.eval.ts'], { 'tsconfig.json': tsconfig })
    projects.push(project)
    const io = bufferIo(project)
    expect(await main(['build'], io)).toBe(1)
    expect(io.err()).toContain('src/error.eval.ts:6:12 - error PL107')
    expect(io.err()).toContain('plait build: 1 error in forward() methods (above); tsc was not run.')
    expect(existsSync(join(project, 'out'))).toBe(false)
    expect(existsSync(join(project, '.plait/.build'))).toBe(false)
  })

  it('names a missing tsconfig and takes tsc options only after --', async () => {
    const io = bufferIo(repository)
    expect(await main(['build', '-p', 'nope.json'], io)).toBe(2)
    expect(io.err()).toContain('Expected `nope.json` to be a tsconfig file; it does not exist.')
    const stray = bufferIo(repository)
    expect(await main(['build', 'src/app.ts'], stray)).toBe(2)
    expect(stray.err()).toContain('Unexpected argument `src/app.ts`')
  })
})
