/**
 * A Vite 8 build of a generated project of 200 pipeline modules, with and without the plait
 * plugin: what the plugin adds to a production build (target: under 1.3×). The builds are
 * interleaved (plain, plugin, plain, …) after one warm-up each, and medians are compared. The
 * plugin runs as published (`scripts/build.mjs --js-only` into bench/results/build-vite), in two
 * settings: the default, whose compile cache is warm after the first build (a rebuild, or CI with
 * `node_modules/.cache` kept), and `cache: false`, which compiles every module in every build (a
 * first build). The plugin's first build in the process (loading TypeScript, writing every graph
 * file) is reported on its own.
 *
 * Usage: npx tsx --conditions=plait-source bench/vite-build.ts   (BENCH_VITE_REPS, default 9)
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build, type Plugin } from 'vite'
import { runNode } from './lib/spawn.js'
import { table } from './lib/report.js'
import { median, pairedRatio, range } from './lib/stats.js'
import { pipelineSource } from './scenarios/generated-pipelines.js'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const buildDir = join(repoRoot, 'bench', 'results', 'build-vite')
await runNode([join(repoRoot, 'scripts', 'build.mjs'), buildDir, '--js-only'])
const plait = ((await import(pathToFileURL(join(buildDir, 'vite.js')).href)) as typeof import('../plugin/hosts/vite.js')).default
const MODULES = 200
const REPS = Number(process.env['BENCH_VITE_REPS'] ?? 9)
const PROCESS_REPS = Number(process.env['BENCH_VITE_PROCESS_REPS'] ?? 5)

/** Writes the project: `src/pipeline-N.ts` and a `src/main.ts` that imports every one. */
function generateProject(): string {
  const root = mkdtempSync(join(tmpdir(), 'plait-vite-bench-'))
  mkdirSync(join(root, 'src'))
  mkdirSync(join(root, 'node_modules'))
  symlinkSync(repoRoot, join(root, 'node_modules/plait'), 'dir')
  const imports: string[] = []
  for (let n = 0; n < MODULES; n++) {
    writeFileSync(join(root, 'src', `pipeline-${n}.ts`), pipelineSource(n))
    imports.push(`export { Pipeline${n} } from './pipeline-${n}.js'`)
  }
  writeFileSync(join(root, 'src/main.ts'), `${imports.join('\n')}\n`)
  return root
}

/** One production build (SSR bundle for Node, plait external); its wall time in ms. */
/** For scale: a plugin whose transform hook sees every module and hands the same code back. */
const identityPlugin: Plugin = { name: 'identity', enforce: 'pre', transform: (code) => ({ code, map: null }) }

type Variant = 'plain' | 'warm' | 'cold' | 'cold, no graph files' | 'identity'

async function timedBuild(root: string, variant: Variant): Promise<number> {
  const started = performance.now()
  await build({
    root,
    configFile: false,
    logLevel: 'silent',
    plugins: variant === 'plain' ? [] : variant === 'identity' ? [identityPlugin] : [plait(variant === 'warm' ? {} : { cache: false, graphs: variant === 'cold' })],
    build: {
      ssr: 'src/main.ts',
      outDir: `out-${variant.replaceAll(/\W+/g, '-')}`,
      emptyOutDir: true,
      minify: false,
      rollupOptions: { external: (id) => id === 'plait' || id.startsWith('plait/') },
    },
  })
  return performance.now() - started
}

/**
 * One build as a user runs it: a fresh Node process that imports Vite (and the plugin) and
 * builds; its wall time from spawn to exit, in ms.
 */
async function processBuild(root: string, variant: 'plain' | 'warm' | 'cold'): Promise<number> {
  const plugins = variant === 'plain' ? '[]' : `[(await import(${JSON.stringify(pathToFileURL(join(buildDir, 'vite.js')).href)})).default(${variant === 'cold' ? '{ cache: false }' : ''})]`
  const script = `import { build } from 'vite'
await build({ root: ${JSON.stringify(root)}, configFile: false, logLevel: 'silent', plugins: ${plugins}, build: { ssr: 'src/main.ts', outDir: 'out-process-${variant}', emptyOutDir: true, minify: false, rollupOptions: { external: (id) => id === 'plait' || id.startsWith('plait/') } } })`
  const started = performance.now()
  await runNode(['--input-type=module', '-e', script])
  return performance.now() - started
}

