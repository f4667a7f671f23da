/** Each compiler pass on its own, and compile() as a whole on edge cases. */
import ts from 'typescript'
import { decode } from '@jridgewell/sourcemap-codec'
import { describe, expect, it } from 'vitest'
import { findCandidates } from '../../plugin/compiler/candidates.js'
import { classify } from '../../plugin/compiler/classify.js'
import { compile } from '../../plugin/compiler/index.js'
import { NodeIds, TempNames } from '../../plugin/compiler/names.js'
import { lineColumn, parse } from '../../plugin/compiler/parse.js'
import { relativeFile } from '../../plugin/compiler/relative-file.js'
import { computePending } from '../../plugin/compiler/pending.js'
import { analyzeScope } from '../../plugin/compiler/scope.js'
import { composeSourceMaps } from '../../plugin/compiler/sourcemap.js'
import { load, run } from './harness.js'

const header = "import { LLMInference, Module, Parameter } from 'plait'\n"
const moduleOf = (body: string, fields = "a = new LLMInference({ alias: 'fast', system: 'A' })\n  b = new LLMInference({ alias: 'main', system: 'B' })") =>
  `${header}export class P extends Module {\n  ${fields}\n  forward(input, other) {\n${body}\n  }\n}\n`

function analyze(source: string, file = '/repo/app.ts') {
  const parsed = parse(source, file, { root: '/repo' })
  const { imports, candidates } = findCandidates(parsed)
  const candidate = candidates[0]!
  const scope = analyzeScope(candidate.forward)
  const facts = computePending(candidate, imports, scope)
  return { parsed, candidate, scope, facts, binding: (name: string) => scope.bindings.find((binding) => binding.name === name)! }
}

describe('parse', () => {
  it('makes root-relative paths and 1-based positions', () => {
    expect(relativeFile('/repo/src/a.ts', '/repo')).toBe('src/a.ts')
    expect(relativeFile('/repo/src/a.ts?v=1', '/repo/')).toBe('src/a.ts')
    expect(relativeFile('C:\\repo\\a.ts', 'C:\\repo')).toBe('a.ts')
    expect(relativeFile('/elsewhere/a.ts', '/repo')).toBe('/elsewhere/a.ts')
    const parsed = parse('const a = 1\n  const b = 2\n', '/repo/x.js', { root: '/repo' })
    expect(parsed.sf.fileName).toBe('/repo/x.js')
    expect(lineColumn(parsed, parsed.source.indexOf('b'))).toEqual({ line: 2, column: 9 })
  })
})

describe('find candidates', () => {
  it('follows local extends, aliased and namespace imports', () => {
    const source = [
      "import { Module as M } from 'plait'",
      "import * as plait from 'plait'",
      'class Base extends M { forward(x) { return x } }',
      'class Child extends Base { forward(x) { return x } }',
      'class Other extends plait.Module { forward(x) { return x } }',
      'class NotAModule { forward(x) { return x } }',
      'class NoForward extends M {}',
    ].join('\n')
    expect(findCandidates(parse(source, 'a.ts')).candidates.map((candidate) => candidate.name)).toEqual(['Base', 'Child', 'Other'])
  })

  it("takes every class with 'use plait', and skips a forward() with 'use no plait'", () => {
    const source = "'use plait'\nclass A { forward(x) { return x } }\nclass B { forward(x) { 'use no plait'; return x } }"
    const { candidates, directive } = findCandidates(parse(source, 'a.ts'))
    expect(directive).toBe(true)
    expect(candidates.map((candidate) => [candidate.name, candidate.optedOut])).toEqual([['A', false], ['B', true]])
  })

  it('tells modules, parameters, helpers and data apart', () => {
    const source = `${header}import { Thing } from './thing.js'
class P extends Module {
  a = new LLMInference({ alias: 'fast' })
  style = new Parameter('x', { description: 'Style.' })
  cache = new Map()
  limit = 3
  format = (text) => text
  child = new Thing()
  constructor() { super(); this.late = new LLMInference({ alias: 'late' }) }
  helper(x) { return this.a(x) }
  plain(x) { return x }
  forward(x) { return x }
}`
    const fields = findCandidates(parse(source, 'a.ts')).candidates[0]!.fields
    expect(Object.fromEntries([...fields].map(([name, field]) => [name, [field.kind, field.alias ?? field.description ?? field.callsModules ?? null]]))).toEqual({
      a: ['module', 'fast'],
      style: ['parameter', 'Style.'],
      cache: ['data', null],
      limit: ['data', null],
      format: ['function', null],
      child: ['unknown', null],
      late: ['module', 'late'],
      helper: ['method', true],
      plain: ['method', false],
    })
  })
})

