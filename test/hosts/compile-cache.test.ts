/**
 * The compile cache of `transformFile` (on by default where the root has `node_modules`): a later
 * build reads what an earlier one saved, an entry is dropped when a file its classes extend
 * changed, graph files are restored when they are not as the last build left them, and a cache
 * written by another compiler is never read.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cacheFolder, CompileCache } from '../../plugin/compile-cache.js'
import { compilerFingerprint } from '../../plugin/compiler-fingerprint.js'
import { transformFile } from '../../plugin/transform.js'
import { makeProject, projectFolder } from './project.js'

const project = makeProject()
afterAll(() => project.remove())

const derived = join(project.root, projectFolder, 'derived.ts')
const base = join(project.root, projectFolder, 'base.ts')
const folder = join(project.root, 'node_modules/.cache/plait')
const cacheFile = join(folder, `compiles-${compilerFingerprint().slice(0, 16)}.json`)
/** One build: a cache of its own, read from disk, saved when the build ends. */
const build = () => {
  const cache = new CompileCache(folder)
  const output = transformFile({ code: readFileSync(derived, 'utf8'), id: derived }, { root: project.root }, cache)
  cache.save()
  return output
}
const stored = () => JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, { code: string; key: string }>
const draftAlias = () => build().graphs[0]!.nodes.find((node) => node.id === 'first')?.alias

describe('compile cache', () => {
  it('is on where the root has node_modules, in node_modules/.cache/plait, unless turned off', () => {
    expect(cacheFolder(undefined, project.root)).toBe(folder)
    expect(cacheFolder(false, project.root)).toBeUndefined()
    expect(cacheFolder('.cache/plait', project.root)).toBe(join(project.root, '.cache/plait'))
    const bare = mkdtempSync(join(tmpdir(), 'plait-no-modules-'))
    expect(cacheFolder(undefined, bare)).toBeUndefined()
    expect(cacheFolder(true, bare)).toBe(join(bare, 'node_modules/.cache/plait'))
    rmSync(bare, { recursive: true, force: true })
  })

  it('gives what a compile without the cache gives, and stores it in one file named by the compiler', () => {
    const first = build()
    const uncached = transformFile({ code: readFileSync(derived, 'utf8'), id: derived }, { root: project.root, graphs: false, cache: false })
    expect({ ...first, written: [] }).toEqual({ ...uncached, written: [] })
    expect(readdirSync(folder)).toEqual([`compiles-${compilerFingerprint().slice(0, 16)}.json`])
    expect(Object.keys(stored())).toEqual([`${project.root}\0${projectFolder}/derived.ts`])
  })

  it('reads the stored compile on the next build', () => {
    const entries = stored()
    const [key] = Object.keys(entries)
    writeFileSync(cacheFile, JSON.stringify({ [key!]: { ...entries[key!]!, code: `// from the cache\n${entries[key!]!.code}` } }))
    expect(build().code).toMatch(/^\/\/ from the cache\n/)
  })

  it('compiles again when a file its classes extend changed', () => {
    expect(draftAlias()).toBe('main')
    writeFileSync(base, readFileSync(base, 'utf8').replace("alias: 'main'", "alias: 'fast'"))
    expect(draftAlias()).toBe('fast')
    expect(build().code).not.toMatch(/from the cache/)
  })

  it('compiles again when the file changed, and keeps one entry per file', () => {
    const text = readFileSync(derived, 'utf8')
    writeFileSync(derived, `${text}\n// edited\n`)
    const before = stored()[`${project.root}\0${projectFolder}/derived.ts`]!.key
    build()
    expect(Object.keys(stored())).toHaveLength(1)
    expect(stored()[`${project.root}\0${projectFolder}/derived.ts`]!.key).not.toBe(before)
    writeFileSync(derived, text)
  })

  it('leaves graph files alone while they are as the last build left them, and restores them otherwise', () => {
    const graphFile = join(project.root, '.plait', projectFolder, 'derived.ts/Reviewed.graph.json')
    build()
    expect(build().written).toEqual([])
    const text = readFileSync(graphFile, 'utf8')
    rmSync(graphFile)
    expect(build().written).toEqual([`.plait/${projectFolder}/derived.ts/Reviewed.graph.json`])
    expect(readFileSync(graphFile, 'utf8')).toBe(text)
    rmSync(join(project.root, '.plait'), { recursive: true })
    expect(build().written).toHaveLength(4)
  })

  it('drops the entries of source files that are gone when it saves', () => {
    const gone = join(project.root, projectFolder, 'gone.ts')
    writeFileSync(gone, readFileSync(derived, 'utf8'))
    const cache = new CompileCache(folder)
    transformFile({ code: readFileSync(gone, 'utf8'), id: gone }, { root: project.root, graphs: false }, cache)
    cache.save()
    expect(Object.keys(stored())).toContain(`${project.root}\0${projectFolder}/gone.ts`)
    rmSync(gone)
    // The next save (one that stores something: here a strict build of another file) leaves it out.
    const next = new CompileCache(folder)
    transformFile({ code: readFileSync(derived, 'utf8'), id: derived }, { root: project.root, strict: true }, next)
    next.save()
    expect(Object.keys(stored())).not.toContain(`${project.root}\0${projectFolder}/gone.ts`)
  })

  it('never stores a failed compile', () => {
    const broken = join(project.root, projectFolder, 'broken.ts')
    const cache = new CompileCache(folder)
    expect(() => transformFile({ code: readFileSync(broken, 'utf8'), id: broken }, { root: project.root }, cache)).toThrow(/PL102/)
    cache.save()
    expect(Object.keys(stored())).toEqual([`${project.root}\0${projectFolder}/derived.ts`])
  })

  it('never reads what another compiler wrote, and removes it when saving', () => {
    const other = join(folder, 'compiles-0123456789abcdef.json')
    writeFileSync(other, readFileSync(cacheFile))
    rmSync(cacheFile)
    expect(build().code).not.toMatch(/from the cache/)
    expect(existsSync(other)).toBe(false)
    expect(existsSync(cacheFile)).toBe(true)
  })

  it('treats an unreadable cache file as empty, and a folder it cannot write as no cache', () => {
    writeFileSync(cacheFile, '{"torn": ')
    expect(build().code).toContain('plait/compiled')
    expect(Object.keys(stored())).toHaveLength(1)
    const blocked = join(project.root, 'blocked')
    writeFileSync(blocked, 'a file where the folder would be')
    const cache = new CompileCache(join(blocked, 'cache'))
    expect(() => transformFile({ code: readFileSync(derived, 'utf8'), id: derived }, { root: project.root }, cache)).not.toThrow()
    expect(() => cache.save()).not.toThrow()
  })
})
