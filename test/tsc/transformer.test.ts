/**
 * The ts-patch program transformer called in-process the way ts-patch calls it: plait's
 * diagnostics join the Program's, JavaScript is emitted from the compiled text with source maps
 * composed back to the file as written, declarations come from the file as written, and graph
 * files are the ones every host writes.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decode } from '@jridgewell/sourcemap-codec'
import ts from 'typescript'
import { afterAll, describe, expect, it } from 'vitest'
import { graphFiles } from '../../plugin/compiler/index.js'
import plaitTransformer, { tscDiagnosticCode } from '../../plugin/tsc.js'
import { transformFile } from '../../plugin/transform.js'
import { appForwardLine, appSource, badSource, warnSource } from '../register/fixtures.js'
import { makeProject } from '../register/project.js'

const project = makeProject({ 'src/app.ts': appSource, 'src/bad.ts': badSource, 'src/warn.ts': warnSource, 'src/plait.d.ts': "declare module 'plait'\ndeclare module 'plait/endpoints'\ndeclare module 'plait/compiled'\ndeclare const process: { argv: string[] }\ndeclare const console: { log(value: unknown): void }\n" })
afterAll(() => project.remove())

const options: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, outDir: join(project.dir, 'dist'), rootDir: join(project.dir, 'src'), sourceMap: true, declaration: true, skipLibCheck: true, types: [], lib: ['lib.es2023.d.ts'], configFilePath: join(project.dir, 'tsconfig.json') }

function transformed(files: string[], extra: ts.CompilerOptions = {}) {
  const host = ts.createCompilerHost({ ...options, ...extra })
  const original = ts.createProgram(files.map((file) => join(project.dir, 'src', file)), { ...options, ...extra }, host)
  const program = plaitTransformer(original, host, {}, { ts })
  const written = new Map<string, string>()
  const result = program.emit(undefined, (fileName, text) => written.set(fileName.slice(project.dir.length + 1), text))
  return { program, result, written }
}

describe('plait/tsc', () => {
  it('emits the compiled JavaScript, declarations of the file as written, and the graph files every host writes', () => {
    const { program, written } = transformed(['app.ts', 'plait.d.ts'])
    expect(ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))).toEqual([])
    const js = written.get('dist/app.js')!
    expect(js).toMatch(/^import { enter\b.* from 'plait\/compiled';/)
    expect(js).toContain('const $ = enter(this);')
    expect(written.get('dist/app.d.ts')).toBeDefined()
    expect(written.get('dist/app.d.ts')).not.toContain('enter')
    const hostOutput = transformFile({ code: appSource, id: join(project.dir, 'src/app.ts') }, { root: project.dir, graphs: false })
    for (const [path, text] of Object.entries(graphFiles(hostOutput.graphs))) expect(readFileSync(join(project.dir, path), 'utf8'), path).toBe(text)
  })

  it('composes the source map back to the lines as written', () => {
    const { written } = transformed(['app.ts', 'plait.d.ts'])
    const js = written.get('dist/app.js')!
    const map = JSON.parse(written.get('dist/app.js.map')!) as { sources: string[]; mappings: string }
    expect(map.sources).toEqual(['../src/app.ts'])
    const callLine = js.split('\n').findIndex((line) => line.includes("$.derive('loud'"))
    const segments = decode(map.mappings)[callLine] ?? []
    expect(segments.length).toBeGreaterThan(0)
    expect(segments.every((segment) => segment[2] === appForwardLine - 1)).toBe(true)
  })

  it('reports an error (PL1xx) as a TypeScript error at its place, which fails the compile', () => {
    const { program } = transformed(['bad.ts', 'plait.d.ts'])
    const plait = program.getSemanticDiagnostics().filter((diagnostic) => diagnostic.code === tscDiagnosticCode)
    expect(plait).toHaveLength(1)
    const [diagnostic] = plait
    expect(diagnostic!.category).toBe(ts.DiagnosticCategory.Error)
    const { line, character } = diagnostic!.file!.getLineAndCharacterOfPosition(diagnostic!.start!)
    expect([line + 1, character + 1]).toEqual([7, 12])
    expect(ts.flattenDiagnosticMessageText(diagnostic!.messageText, '\n')).toMatch(/^PL106: .*\n {2}fix: .*\n {2}see: docs\/diagnostics\.md#pl106$/)
  })

  it('reports a tracer fallback (PL2xx) as a warning and skips emit on errors with noEmitOnError', () => {
    const { program } = transformed(['warn.ts', 'plait.d.ts'])
    const [warning] = program.getSemanticDiagnostics().filter((diagnostic) => diagnostic.code === tscDiagnosticCode)
    expect(warning?.category).toBe(ts.DiagnosticCategory.Warning)
    const { result, written } = transformed(['bad.ts', 'plait.d.ts'], { noEmitOnError: true })
    expect(result.emitSkipped).toBe(true)
    expect(written.size).toBe(0)
  })
})