describe('scope and pendingness', () => {
  it('resolves bindings, and marks what is reassigned, changed in place or text', () => {
    const { binding, scope } = analyze(moduleOf("    let acc = ''\n    const list = []\n    list.push(input)\n    acc += 'x'\n    const inner = [1].map((input) => input)\n    return acc"))
    expect(binding('acc')).toMatchObject({ reassigned: true, stringish: true })
    expect(binding('list')).toMatchObject({ mutated: true, reassigned: false })
    // The callback's own `input` shadows forward()'s.
    expect(scope.bindings.filter((item) => item.name === 'input').length).toBe(2)
  })

  it('marks parameters, module results and what is computed from them as pending', () => {
    const { binding, facts } = analyze(moduleOf("    const r = this.a(input)\n    const t = `x ${r}`\n    const c = 'plain'\n    const arr = []\n    arr.push(r)\n    const alias = this.b\n    const viaAlias = alias(c)\n    return [t, c, arr, viaAlias]"))
    expect(binding('input')).toMatchObject({ pending: true, future: true })
    expect(binding('r')).toMatchObject({ pending: true, future: true })
    expect(binding('t')).toMatchObject({ pending: true })
    expect(binding('c')).toMatchObject({ pending: false })
    // An array holding a pending value is pending, but is no future itself.
    expect(binding('arr')).toMatchObject({ pending: true, future: false })
    expect(binding('alias').module).toBe('b')
    expect(binding('viaAlias').pending).toBe(true)
    void facts
  })

  it('marks variables assigned under a pending test as pending', () => {
    const { binding } = analyze(moduleOf("    let mode = 'a'\n    if (this.a(input) === 'yes') mode = 'b'\n    return mode"))
    expect(binding('mode').pending).toBe(true)
  })
})

