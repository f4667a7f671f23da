/**
 * The plait the synthetic graphs run on: what `plait`, `plait/endpoints` and `plait/compiled`
 * resolve to in the bench, which is the package as built for publishing under `npm run bench`
 * (see bench/lib/use-built-package.mjs), or the sources with `BENCH_SOURCE=1` or without that
 * preload. Loaded dynamically, so that the compiled shapes (`synthetic-compiled.ts`) get the
 * same classes as the traced ones.
 */
type Plait = typeof import('plait')
type Endpoints = typeof import('plait/endpoints')
type Compiled = typeof import('plait/compiled')

/** The package's entry points, and which form they are. */
export interface SyntheticPackage {
  plait: Plait
  endpoints: Endpoints
  compiled: Compiled
  form: 'built' | 'source'
}

/** Imports the package the synthetic graphs run on. */
export async function loadSyntheticPackage(): Promise<SyntheticPackage> {
  const [plait, endpoints, compiled] = await Promise.all([import('plait'), import('plait/endpoints'), import('plait/compiled')])
  return { plait, endpoints, compiled, form: process.env['BENCH_PACKAGE'] === undefined ? 'source' : 'built' }
}
