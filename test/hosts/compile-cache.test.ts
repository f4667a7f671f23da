/**
 * The opt-in compile cache of `transformFile` (`cache: true`): a second build reads what the first
 * stored, and an entry is dropped when a file its classes extend changed.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { transformFile } from '../../plugin/transform.js'
import { makeProject, projectFolder } from './project.js'

const project = makeProject()
afterAll(() => project.remove())

const derived = join(project.root, projectFolder, 'derived.ts')
const base = join(project.root, projectFolder, 'base.ts')
const folder = join(project.root, 'node_modules/.cache/plait')
const build = () => transformFile({ code: readFileSync(derived, 'utf8'), id: derived }, { root: project.root, cache: true })
const draftAlias = () => build().graphs[0]!.nodes.find((node) => node.id === 'first')?.alias

describe('compile cache', () => {
  it('gives what a compile without the cache gives, and stores it', () => {
    const first = build()
    const uncached = transformFile({ code: readFileSync(derived, 'utf8'), id: derived }, { root: project.root, graphs: false })
    expect({ ...first, written: [] }).toEqual({ ...uncached, written: [] })
    expect(readdirSync(folder).filter((name) => name.endsWith('.json'))).toHaveLength(1)
  })

  it('reads the stored compile on the next build', () => {
    const [entry] = readdirSync(folder)
    const stored = JSON.parse(readFileSync(join(folder, entry!), 'utf8')) as { code: string }
    writeFileSync(join(folder, entry!), JSON.stringify({ ...stored, code: `// from the cache\n${stored.code}` }))
    expect(build().code).toMatch(/^\/\/ from the cache\n/)
  })

  it('compiles again when a file its classes extend changed', () => {
    expect(draftAlias()).toBe('main')
    writeFileSync(base, readFileSync(base, 'utf8').replace("alias: 'main'", "alias: 'fast'"))
    expect(draftAlias()).toBe('fast')
    expect(build().code).not.toMatch(/from the cache/)
  })

  it('leaves graph files alone while they are as the last build left them, and restores them otherwise', () => {
    const graphFile = join(project.root, '.plait', projectFolder, 'derived.ts/Reviewed.graph.json')
    build()
    expect(build().written).toEqual([])
    const text = readFileSync(graphFile, 'utf8')
    rmSync(graphFile)
    expect(build().written).toEqual([`.plait/${projectFolder}/derived.ts/Reviewed.graph.json`])
    expect(readFileSync(graphFile, 'utf8')).toBe(text)
  })

  it('never stores a failed compile', () => {
    const broken = join(project.root, projectFolder, 'broken.ts')
    const before = readdirSync(folder).length
    expect(() => transformFile({ code: readFileSync(broken, 'utf8'), id: broken }, { root: project.root, cache: true })).toThrow(/PL102/)
    expect(readdirSync(folder)).toHaveLength(before)
  })
})