describe('classify and validate', () => {
  const plansOf = (body: string) => {
    const { parsed, facts } = analyze(moduleOf(body))
    const result = classify(parsed, facts)
    return { kinds: [...result.plans.values()].map((plan) => plan.kind), result }
  }

  it('chooses how each statement is lowered', () => {
    expect(plansOf("    let x = ''\n    if (this.a(input) === 'y') x = this.b(input)\n    return x").kinds).toEqual(['if-values'])
    expect(plansOf("    if (this.a(input) === 'y') return 'early'\n    return this.b(input)").kinds).toEqual(['if-continue'])
    expect(plansOf('    const out = []\n    for (const doc of input) out.push(this.a(doc))\n    return out').kinds).toEqual(['for-after'])
    expect(plansOf('    for (const doc of input) this.a(doc)\n    return 1').kinds).toEqual(['for-map'])
    expect(plansOf("    for (const doc of ['a', 'b']) this.a(doc)\n    return 1").kinds).toEqual(['loop-plain'])
    expect(plansOf("    if (Math.random() >= 0) { if (this.a(input) === 'y') return 1 }\n    return 2").kinds).toEqual(['if-continue', 'if-plain'])
  })

  it('reports PL2xx as errors in strict mode and keeps the method for the tracer', () => {
    const source = moduleOf('    try { if (input) return this.a(input); return 2 } catch { return 1 }')
    const { parsed, facts } = analyze(source)
    expect(classify(parsed, facts).diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.severity])).toEqual([['PL201', 'warning']])
    expect(classify(parsed, facts, true).diagnostics.map((diagnostic) => diagnostic.severity)).toEqual(['error'])
    // Left for the tracer: forward() unchanged, the class marked with the reason for the runtime's warning.
    const result = compile(source, '/repo/app.ts', { root: '/repo' })
    expect(result.graphs).toEqual([])
    expect(withoutMarks(result.code)).toBe(source)
    expect(result.code).toContain('static { $mark(this, {"fallback":{"code":"PL201"')
    // Strict: an error, so no marker and nothing changed.
    expect(compile(source, '/repo/app.ts', { root: '/repo', strict: true })).toMatchObject({ code: source, map: null, graphs: [] })
  })

  it('compiles a try whose blocks end in return, and keeps the statement columns', () => {
    const source = moduleOf('    try { return this.a(input) } catch { return 1 }')
    const result = compile(source, '/repo/app.ts', { root: '/repo' })
    expect(result.diagnostics).toEqual([])
    expect(result.graphs[0]!.nodes.map((node) => node.id)).toEqual(expect.arrayContaining(['try', 'return', 'returned']))
    const call = result.graphs[0]!.nodes.find((node) => node.kind === 'call')!
    const line = source.split('\n')[call.loc!.line - 1]!
    expect(line.slice(call.loc!.column - 1)).toMatch(/^this\.a\(input\)/)
  })

  it('rejects callbacks that change outer variables where they run later, and `var` in blocks', () => {
    const codes = (body: string) => plansOf(body).result.diagnostics.map((diagnostic) => diagnostic.code)
    expect(codes('    let count = 0\n    this.a(input).split(",").forEach(() => { count++ })\n    return count')).toEqual(['PL110'])
    expect(codes("    if (other) { var x = 1 }\n    return x")).toEqual(['PL107'])
    expect(codes('    const list = [this.a(input), input]\n    list.sort()\n    return list')).toEqual(['PL108'])
    expect(codes('    let n = 0\n    do n = n + this.a(input).length\n    while (n < input.length)\n    return n')).toEqual(['PL103'])
    expect(codes('    let n = 0\n    while (n < input.length) { n = n + this.a(input).length; if (n > 9) break }\n    return n')).toEqual(['PL103'])
    expect(codes('    let n = 0\n    while (n < input.length) n = n + this.a(input).length\n    return n')).toEqual([])
  })

  it('accepts what looks alike but is fine', () => {
    const ok = (body: string) => expect(plansOf(body).result.diagnostics).toEqual([])
    ok("    const kept = [input].filter((doc) => doc.length > 2)\n    return this.a(kept.join())")
    ok('    const list = []\n    list.push(this.a(input))\n    list.reverse()\n    return list')
    ok('    const data = { title: this.a(input) }\n    data.extra = this.b(input)\n    return data')
    ok("    this.count = 3\n    return this.a(input)")
  })
})

describe('names', () => {
  it('avoids the identifiers of the file and numbers repeated ids', () => {
    const temps = new TempNames(new Set(['$', '$k1', 'enter']))
    expect(temps.reserve('$', '$p')).toBe('$p')
    expect(temps.reserve('enter', '$enter')).toBe('$enter')
    expect(temps.next('$k')).toBe('$k2')
    const ids = new NodeIds()
    expect([ids.take('facts'), ids.take('facts'), ids.take('facts_2'), ids.take('a b')]).toEqual(['facts', 'facts_2', 'facts_2_2', 'a_b'])
  })
})

/** Compiled code without the import line and the class markers the compiler adds for the runtime. */
const withoutMarks = (code: string) => code.replace(/^import \{ enter, mark as \$mark \} from 'plait\/compiled';/, '').replace(/ static \{ \$mark\(this, .*?\) \}(?=\n)/g, '')

