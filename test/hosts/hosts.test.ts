/**
 * One list of cases run against every bundler host: the same project built through Vite (SSR
 * build), Rollup (plait before and after a type-stripping step), esbuild, webpack and Rspack
 * writes the graph files `compile()` gives, serves them as `virtual:plait/graphs`, maps the
 * generated code back to the source, runs on simulated endpoints with the right output, and fails
 * on a PL1xx error with the formatted diagnostic.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleText, hosts, type Built } from './builders.js'
import { expectedGraphs, makeProject, projectFolder } from './project.js'

/** What `run()` of `main.ts` gives on the simulated endpoints (see `fixtures/compiler/support.ts`). */
const expectedRun = {
  outputs: {
    extract: 'Highlight key similarities and differences.(Compare:\nE(rhine)\n\nvs:\nE(danube))',
    urgent: 'ESCALATE(urgent: server down) / REPLY(calm urgent: server down) / REPLY(fallback) / REPLY(kept) / REPLY(yes)',
    thanks: 'REPLY(thanks) / plain / REPLY(fallback) / REPLY(kept) / REPLY(no)',
    composite: 'JOIN(SECOND(FIRST(p)) & SECOND(FIRST(q)))',
    reviewed: 'REVIEW(DRAFT(essay) + DRAFT(essay!))',
  },
  effects: ['escalated ESCALATE(urgent: server down)'],
}

/** Every graph file under `<root>/.plait`, by root-relative path. */
function graphFilesOnDisk(root: string): Record<string, string> {
  const found: Record<string, string> = {}
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name !== '.gitignore') found[relative(root, path)] = readFileSync(path, 'utf8')
    }
  }
  if (existsSync(join(root, '.plait'))) walk(join(root, '.plait'))
  return found
}

/**
 * Graph text without what depends on the exact text plait was handed (locations and the source
 * hash): all that may differ when another plugin stripped types first.
 */
function withoutLocations(files: Record<string, string>): Record<string, unknown> {
  const strip = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(strip) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'loc' && key !== 'sourceHash').map(([key, item]) => [key, strip(item)])) : value
  return Object.fromEntries(Object.entries(files).filter(([path]) => path.endsWith('.graph.json')).map(([path, text]) => [path, strip(JSON.parse(text))]))
}

/** The original position of the first occurrence of `needle` in the bundle. */
function originalOf(built: Built, needle: string): { source: string | null; line: number | null } {
  const text = bundleText(built)
  const offset = text.indexOf(needle)
  expect(offset, `Expected the bundle to contain ${needle}`).toBeGreaterThanOrEqual(0)
  const before = text.slice(0, offset).split('\n')
  const map = new TraceMap(readFileSync(`${built.file}.map`, 'utf8'))
  const position = originalPositionFor(map, { line: before.length, column: before.at(-1)!.length })
  return { source: position.source, line: position.line }
}

describe.each(hosts)('$name', (host) => {
  const project = makeProject()
  let built: Built
  beforeAll(async () => {
    built = await host.build({ root: project.root, entry: `${projectFolder}/main.ts`, outDir: join(project.root, 'out') })
  })
  afterAll(() => project.remove())

  it('compiles the plait files of the bundle', () => {
    const text = bundleText(built)
    expect(text).toMatch(/from ['"]plait\/compiled['"]/)
    expect(text.match(/\$\.call\(this\.review/g)).toHaveLength(1)
  })

  it('writes the graph files compile() gives', () => {
    const { files } = expectedGraphs(project.root)
    expect(Object.keys(files).length).toBeGreaterThanOrEqual(6 * 4)
    if (host.handsOverJavaScript) expect(withoutLocations(graphFilesOnDisk(project.root))).toEqual(withoutLocations(files))
    else expect(graphFilesOnDisk(project.root)).toEqual(files)
  })

  it('runs the bundle on simulated endpoints', async () => {
    const bundle = (await import(pathToFileURL(built.file).href)) as { run: () => Promise<unknown> }
    expect(await bundle.run()).toEqual(expectedRun)
  })

  it('serves virtual:plait/graphs with the graphs of the project', async () => {
    const bundle = (await import(pathToFileURL(built.file).href)) as { graphs: Record<string, unknown> }
    expect(bundle.graphs).toEqual(expectedGraphs(project.root).graphs)
  })

  it('maps compiled code back to the line it came from', () => {
    const position = originalOf(built, '$.call(this.review')
    expect(position.source).toMatch(/derived\.ts$/)
    expect(position.line).toBe(11)
  })

  it('reports a PL2xx fallback as a warning, and as an error with strict', async () => {
    const warned = await host.build({ root: project.root, entry: `${projectFolder}/traced.ts`, outDir: join(project.root, 'out-traced') })
    expect(warned.warnings.join('\n')).toMatch(/warning PL203[\s\S]*see: docs\/diagnostics\.md#pl203/)
    const strict = host.build({ root: project.root, entry: `${projectFolder}/traced.ts`, outDir: join(project.root, 'out-strict'), options: { strict: true } })
    await expect(strict).rejects.toThrow(/error PL203/)
  })

  it('fails the build on a PL1xx error with the formatted diagnostic', async () => {
    const failed = host.build({ root: project.root, entry: `${projectFolder}/broken.ts`, outDir: join(project.root, 'out-broken') })
    const line = host.handsOverJavaScript ? '\\d+:\\d+' : '6:19'
    await expect(failed).rejects.toThrow(new RegExp(`broken\\.ts:${line} - error PL102[\\s\\S]*fix: `))
  })
})
