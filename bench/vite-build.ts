/**
 * A Vite 8 build of a generated project of 200 pipeline modules, with and without the plait
 * plugin: what the plugin adds to a production build (target: under 1.3×). The two builds are
 * interleaved (plain, plugin, plain, …) after one warm-up each, and medians are compared; the
 * plugin's first build in the process (loading TypeScript, writing every graph file) is reported
 * on its own, and so is a build with the opt-in compile cache (`cache: true`) once it is warm.
 *
 * Usage: npx tsx --conditions=plait-source bench/vite-build.ts   (BENCH_VITE_REPS, default 9)
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'vite'
import plait from '../plugin/hosts/vite.js'
import { table } from './lib/report.js'
import { median, pairedRatio, range } from './lib/stats.js'
import { pipelineSource } from './scenarios/generated-pipelines.js'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const MODULES = 200
const REPS = Number(process.env['BENCH_VITE_REPS'] ?? 9)

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

type Variant = 'plain' | 'plugin' | 'no graph files' | 'cache' | 'identity'

async function timedBuild(root: string, variant: Variant): Promise<number> {
  const started = performance.now()
  await build({
    root,
    configFile: false,
    logLevel: 'silent',
    plugins: variant === 'plain' ? [] : variant === 'identity' ? [identityPlugin] : [plait({ graphs: variant !== 'no graph files', cache: variant === 'cache' })],
    build: {
      ssr: 'src/main.ts',
      outDir: `out-${variant.replaceAll(' ', '-')}`,
      emptyOutDir: true,
      minify: false,
      rollupOptions: { external: (id) => id === 'plait' || id.startsWith('plait/') },
    },
  })
  return performance.now() - started
}

const root = generateProject()
try {
  const first = await timedBuild(root, 'plugin')
  await timedBuild(root, 'plain')
  await timedBuild(root, 'no graph files')
  await timedBuild(root, 'identity')
  const firstCached = await timedBuild(root, 'cache')
  const plain: number[] = []
  const plugin: number[] = []
  const withoutFiles: number[] = []
  const cached: number[] = []
  const identity: number[] = []
  for (let rep = 0; rep < REPS; rep++) {
    identity.push(await timedBuild(root, 'identity'))
    plain.push(await timedBuild(root, 'plain'))
    plugin.push(await timedBuild(root, 'plugin'))
    withoutFiles.push(await timedBuild(root, 'no graph files'))
    cached.push(await timedBuild(root, 'cache'))
  }
  const ratio = median(plugin) / median(plain)
  const spread = (samples: number[]) => `${range(samples).min.toFixed(0)}–${range(samples).max.toFixed(0)}`
  process.stdout.write(
    `Vite build, ${MODULES} pipeline modules, ${REPS} interleaved repetitions (ms)\n\n` +
      table(
        ['Build', 'Median', 'Min–max'],
        [
          ['without plait', median(plain).toFixed(0), spread(plain)],
          ['for scale: a plugin whose transform returns each module unchanged', median(identity).toFixed(0), spread(identity)],
          ['with plait/vite', median(plugin).toFixed(0), spread(plugin)],
          ['with plait/vite, `graphs: false` (no graph files)', median(withoutFiles).toFixed(0), spread(withoutFiles)],
          ['with plait/vite, `cache: true`, warm (every file from the cache)', median(cached).toFixed(0), spread(cached)],
          ['with plait/vite, `cache: true`, filling the cache', firstCached.toFixed(0), '—'],
          ['with plait/vite, first build in the process (loads TypeScript, writes the graph files)', first.toFixed(0), '—'],
        ],
      ) +
      `\n\nratio of medians: ${ratio.toFixed(2)}× (median of paired ratios ${pairedRatio(plugin, plain).toFixed(2)}×; target < 1.3×); with \`graphs: false\`: ${(median(withoutFiles) / median(plain)).toFixed(2)}×; with a warm \`cache: true\`: ${(median(cached) / median(plain)).toFixed(2)}× (paired ${pairedRatio(cached, plain).toFixed(2)}×)\n` +
      `plait's share per module: ${((median(plugin) - median(plain)) / MODULES).toFixed(2)} ms (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores)\n`,
  )
} finally {
  rmSync(root, { recursive: true, force: true })
}