describe('compile()', () => {
  it('leaves a file without modules alone', () => {
    expect(compile('export const a = 1\n', '/repo/a.ts')).toEqual({ code: 'export const a = 1\n', map: null, graphs: [], diagnostics: [] })
  })

  it('keeps tokens apart in minified code (`return` right before a template or a string)', async () => {
    const source = "import{LLMInference,Module}from'plait';export class Generated extends Module{m0=new LLMInference({alias:'main',system:'A'});forward(t){const s=this.m0(t);if(s.length>2)return`${s}!`;return typeof s}}"
    const { code, diagnostics } = compile(source, '/repo/min.js', { root: '/repo' })
    expect(diagnostics).toEqual([])
    expect(code).toContain('return $.render(')
    expect(code).toContain('return $.derive(')
    expect((await run(load(code), 'x')).value).toBe('A(x)!')
  })

  it('compiles already-stripped JavaScript, after a shebang, with names that do not collide', () => {
    const source = `#!/usr/bin/env node\n${header}const $ = 'jquery-like'\nexport class P extends Module {\n  a = new LLMInference({ alias: 'main' })\n  forward(x) {\n    return this.a(\`\${$} \${x}\`)\n  }\n}\n`
    const { code, graphs } = compile(source, '/repo/bin/app.js', { root: '/repo' })
    expect(code.startsWith('#!/usr/bin/env node\nimport { enter, mark as $mark, sites as $sites } from')).toBe(true)
    expect(code).toContain('const $p = enter(this);')
    expect(code).toContain("return $p.call(this.a, 'return', [$p.render('render', [\"\",\" \",\"\"], [$, x], $L[0])], $L[1])")
    expect(code.split('\n').length).toBe(source.split('\n').length)
    expect(graphs[0]!.nodes.find((node) => node.kind === 'render')!.template).toEqual(['${$} ', ''])
  })

  it('maps generated code back to the original lines, and composes an incoming map', () => {
    const source = moduleOf('    const r = this.a(input)\n    return this.b(r)')
    const { code, map } = compile(source, '/repo/app.ts', { root: '/repo' })
    const lines = decode(map!.mappings)
    const generatedLine = code.split('\n').findIndex((line) => line.includes("$.call(this.b, 'return'"))
    const originalLine = source.split('\n').findIndex((line) => line.includes('return this.b(r)'))
    expect(lines[generatedLine]!.every((segment) => segment.length === 1 || segment[2] === originalLine)).toBe(true)
    // An incoming map that shifts everything down by one line.
    const shifted = composeSourceMaps(map!, { version: 3, sources: ['original.ts'], names: [], mappings: `;${source.split('\n').map(() => 'AACA').join(';')}`.replace(';AACA', ';AAAA') })
    expect(shifted.sources).toEqual(['original.ts'])
    expect(decode(shifted.mappings)[generatedLine]!.some((segment) => segment.length > 1)).toBe(true)
  })

  it('drops `async` when no await is left, keeps it otherwise', () => {
    const compiled = compile(moduleOf('    const r = await this.a(input)\n    return r').replace('forward(', 'async forward('), '/repo/app.ts')
    expect(compiled.code).toContain('forward(input, other) { const $ = enter(this);')
    expect(compiled.code).not.toContain('async forward')
    const kept = compile(moduleOf("    const text = await Promise.resolve('x')\n    return this.a(text)").replace('forward(', 'async forward('), '/repo/app.ts')
    expect(kept.code).toContain('async forward(')
    expect(kept.code).toContain("await Promise.resolve('x')")
  })

  it('passes variables that forward() reassigns later into deferred branches as they are now', () => {
    const { code } = compile(moduleOf("    let prefix = 'a'\n    const r = this.a(input) === 'y' ? this.b(prefix) : prefix\n    prefix = 'b'\n    return r"), '/repo/app.ts')
    expect(code).toContain('((prefix) => () => ($.call(this.b')
  })
})

