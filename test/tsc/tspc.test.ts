/**
 * `tspc` (ts-patch's tsc, without patching the installed TypeScript) on a project whose
 * tsconfig.json loads `plait/tsc` from a built copy of the package with one line: the emitted
 * JavaScript runs on simulated endpoints, graph files match the Node hook's, a PL1xx error fails
 * the compile.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildPackage, type BuiltPackage } from '../register/built-package.js'
import { appSource, badSource } from '../register/fixtures.js'
import { makeProject, runNode, type Project } from '../register/project.js'

const tsconfig = (include: string) =>
  JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      skipLibCheck: true,
      types: [],
      lib: ['ES2023'],
      outDir: 'dist',
      rootDir: 'src',
      sourceMap: true,
      plugins: [{ transform: 'plait/tsc', transformProgram: true }],
    },
    include: ['src/plait.d.ts', include],
  })
const shim = "declare module 'plait'\ndeclare module 'plait/endpoints'\ndeclare const process: { argv: string[] }\ndeclare const console: { log(value: unknown): void }\n"
const tspc = ['node_modules/ts-patch/bin/tspc.js', '-p', '.']

describe('plait/tsc through tspc', () => {
  let built: BuiltPackage
  let project: Project
  beforeAll(async () => {
    built = await buildPackage(`test/tsc/.tmp-built-${process.pid}`)
    project = makeProject({ 'src/app.ts': appSource, 'src/bad.ts': badSource, 'src/plait.d.ts': shim, 'tsconfig.json': tsconfig('src/app.ts') }, built.dir)
  }, 60_000)
  afterAll(() => {
    project?.remove()
    built?.remove()
  })

  it('emits compiled JavaScript that runs, with the graph files the Node hook writes', async () => {
    const compiled = await runNode(tspc, project.dir)
    expect(compiled.stdout + compiled.stderr).toBe('')
    expect(compiled.code).toBe(0)
    expect(readFileSync(join(project.dir, 'dist/app.js'), 'utf8')).toContain('const $ = enter(this);')
    const run = await runNode(['dist/app.js'], project.dir)
    expect(run.stdout).toBe('ECHO HELLO!\n')
    const fromTsc = readFileSync(join(project.dir, '.plait/src/app.ts/Pipeline.graph.json'), 'utf8')
    expect(JSON.parse(fromTsc)).toMatchObject({ source: 'compiler', file: 'src/app.ts' })
    const hooked = await runNode(['--import', 'plait/register', 'src/app.ts'], project.dir)
    expect(hooked.stdout).toBe('ECHO HELLO!\n')
    expect(readFileSync(join(project.dir, '.plait/src/app.ts/Pipeline.graph.json'), 'utf8')).toBe(fromTsc)
  })

  it('fails the compile with the PL1xx diagnostic at its place', async () => {
    project.write('tsconfig.json', tsconfig('src/bad.ts'))
    const compiled = await runNode([...tspc, '--pretty', 'false'], project.dir)
    expect(compiled.code).not.toBe(0)
    expect(compiled.stdout).toContain('src/bad.ts(7,12): error TS9001: PL106: ')
    expect(compiled.stdout).toContain('see: docs/diagnostics.md#pl106')
  })
})
