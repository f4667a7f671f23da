/**
 * The plait the synthetic graphs run on: the package as it ships (`scripts/build.mjs --js-only`,
 * esbuild bundles without `keepNames`), built into bench/results/build-synthetic when this module
 * loads (≈ 1 s), so that the numbers are what users get. The bench itself runs under tsx, which
 * compiles the sources with esbuild's `keepNames`: every named closure the runtime creates would
 * pay an `Object.defineProperty` (`__name`) that the published build never does.
 *
 * `BENCH_SYNTHETIC_SOURCE=1` runs them on the sources instead (as loaded by tsx, `plait-source`
 * condition), and so does a bench run whose `BENCH_ONLY` leaves the synthetic part out (nothing
 * to build for).
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { repoRoot } from '../lib/mock-server.js'
import { runNode } from '../lib/spawn.js'

type Plait = typeof import('plait')
type Endpoints = typeof import('plait/endpoints')
type Compiled = typeof import('plait/compiled')

/** Where the synthetic graphs' copy of the package is built. */
export const syntheticBuildDir = join(repoRoot, 'bench', 'results', 'build-synthetic')

/** The package's entry points, and which form they are. */
export interface SyntheticPackage {
  plait: Plait
  endpoints: Endpoints
  compiled: Compiled
  form: 'built' | 'source'
}

function wantsBuilt(): boolean {
  if (process.env.BENCH_SYNTHETIC_SOURCE === '1') return false
  const only = process.env.BENCH_ONLY
  return only === undefined || only === '' || only.split(',').map((part) => part.trim()).includes('synthetic')
}

/** Builds (when wanted) and imports the package the synthetic graphs run on. */
export async function loadSyntheticPackage(): Promise<SyntheticPackage> {
  if (!wantsBuilt()) {
    const [plait, endpoints, compiled] = await Promise.all([import('plait'), import('plait/endpoints'), import('plait/compiled')])
    return { plait, endpoints, compiled, form: 'source' }
  }
  await runNode([join(repoRoot, 'scripts', 'build.mjs'), syntheticBuildDir, '--js-only'])
  const entry = (name: string) => pathToFileURL(join(syntheticBuildDir, `${name}.js`)).href
  const [plait, endpoints, compiled] = (await Promise.all([import(entry('index')), import(entry('endpoints')), import(entry('compiled'))])) as [Plait, Endpoints, Compiled]
  return { plait, endpoints, compiled, form: 'built' }
}
