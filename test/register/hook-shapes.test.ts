/**
 * The hook functions themselves, called in-process the way Node calls them: the async hooks of
 * `module.register` (Node 20) and the synchronous ones of `module.registerHooks` (Node 22.15+,
 * 23.5+, not on this machine), with stand-ins for the loaders before them.
 */
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { initialize, load, resolve } from '../../plugin/register/hooks.js'
import { takeInlineSourceMap } from '../../plugin/register/inline-source-map.js'
import { registerOptions } from '../../plugin/register/options.js'
import { syncHooks } from '../../plugin/register/sync-hooks.js'
import { appSource, badSource, warnSource } from './fixtures.js'
import { makeProject } from './project.js'

const project = makeProject({ 'app.ts': appSource, 'bad.ts': badSource, 'warn.ts': warnSource, 'util.ts': 'export const util = 1\n', 'plain.ts': 'export const plain: number = 1\n' })
afterAll(() => project.remove())
const url = (file: string) => pathToFileURL(`${project.dir}/${file}`).href
const options = { root: project.dir, strict: false, graphs: false, cache: false }
const unknownExtension = () => Object.assign(new TypeError('Unknown file extension ".ts"'), { code: 'ERR_UNKNOWN_FILE_EXTENSION' })
const notFound = () => Object.assign(new Error('Cannot find module'), { code: 'ERR_MODULE_NOT_FOUND' })

describe('module.registerHooks (synchronous) shape', () => {
  const warnings: string[] = []
  const hooks = syncHooks(options, (text) => warnings.push(text))

  it("compiles Node's own type-stripping output (module-typescript) and keeps the format for Node to strip", () => {
    const loaded = hooks.load(url('app.ts'), { format: 'module-typescript' }, () => ({ format: 'module-typescript', source: Buffer.from(appSource) }))
    expect(loaded.format).toBe('module-typescript')
    const { code, map } = takeInlineSourceMap(String(loaded.source))
    expect(code).toContain("from 'plait/compiled'")
    expect(code).toContain('forward(text: string) { const $ = enter(this);')
    expect(map?.sources.map((source) => new URL(source, url('app.ts')).href)).toEqual([url('app.ts')])
  })

  it('strips and compiles a TypeScript file no loader can load', () => {
    const loaded = hooks.load(url('app.ts'), {}, () => {
      throw unknownExtension()
    })
    expect(loaded).toMatchObject({ format: 'module', shortCircuit: true })
    expect(String(loaded.source)).toContain('forward(text) {\n        const $ = enter(this);')
    const plain = hooks.load(url('plain.ts'), {}, () => {
      throw unknownExtension()
    })
    expect(String(plain.source)).toMatch(/^export const plain = 1;/)
  })

  it('leaves files without plait modules, and other formats, exactly as loaded', () => {
    const json = { format: 'json', source: '{}' }
    expect(hooks.load(url('app.ts'), {}, () => json)).toBe(json)
    const util = { format: 'module', source: 'export const util = 1\n' }
    expect(hooks.load(url('util.ts'), {}, () => util)).toBe(util)
  })

  it('prints each warning once and throws the formatted diagnostics on an error', () => {
    const loadWarn = () => hooks.load(url('warn.ts'), {}, () => ({ format: 'module-typescript', source: warnSource }))
    loadWarn()
    loadWarn()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/warn\.ts:\d+:\d+ - warning PL201:/)
    expect(() => hooks.load(url('bad.ts'), {}, () => ({ format: 'module-typescript', source: badSource }))).toThrow(/bad\.ts:7:12 - error PL106/)
  })

  it('resolves ./x.js from a TypeScript file to ./x.ts when only that exists', () => {
    const seen: string[] = []
    const resolved = hooks.resolve('./util.js', { parentURL: url('app.ts') }, (specifier) => {
      seen.push(specifier)
      if (specifier === './util.js') throw notFound()
      return { url: specifier }
    })
    expect(resolved.url).toBe(url('util.ts'))
    expect(() => hooks.resolve('./missing.js', { parentURL: url('app.ts') }, () => { throw notFound() })).toThrow('Cannot find module')
  })
})

describe('module.register (async, hooks thread) shape', () => {
  initialize({ options })

  it('compiles the file as written when another loader (tsx) already stripped its types', async () => {
    const strippedByTsx = 'import{LLMInference,Module}from"plait";class Pipeline extends Module{forward(text){return text}}'
    const loaded = await load(url('app.ts'), { format: 'module' }, async () => ({ format: 'module', source: strippedByTsx }))
    const { code } = takeInlineSourceMap(String(loaded.source))
    expect(code).toContain('const $ = enter(this);')
    expect(code).toContain("summarize = new LLMInference({ alias: 'main', system: 'SUMMARIZE' })")
  })

  it('resolves through the loaders before it and falls back to TypeScript files', async () => {
    expect(await resolve('plait', {}, async () => ({ url: 'file:///plait.js' }))).toEqual({ url: 'file:///plait.js' })
    const resolved = await resolve('./util', { parentURL: url('app.ts') }, async (specifier) => {
      if (specifier === './util') throw notFound()
      return { url: specifier }
    })
    expect(resolved.url).toBe(url('util.ts'))
  })

  it('passes on load errors it cannot answer', async () => {
    await expect(load('file:///nowhere/x.js', {}, async () => { throw notFound() })).rejects.toThrow('Cannot find module')
  })
})

describe('registerOptions', () => {
  it('reads PLAIT_ROOT, PLAIT_STRICT, PLAIT_GRAPHS and PLAIT_CACHE', () => {
    expect(registerOptions({}, '/repo')).toEqual({ root: '/repo', strict: false, graphs: true, cache: true })
    expect(registerOptions({ PLAIT_ROOT: 'app', PLAIT_STRICT: '1', PLAIT_GRAPHS: '0', PLAIT_CACHE: '0' }, '/repo')).toEqual({ root: '/repo/app', strict: true, graphs: false, cache: false })
  })
})
