/**
 * Builds the package as it ships (`scripts/build.mjs`: declarations, then ESM bundles) into
 * bench/results/build, so that import time is measured on the shipped JavaScript without touching
 * the repository's dist/.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from './lib/mock-server.js'
import { runNode } from './lib/spawn.js'

export const buildDir = join(repoRoot, 'bench', 'results', 'build')

/** Entry points of the built package, as file paths. */
export const builtEntries = {
  plait: join(buildDir, 'index.js'),
  endpoints: join(buildDir, 'endpoints.js'),
}

/** Compiles; type errors elsewhere in the tree (tsc still emits) are reported, not fatal. */
export async function buildPackage(): Promise<{ ms: number; warning?: string }> {
  const started = performance.now()
  const result = await runNode([join(repoRoot, 'scripts', 'build.mjs'), buildDir], { allowFailure: true })
  const ms = performance.now() - started
  if (!existsSync(builtEntries.plait) || !existsSync(builtEntries.endpoints)) {
    throw new Error(`scripts/build.mjs emitted no entry points:\n${result.stdout}${result.stderr}`)
  }
  if (result.code === 0) return { ms }
  const errors = result.stdout.split('\n').filter((line) => line.includes('error TS')).length
  return { ms, warning: `tsc reported ${errors} type error(s) in the tree; the emitted JavaScript was measured anyway.` }
}
