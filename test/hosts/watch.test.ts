/**
 * Watch mode and the dev server: editing the file of a base class recompiles the classes that
 * extend it (their graph files and `virtual:plait/graphs` follow), through Rollup's `watch()` and
 * Vite's dev server (SSR module graph).
 */
import { readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import plaitRollup from '../../plugin/hosts/rollup.js'
import plaitVite from '../../plugin/hosts/vite.js'
import plaitEsbuild from '../../plugin/hosts/esbuild.js'
import { packConfig, rspackParts, stripTypes, webpackParts, type BuildRequest, type PackParts } from './builders.js'
import { makeProject, projectFolder } from './project.js'

/** The alias of the first draft call in the graph of `Reviewed` (from `.plait/`). */
const draftAliasOnDisk = (root: string) => draftAlias(JSON.parse(readFileSync(join(root, `.plait/${projectFolder}/derived.ts/Reviewed.graph.json`), 'utf8')))
const draftAlias = (graph: { nodes: Array<{ id: string; alias?: string }> }) => graph.nodes.find((node) => node.id === 'first')?.alias

/** Changes the alias of the base class's module: only a recompile of `derived.ts` shows it there. */
const editBase = (root: string) => {
  const path = join(root, projectFolder, 'base.ts')
  writeFileSync(path, readFileSync(path, 'utf8').replace("alias: 'main'", "alias: 'fast'"))
}

/** Touches the base class file again (a newer mtime, the same content). */
const touchBase = (root: string) => {
  const now = new Date()
  utimesSync(join(root, projectFolder, 'base.ts'), now, now)
}

/**
 * Polls `check` until it holds (wide margin: file watchers on a loaded machine are slow). With
 * `retouch`, calls it every 2 s meanwhile: a watcher that has only just started may take an edit
 * made in its first moments for part of the state it started from (webpack's and Rspack's
 * watchpack compare modification times with the build's start), so the test edits again rather
 * than counting on timing.
 */
async function eventually(check: () => Promise<boolean> | boolean, retouch?: () => void, timeoutMs = 15_000): Promise<void> {
  const started = Date.now()
  let touched = started
  while (!(await check())) {
    const now = Date.now()
    if (now > started + timeoutMs) throw new Error(`Expected the change to be picked up within ${timeoutMs} ms`)
    if (retouch !== undefined && now - touched >= 2_000) {
      retouch()
      touched = now
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

describe('watch mode', () => {
  it('Rollup recompiles a dependent and the virtual module after its base class file changes', async () => {
    const { watch } = await import('rollup')
    const project = makeProject()
    cleanups.push(project.remove)
    const file = join(project.root, 'out/bundle.mjs')
    const watcher = watch({
      input: join(project.root, projectFolder, 'main.ts'),
      external: (id) => id === 'plait' || id.startsWith('plait/'),
      plugins: [plaitRollup({ root: project.root }), stripTypes()],
      output: { file, format: 'es' },
      watch: { buildDelay: 50, clearScreen: false },
    })
    cleanups.push(() => watcher.close())
    let builds = 0
    const failures: unknown[] = []
    watcher.on('event', (event) => {
      if (event.code === 'BUNDLE_END') void event.result.close()
      if (event.code === 'END') builds++
      if (event.code === 'ERROR') failures.push(event.error)
    })
    const bundledGraph = async (build: number) => ((await import(`${pathToFileURL(file).href}?build=${build}`)) as { graphs: Record<string, Parameters<typeof draftAlias>[0]> }).graphs[`${projectFolder}/derived.ts#Reviewed`]!
    await eventually(() => builds === 1)
    expect(draftAliasOnDisk(project.root)).toBe('main')
    expect(draftAlias(await bundledGraph(1))).toBe('main')

    editBase(project.root)
    await eventually(() => builds === 2)
    expect(failures).toEqual([])
    expect(draftAliasOnDisk(project.root)).toBe('fast')
    expect(draftAlias(await bundledGraph(2))).toBe('fast')
  })

  it('the Vite dev server recompiles a dependent and the virtual module after its base class file changes', async () => {
    const { createServer } = await import('vite')
    const project = makeProject()
    cleanups.push(project.remove)
    const server = await createServer({
      root: project.root,
      configFile: false,
      logLevel: 'silent',
      appType: 'custom',
      plugins: [plaitVite()],
      server: { middlewareMode: true, ws: false },
      // plait itself runs from this repository's TypeScript sources, through the dev server.
      resolve: { conditions: ['plait-source'] },
      ssr: { noExternal: ['plait'], resolve: { conditions: ['plait-source'] } },
    })
    cleanups.push(() => server.close())
    type Main = { graphs: Record<string, Parameters<typeof draftAlias>[0]>; run: () => Promise<{ outputs: Record<string, unknown> }> }
    const load = () => server.ssrLoadModule(`/${projectFolder}/main.ts`) as Promise<Main>
    const first = await load()
    expect(draftAlias(first.graphs[`${projectFolder}/derived.ts#Reviewed`]!)).toBe('main')
    expect((await first.run()).outputs.reviewed).toBe('REVIEW(DRAFT(essay) + DRAFT(essay!))')

    editBase(project.root)
    await eventually(async () => draftAlias((await load()).graphs[`${projectFolder}/derived.ts#Reviewed`]!) === 'fast')
    expect(draftAliasOnDisk(project.root)).toBe('fast')
  })

  /** A watcher under test: starts watching, counts finished builds, stops. */
  interface Watching {
    name: string
    start(request: BuildRequest, onBuild: (error?: unknown) => void): Promise<() => Promise<void>>
  }

  const packWatching = (name: string, create: () => Promise<(config: unknown) => PackWatcherCompiler>, parts: (request: BuildRequest) => PackParts): Watching => ({
    name,
    async start(request, onBuild) {
      // With the memory cache (webpack's default in development) a module is rebuilt only when one of its dependencies changed.
      const compiler = (await create())({ ...packConfig(request, parts(request)), cache: { type: 'memory' } })
      const watching = compiler.watch({ aggregateTimeout: 50 }, (error, stats) => onBuild(error ?? (stats?.hasErrors() ? stats.toString() : undefined)))
      return () => new Promise((resolve) => watching.close(() => resolve()))
    },
  })

  interface PackWatcherCompiler {
    watch(options: unknown, callback: (error: Error | null, stats?: { hasErrors(): boolean; toString(): string }) => void): { close(callback: () => void): void }
  }

  const watchers: Watching[] = [
    packWatching('webpack', async () => ((await import('webpack')).default as unknown as (config: unknown) => PackWatcherCompiler), webpackParts),
    packWatching('Rspack', async () => ((await import('@rspack/core')).rspack as unknown as (config: unknown) => PackWatcherCompiler), rspackParts),
    {
      name: 'esbuild',
      async start(request, onBuild) {
        const { context } = await import('esbuild')
        const built = await context({
          entryPoints: [join(request.root, request.entry)],
          outfile: join(request.outDir, 'bundle.mjs'),
          bundle: true,
          format: 'esm',
          platform: 'node',
          external: ['plait', 'plait/*'],
          logLevel: 'silent',
          plugins: [plaitEsbuild({ root: request.root }), { name: 'count', setup: (build) => build.onEnd((result) => onBuild(result.errors.length > 0 ? result.errors : undefined)) }],
        })
        await built.watch()
        return () => built.dispose()
      },
    },
  ]

  it.each(watchers)('$name recompiles a dependent after its base class file changes', async (watching) => {
    const project = makeProject()
    cleanups.push(project.remove)
    let builds = 0
    const failures: unknown[] = []
    const stop = await watching.start({ root: project.root, entry: `${projectFolder}/main.ts`, outDir: join(project.root, 'out') }, (error) => {
      builds++
      if (error) failures.push(error)
    })
    cleanups.push(stop)
    await eventually(() => builds === 1)
    expect(draftAliasOnDisk(project.root)).toBe('main')
    editBase(project.root)
    await eventually(() => builds >= 2 && draftAliasOnDisk(project.root) === 'fast', () => touchBase(project.root))
    expect(failures).toEqual([])
  })
})
