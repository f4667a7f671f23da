import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { bufferIo, main } from '../../plugin/cli/index.js'
import { makeProject } from './project.js'

const root = makeProject(['extract-and-compare.ts', 'branches.ts'])
afterAll(() => rmSync(root, { recursive: true, force: true }))

function listFiles(folder: string): Record<string, string> {
  const files: Record<string, string> = {}
  const walk = (path: string, prefix: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(path, entry.name), `${prefix}${entry.name}/`)
      else files[`${prefix}${entry.name}`] = readFileSync(join(path, entry.name), 'utf8')
    }
  }
  walk(folder, '')
  return files
}

describe('plait graph', () => {

  it('writes the graph files of every file that mentions plait, byte-identical on a rerun', async () => {
    const io = bufferIo(root)
    expect(await main(['graph'], io)).toBe(0)
    const first = listFiles(join(root, '.plait'))
    expect(Object.keys(first).sort()).toEqual([
      '.gitignore',
      'src/branches.ts/Branches.dot',
      'src/branches.ts/Branches.graph.json',
      'src/branches.ts/Branches.mmd',
      'src/branches.ts/Branches.txt',
      'src/extract-and-compare.ts/ExtractAndCompare.dot',
      'src/extract-and-compare.ts/ExtractAndCompare.graph.json',
      'src/extract-and-compare.ts/ExtractAndCompare.mmd',
      'src/extract-and-compare.ts/ExtractAndCompare.txt',
    ])
    expect(io.out()).toContain('Graphs of 2 classes in 2 files are in .plait/ (8 files written or removed).')
    expect(JSON.parse(first['src/extract-and-compare.ts/ExtractAndCompare.graph.json']!).file).toBe('src/extract-and-compare.ts')

    const again = bufferIo(root)
    expect(await main(['graph'], again)).toBe(0)
    expect(again.out()).toBe('Graphs of 2 classes in 2 files are in .plait/ (up to date).\n')
    expect(listFiles(join(root, '.plait'))).toEqual(first)
  })

  it('prints one format to stdout with --format and writes nothing', async () => {
    const printed: Record<string, string> = {}
    for (const format of ['mermaid', 'dot', 'json', 'text']) {
      const io = bufferIo(join(root, 'src'), {})
      expect(await main(['graph', 'extract-and-compare.ts', '--format', format, '--root', '..'], io)).toBe(0)
      expect(io.err()).toBe('')
      printed[format] = io.out()
    }
    const stored = join(root, '.plait/src/extract-and-compare.ts/ExtractAndCompare')
    expect(printed.mermaid).toBe(readFileSync(`${stored}.mmd`, 'utf8'))
    expect(printed.dot).toBe(readFileSync(`${stored}.dot`, 'utf8'))
    expect(printed.json).toBe(readFileSync(`${stored}.graph.json`, 'utf8'))
    expect(printed.text).toBe(readFileSync(`${stored}.txt`, 'utf8'))
    expect(printed.text).toMatch(/critical path/i)
  })

  it('prints an array for several graphs in JSON and picks one with --class', async () => {
    const all = bufferIo(root)
    expect(await main(['graph', 'src/branches.ts', 'src/extract-and-compare.ts', '--format', 'json'], all)).toBe(0)
    expect((JSON.parse(all.out()) as Array<{ name: string }>).map((graph) => graph.name)).toEqual(['Branches', 'ExtractAndCompare'])
    const one = bufferIo(root)
    expect(await main(['graph', 'src/branches.ts', 'src/extract-and-compare.ts', '--format', 'mermaid', '--class', 'Branches'], one)).toBe(0)
    expect(one.out()).toBe(readFileSync(join(root, '.plait/src/branches.ts/Branches.mmd'), 'utf8'))
    const none = bufferIo(root)
    expect(await main(['graph', 'src/branches.ts', '--format', 'text', '--class', 'Nope'], none)).toBe(1)
    expect(none.err()).toContain('Expected a class `Nope` with a compiled forward() in `src/branches.ts`')
  })

  it('removes the graph files of a source that is gone', async () => {
    const project = makeProject(['extract-and-compare.ts', 'branches.ts'])
    try {
      expect(await main(['graph'], bufferIo(project))).toBe(0)
      rmSync(join(project, 'src/branches.ts'))
      const io = bufferIo(project)
      expect(await main(['graph'], io)).toBe(0)
      expect(io.out()).toContain('.plait/src/branches.ts/Branches.graph.json\n')
      expect(existsSync(join(project, '.plait/src/branches.ts/Branches.mmd'))).toBe(false)
      expect(existsSync(join(project, '.plait/src/extract-and-compare.ts/ExtractAndCompare.mmd'))).toBe(true)
    } finally {
      rmSync(project, { recursive: true, force: true })
    }
  })

  it('prints formatted diagnostics to stderr and exits 1 on a compile error', async () => {
    const project = makeProject(['error.eval.ts'])
    try {
      const io = bufferIo(project)
      expect(await main(['graph', 'src/error.eval.ts'], io)).toBe(1)
      expect(io.err()).toContain('src/error.eval.ts:6:12 - error PL107: `eval` is not supported in a compiled forward()')
      expect(io.err()).toContain('see: docs/diagnostics.md#pl107')
      expect(existsSync(join(project, '.plait/src/error.eval.ts'))).toBe(false)
    } finally {
      rmSync(project, { recursive: true, force: true })
    }
  })

  it('rejects a wrong command line with exit code 2', async () => {
    const format = bufferIo(root)
    expect(await main(['graph', '--format', 'svg'], format)).toBe(2)
    expect(format.err()).toBe('plait graph: Expected `--format` to be mermaid, dot, json or text, got `svg`.\nRun `plait graph --help` for usage.\n')
    const missing = bufferIo(root)
    expect(await main(['graph', 'src/nope.ts'], missing)).toBe(2)
    expect(missing.err()).toContain('Expected `src/nope.ts` to be a source file; it does not exist.')
  })

  it('keeps compiles in node_modules/.cache/plait, and none with --no-cache', async () => {
    const fresh = makeProject(['branches.ts'])
    try {
      const cacheFolder = join(fresh, 'node_modules/.cache/plait')
      expect(await main(['graph', '--no-cache'], bufferIo(fresh))).toBe(0)
      await new Promise((resolve) => setImmediate(resolve))
      expect(existsSync(cacheFolder)).toBe(false)
      expect(await main(['graph'], bufferIo(fresh))).toBe(0)
      await new Promise((resolve) => setImmediate(resolve))
      expect(readdirSync(cacheFolder).filter((name) => /^compiles-[0-9a-f]+\.json$/.test(name))).toHaveLength(1)
    } finally {
      rmSync(fresh, { recursive: true, force: true })
    }
  })
})
