/**
 * `node --import plait/register app.ts` end to end, in child processes on this machine's Node
 * (20): from the checkout together with tsx, and from a built copy of the package with tsx in
 * either order and without it (plait strips the types itself).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildPackage, type BuiltPackage } from './built-package.js'
import { appForwardLine, appSource, appThrowLine, badSource, warnSource } from './fixtures.js'
import { makeProject, runNode, type Project } from './project.js'

const files = { 'app.ts': appSource, 'warn.ts': warnSource, 'bad.ts': badSource }
const graphFile = '.plait/app.ts/Pipeline.graph.json'

function compiledGraph(project: Project): { source: string; nodes: Array<{ id: string; site?: { line: number } }> } {
  return JSON.parse(readFileSync(join(project.dir, graphFile), 'utf8')) as { source: string; nodes: Array<{ id: string; site?: { line: number } }> }
}

describe('plait/register from the checkout, after tsx', () => {
  let project: Project
  const hook = ['--conditions=plait-source', '--import', 'tsx', '--import', 'plait/register']
  beforeAll(() => {
    project = makeProject(files)
  })
  afterAll(() => project.remove())

  it('compiles the pipeline, runs it and writes its graph files from the file as written', async () => {
    const result = await runNode([...hook, 'app.ts'], project.dir)
    expect(result.stderr).toBe('')
    expect(result.stdout).toBe('ECHO HELLO!\n')
    const graph = compiledGraph(project)
    expect(graph.source).toBe('compiler')
    expect(JSON.stringify(graph)).toContain(`"line":${appForwardLine}`)
    expect(existsSync(join(project.dir, '.plait/app.ts/Pipeline.mmd'))).toBe(true)
  })

  it('maps a throw inside a compiled forward() back to the original lines', async () => {
    const result = await runNode(['--enable-source-maps', ...hook, 'app.ts', 'boom'], project.dir)
    expect(result.stdout).toContain('Error: boom in shout')
    expect(result.stdout).toContain(`app.ts:${appThrowLine}:`)
    expect(result.stdout).toContain(`app.ts:${appForwardLine}:`)
  })

  it('fails the import with the formatted diagnostic on an error (PL1xx)', async () => {
    const result = await runNode([...hook, 'bad.ts'], project.dir)
    expect(result.code).not.toBe(0)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('bad.ts:7:12 - error PL106:')
    expect(result.stderr).toContain('  7 |     return this[kind](text)\n    |            ^')
    expect(result.stderr).toContain('see: docs/diagnostics.md#pl106')
    expect(result.stderr).not.toContain('module-compiler')
  })

  it('prints a tracer fallback (PL2xx) once and runs it; PLAIT_STRICT=1 makes it an error', async () => {
    const relaxed = await runNode([...hook, 'warn.ts'], project.dir)
    expect(relaxed.stdout).toBe('fine\n')
    expect(relaxed.stderr.match(/warn\.ts:\d+:\d+ - warning PL201:/g)).toHaveLength(1)
    const strict = await runNode([...hook, 'warn.ts'], project.dir, { PLAIT_STRICT: '1' })
    expect(strict.code).not.toBe(0)
    expect(strict.stdout).toBe('')
    expect(strict.stderr).toMatch(/warn\.ts:\d+:\d+ - error PL201:/)
  })

  it('writes graph files under PLAIT_ROOT and none with PLAIT_GRAPHS=0', async () => {
    project.write('sub/app.ts', appSource)
    const rooted = await runNode([...hook, 'sub/app.ts'], project.dir, { PLAIT_ROOT: 'sub' })
    expect(rooted.stdout).toBe('ECHO HELLO!\n')
    expect(existsSync(join(project.dir, 'sub', graphFile))).toBe(true)
    project.write('quiet/app.ts', appSource)
    const quiet = await runNode([...hook, 'quiet/app.ts'], project.dir, { PLAIT_GRAPHS: '0' })
    expect(quiet.stdout).toBe('ECHO HELLO!\n')
    expect(existsSync(join(project.dir, '.plait/quiet'))).toBe(false)
  })
})

describe('plait/register from the built package', () => {
  let built: BuiltPackage
  let project: Project
  beforeAll(async () => {
    built = await buildPackage(`test/register/.tmp-built-${process.pid}`)
    project = makeProject(files, built.dir)
  }, 60_000)
  afterAll(() => {
    project?.remove()
    built?.remove()
  })

  it('runs a TypeScript file on plain Node 20 (plait strips the types) with source maps to the original lines', async () => {
    const result = await runNode(['--enable-source-maps', '--import', 'plait/register', 'app.ts'], project.dir)
    expect(result.stderr).toBe('')
    expect(result.stdout).toBe('ECHO HELLO!\n')
    expect(compiledGraph(project).source).toBe('compiler')
    const failing = await runNode(['--enable-source-maps', '--import', 'plait/register', 'app.ts', 'boom'], project.dir)
    expect(failing.stdout).toContain(`app.ts:${appThrowLine}:`)
    expect(failing.stdout).toContain(`app.ts:${appForwardLine}:`)
  })

  it('runs after tsx and before it, writing the same graph file', async () => {
    const plain = readFileSync(join(project.dir, graphFile), 'utf8')
    for (const order of [['tsx', 'plait/register'], ['plait/register', 'tsx']]) {
      const result = await runNode(['--enable-source-maps', ...order.flatMap((entry) => ['--import', entry]), 'app.ts', 'boom'], project.dir)
      expect(result.stdout, order.join(' then ')).toContain(`app.ts:${appForwardLine}:`)
      expect(readFileSync(join(project.dir, graphFile), 'utf8')).toBe(plain)
    }
  })
})
