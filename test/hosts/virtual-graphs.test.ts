/**
 * `virtual:plait/graphs` without a bundler: which files it compiles, what it caches, and which
 * folders it leaves alone.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { fileFilter } from '../../plugin/transform.js'
import { ProjectGraphCache } from '../../plugin/virtual-graphs.js'
import { makeProject, projectFolder } from './project.js'

const project = makeProject()
afterAll(() => project.remove())

/** The module's graphs, by key. */
const graphsOf = async (code: string) => ((await import(`data:text/javascript,${encodeURIComponent(code)}`)) as { default: Record<string, { name: string }> }).default

describe('virtual:plait/graphs', () => {
  const cache = new ProjectGraphCache()
  const accept = fileFilter({}, project.root)

  it('holds a graph per compiled class of the project, keyed by file and class', async () => {
    const { code, files, compiled } = cache.load(project.root, accept)
    expect(Object.keys(await graphsOf(code))).toEqual([
      'fixtures/compiler/branches.ts#Branches',
      'fixtures/compiler/composite.ts#Summarize',
      'fixtures/compiler/composite.ts#Pipeline',
      'fixtures/compiler/extract-and-compare.ts#ExtractAndCompare',
      `${projectFolder}/base.ts#Drafter`,
      `${projectFolder}/derived.ts#Reviewed`,
    ])
    expect(compiled).toBe(8) // the five above, and broken.ts, traced.ts and pipelines.spec.ts (no graphs)
    expect(files).toContain(join(project.root, projectFolder, 'base.ts'))
  })

  it('compiles again only the files whose text, or whose base class file, changed', () => {
    expect(cache.load(project.root, accept).compiled).toBe(0)
    const base = join(project.root, projectFolder, 'base.ts')
    writeFileSync(base, readFileSync(base, 'utf8').replace("alias: 'main'", "alias: 'fast'"))
    const after = cache.load(project.root, accept)
    expect(after.compiled).toBe(2)
    expect(after.code).toMatch(/"test\/hosts\/project\/derived\.ts#Reviewed": \{[\s\S]*?"alias": "fast"/)
  })

  it('skips output and dot folders, the folders it is told to, and files the filter rejects', async () => {
    for (const folder of ['dist', '.cache', 'public']) {
      mkdirSync(join(project.root, folder), { recursive: true })
      cpSync(join(project.root, projectFolder, 'base.ts'), join(project.root, folder, 'copy.ts'))
    }
    const narrow = fileFilter({ include: ['fixtures/**'] }, project.root)
    const everything = Object.keys(await graphsOf(cache.load(project.root, accept, [join(project.root, 'public')]).code))
    expect(everything.filter((key) => key.includes('copy.ts'))).toEqual([])
    expect(Object.keys(await graphsOf(cache.load(project.root, narrow).code)).every((key) => key.startsWith('fixtures/'))).toBe(true)
  })
})