describe('internal failures', () => {
  it('leave forward() to the tracer with PL204 instead of breaking the build', async () => {
    const lowerModule = await import('../../plugin/compiler/lower.js')
    const { vi } = await import('vitest')
    const spy = vi.spyOn(lowerModule, 'lower').mockImplementation(() => {
      throw new Error('boom')
    })
    try {
      const source = moduleOf('    return this.a(input)')
      const result = compile(source, '/repo/app.ts', { root: '/repo' })
      expect(withoutMarks(result.code)).toBe(source)
      expect(result.diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.severity, diagnostic.text])).toEqual([['PL204', 'warning', 'The compiler failed on this forward() (boom); it runs through the runtime tracer']])
    } finally {
      spy.mockRestore()
    }
  })
})

describe('syntax errors', () => {
  it('leave the file to the host', () => {
    const source = moduleOf('    return this.a(input')
    expect(compile(source, '/repo/app.ts')).toEqual({ code: source, map: null, graphs: [], diagnostics: [] })
  })
})

describe('graph files', () => {
  it('are named after the file and class, and the same on every build', async () => {
    const { graphFiles } = await import('../../plugin/compiler/outputs.js')
    const source = moduleOf('    return this.a(input)')
    const first = graphFiles(compile(source, '/repo/src/app.ts', { root: '/repo' }).graphs)
    expect(Object.keys(first)).toEqual(['.plait/src/app.ts/P.graph.json', '.plait/src/app.ts/P.mmd', '.plait/src/app.ts/P.dot', '.plait/src/app.ts/P.txt'])
    expect(graphFiles(compile(source, '/repo/src/app.ts', { root: '/repo' }).graphs)).toEqual(first)
    expect(first['.plait/src/app.ts/P.txt']).toContain('calls')
  })
})

describe('following extends across files', () => {
  const files: Record<string, string> = {
    '/repo/src/base.ts': [
      "import { LLMInference, Module } from 'plait'",
      'export class Base extends Module {',
      "  summarize = new LLMInference({ alias: 'fast' })",
      '  shout(text) { return text.toUpperCase() }',
      '}',
    ].join('\n'),
    '/repo/src/middle.ts': "import { Base } from './base.js'\nexport default class Middle extends Base {}\n",
  }
  const resolve = (specifier: string, importer: string) => {
    const id = `${importer.slice(0, importer.lastIndexOf('/'))}/${specifier.replace(/^\.\//, '').replace(/\.js$/, '.ts')}`
    return files[id] === undefined ? undefined : { id, source: files[id]! }
  }
  const source = "import Middle from './middle.js'\nexport class App extends Middle {\n  forward(doc) {\n    return this.shout(this.summarize(doc))\n  }\n}\n"

  it('finds module classes and their inherited fields through a resolver', () => {
    expect(compile(source, '/repo/src/app.ts', { root: '/repo' }).graphs).toEqual([])
    const result = compile(source, '/repo/src/app.ts', { root: '/repo', resolve })
    expect(result.graphs.map((graph) => graph.name)).toEqual(['App'])
    // `summarize` is a module with its alias; `shout` a plain method, so a derive.
    expect(result.code).toContain("$.derive('return', [$.call(this.summarize, 'summarize', [doc], $L[0])], (...$a) => this.shout(...$a)")
    expect(result.graphs[0]!.modules).toEqual([{ path: '', type: 'App' }, { path: 'summarize', type: 'LLMInference', alias: 'fast' }])
  })

  it('reads relative imports from disk with nodeResolver()', async () => {
    const { nodeResolver } = await import('../../plugin/compiler/resolve.js')
    const resolveFromDisk = nodeResolver()
    const found = resolveFromDisk('./support.js', `${process.cwd()}/fixtures/compiler/loops.ts`)
    expect(found?.id.endsWith('fixtures/compiler/support.ts')).toBe(true)
    expect(resolveFromDisk('plait', '/x.ts')).toBeUndefined()
    expect(resolveFromDisk('./missing.js', '/x.ts')).toBeUndefined()
  })
})
