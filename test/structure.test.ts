import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Every non-test TypeScript file under `folder`, relative to the root. */
function sources(folder: string): string[] {
  const found: string[] = []
  const walk = (directory: string) => {
    for (const entry of readdirSync(join(root, directory), { withFileTypes: true })) {
      const path = join(directory, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (path.endsWith('.ts') && !path.endsWith('.test.ts') && !path.endsWith('.d.ts')) found.push(path)
    }
  }
  walk(folder)
  return found
}

/** The value imports of a file (type-only imports are erased and do not count). */
function imports(file: string): Array<{ specifier: string; dynamic: boolean }> {
  const text = readFileSync(join(root, file), 'utf8')
  const found: Array<{ specifier: string; dynamic: boolean }> = []
  for (const match of text.matchAll(/^(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm)) {
    found.push({ specifier: (match[1] ?? match[2])!, dynamic: false })
  }
  for (const match of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) found.push({ specifier: match[1]!, dynamic: true })
  return found
}

/** The layer a file belongs to: `src/graph` is a layer of its own. */
function layer(file: string): string {
  return file.startsWith('src/graph/') ? 'src/graph' : file.split('/')[0]!
}

const files = ['src', 'runtime', 'plugin'].flatMap((folder) => {
  try {
    return sources(folder)
  } catch {
    return []
  }
})

describe('layers', () => {
  const edges = files.flatMap((file) =>
    imports(file)
      .filter(({ specifier }) => specifier.startsWith('.'))
      .map(({ specifier }) => ({ file, target: relative(root, resolve(root, dirname(file), specifier)).replace(/\.js$/, '.ts') })),
  )

  it('finds the sources', () => {
    expect(files.length).toBeGreaterThan(20)
    expect(edges.length).toBeGreaterThan(20)
  })

  it('keeps dependencies pointing one way', () => {
    const allowed: Record<string, string[]> = {
      'src/graph': ['src/graph'],
      runtime: ['runtime', 'src/graph'],
      src: ['src', 'src/graph', 'runtime'],
      plugin: ['plugin', 'src/graph'],
    }
    const wrong = edges.filter(({ file, target }) => !allowed[layer(file)]!.includes(layer(target))).map(({ file, target }) => `${file} -> ${target}`)
    expect(wrong).toEqual([])
  })

  it('has no import cycles between files', () => {
    const graph = new Map<string, string[]>()
    for (const { file, target } of edges) graph.set(file, [...(graph.get(file) ?? []), target])
    const state = new Map<string, 'open' | 'done'>()
    const cycles: string[] = []
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '))
        return
      }
      state.set(file, 'open')
      for (const target of graph.get(file) ?? []) visit(target, [...path, file])
      state.set(file, 'done')
    }
    for (const file of graph.keys()) visit(file, [])
    expect(cycles).toEqual([])
  })

  it('loads the openai SDK only when an openai endpoint is first used', () => {
    const eager = files.filter((file) => imports(file).some(({ specifier, dynamic }) => specifier === 'openai' && !dynamic))
    expect(eager).toEqual([])
    expect(files.some((file) => imports(file).some(({ specifier, dynamic }) => specifier === 'openai' && dynamic))).toBe(true)
  })

  it('never loads the compiler at run time', () => {
    const runtimeFiles = files.filter((file) => !file.startsWith('plugin/'))
    const heavy = runtimeFiles.filter((file) => imports(file).some(({ specifier }) => /^(typescript|ts-morph|magic-string)$/.test(specifier) || specifier.includes('/plugin/')))
    expect(heavy).toEqual([])
  })
})