const root = generateProject()
try {
  const first = await timedBuild(root, 'warm')
  await timedBuild(root, 'plain')
  await timedBuild(root, 'cold')
  await timedBuild(root, 'cold, no graph files')
  await timedBuild(root, 'identity')
  const samples: Record<Variant, number[]> = { plain: [], identity: [], warm: [], cold: [], 'cold, no graph files': [] }
  for (let rep = 0; rep < REPS; rep++) {
    for (const variant of ['identity', 'plain', 'warm', 'cold', 'cold, no graph files'] as const) samples[variant].push(await timedBuild(root, variant))
  }
  const processSamples: Record<'plain' | 'warm' | 'cold', number[]> = { plain: [], warm: [], cold: [] }
  for (let rep = 0; rep < PROCESS_REPS; rep++) {
    for (const variant of ['plain', 'warm', 'cold'] as const) processSamples[variant].push(await processBuild(root, variant))
  }
  const { plain } = samples
  const spread = (values: number[]) => `${range(values).min.toFixed(0)}–${range(values).max.toFixed(0)}`
  const row = (name: string, variant: Variant) => [name, median(samples[variant]).toFixed(0), spread(samples[variant]), variant === 'plain' ? '1.00×' : `${(median(samples[variant]) / median(plain)).toFixed(2)}× (paired ${pairedRatio(samples[variant], plain).toFixed(2)}×)`]
  process.stdout.write(
    `Vite build, ${MODULES} pipeline modules, ${REPS} interleaved repetitions (ms)\n\n` +
      table(
        ['Build', 'Median', 'Min–max', 'vs without'],
        [
          row('without plait', 'plain'),
          row('for scale: a plugin whose transform returns each module unchanged', 'identity'),
          row('with plait/vite, default options (compile cache warm)', 'warm'),
          row('with plait/vite, `cache: false` (every module compiled, graph files checked)', 'cold'),
          row('with plait/vite, `cache: false, graphs: false`', 'cold, no graph files'),
          ['with plait/vite, first build in the process (loads TypeScript, compiles every module, writes the graph files and the cache)', first.toFixed(0), '—', '—'],
        ],
      ) +
      `\n\nThe same build as a command (a fresh Node process per build: import Vite and the plugin, build), ${PROCESS_REPS} interleaved repetitions (ms)\n\n` +
      table(
        ['Build', 'Median', 'Min–max', 'vs without'],
        (['plain', 'warm', 'cold'] as const).map((variant) => [
          { plain: 'without plait', warm: 'with plait/vite, default options (compile cache warm: TypeScript never loaded)', cold: 'with plait/vite, `cache: false` (loads TypeScript, compiles every module)' }[variant],
          median(processSamples[variant]).toFixed(0),
          spread(processSamples[variant]),
          variant === 'plain' ? '1.00×' : `${(median(processSamples[variant]) / median(processSamples.plain)).toFixed(2)}× (paired ${pairedRatio(processSamples[variant], processSamples.plain).toFixed(2)}×)`,
        ]),
      ) +
      `\n\ntarget < 1.3×: default options (warm cache) ${(median(samples.warm) / median(plain)).toFixed(2)}×; every module compiled ${(median(samples.cold) / median(plain)).toFixed(2)}×; as a command, warm ${(median(processSamples.warm) / median(processSamples.plain)).toFixed(2)}×, compiling ${(median(processSamples.cold) / median(processSamples.plain)).toFixed(2)}×\n` +
      `plait's share per module: ${((median(samples.warm) - median(plain)) / MODULES).toFixed(3)} ms warm, ${((median(samples.cold) - median(plain)) / MODULES).toFixed(2)} ms compiling (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores)\n`,
  )
} finally {
  rmSync(root, { recursive: true, force: true })
}
