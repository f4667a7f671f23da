/**
 * Preloaded by `npm run bench` (`--import`): the benchmarks run plait as users get it, the
 * package built for publishing (`scripts/build.mjs --js-only`: esbuild bundles, no `keepNames`),
 * not the sources as tsx compiles them (with `keepNames`, every named closure the runtime makes
 * would pay an `Object.defineProperty` that the published build never does). Builds once into
 * bench/results/build-package (≈ 1 s; child processes of the bench reuse it), then resolves
 * `plait` and `plait/<entry>` there. `BENCH_SOURCE=1` runs the sources instead.
 */
import { execFileSync } from 'node:child_process'
import * as nodeModule from 'node:module'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const dir = fileURLToPath(new URL('../results/build-package/', import.meta.url))

if (process.env.BENCH_SOURCE === '1') {
  // The sources, as tsx compiles them.
} else if (typeof nodeModule.register !== 'function') {
  process.stderr.write(`bench: Node ${process.version} has no module.register (Node 20.6+): running plait from its sources\n`)
} else {
  if (process.env.BENCH_PACKAGE !== dir) {
    execFileSync(process.execPath, [`${root}scripts/build.mjs`, dir, '--js-only'], { cwd: root, stdio: 'inherit' })
    process.env.BENCH_PACKAGE = dir
  }
  nodeModule.register('./package-hooks.mjs', import.meta.url, { data: { dir } })
}
