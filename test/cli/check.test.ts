import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { bufferIo, main } from '../../plugin/cli/index.js'
import { makeProject } from './project.js'

let project = ''
afterEach(() => rmSync(project, { recursive: true, force: true }))

async function checked(root: string) {
  const io = bufferIo(root)
  const code = await main(['check'], io)
  return { code, out: io.out(), err: io.err() }
}

describe('plait check', () => {
  it('passes with one line after plait graph', async () => {
    project = makeProject(['extract-and-compare.ts', 'branches.ts'])
    expect(await main(['graph'], bufferIo(project))).toBe(0)
    expect(await checked(project)).toEqual({ code: 0, out: 'plait check: graph files of 2 classes in 2 files are up to date.\n', err: '' })
  })

  it('fails listing missing files before any graph was written', async () => {
    project = makeProject(['extract-and-compare.ts'])
    const result = await checked(project)
    expect(result.code).toBe(1)
    expect(result.err).toContain('plait check: 4 graph files are out of date:\n  missing   .plait/src/extract-and-compare.ts/ExtractAndCompare.graph.json\n')
    expect(result.err).toContain('Run `plait graph` to update them.')
  })

  it('fails listing stale files after a source is edited, and passes again after plait graph', async () => {
    project = makeProject(['extract-and-compare.ts'])
    expect(await main(['graph'], bufferIo(project))).toBe(0)
    const source = join(project, 'src/extract-and-compare.ts')
    writeFileSync(source, readFileSync(source, 'utf8').replace('const facts2 = this.extractor(doc2)', 'const facts2 = this.extractor(doc1 + doc2)'))
    const result = await checked(project)
    expect(result.code).toBe(1)
    expect(result.err).toContain('  stale     .plait/src/extract-and-compare.ts/ExtractAndCompare.graph.json')
    expect(result.err).toContain('  stale     .plait/src/extract-and-compare.ts/ExtractAndCompare.mmd')
    expect(await main(['graph'], bufferIo(project))).toBe(0)
    expect((await checked(project)).code).toBe(0)
  })

  it('fails when a graph file is deleted, edited by hand, or left by a deleted source', async () => {
    project = makeProject(['extract-and-compare.ts', 'branches.ts'])
    expect(await main(['graph'], bufferIo(project))).toBe(0)
    rmSync(join(project, '.plait/src/extract-and-compare.ts/ExtractAndCompare.dot'))
    appendFileSync(join(project, '.plait/src/extract-and-compare.ts/ExtractAndCompare.txt'), 'edited\n')
    writeFileSync(join(project, '.plait/src/extract-and-compare.ts/Removed.mmd'), 'flowchart TD\n')
    rmSync(join(project, 'src/branches.ts'))
    const result = await checked(project)
    expect(result.code).toBe(1)
    expect(result.err.split('\n').filter((line) => line.startsWith('  '))).toEqual([
      '  missing   .plait/src/extract-and-compare.ts/ExtractAndCompare.dot',
      '  stale     .plait/src/extract-and-compare.ts/ExtractAndCompare.txt',
      '  orphaned  .plait/src/extract-and-compare.ts/Removed.mmd',
      '  orphaned  .plait/src/branches.ts/Branches.dot',
      '  orphaned  .plait/src/branches.ts/Branches.graph.json',
      '  orphaned  .plait/src/branches.ts/Branches.mmd',
      '  orphaned  .plait/src/branches.ts/Branches.txt',
    ])
  })

  it('fails on a compile error, printing the diagnostic', async () => {
    project = makeProject(['error.eval.ts'])
    const result = await checked(project)
    expect(result.code).toBe(1)
    expect(result.err).toMatch(/src\/error\.eval\.ts:6:12 - error PL107/)
    expect(result.err).toContain('plait check: 1 error in forward() methods (above).')
  })
})
