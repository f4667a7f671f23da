/**
 * plait as a consumer installs it, for the tests of the Node hook and the tsc transformer: the
 * entry points they need bundled with the options of scripts/build.mjs (ESM, one file per entry,
 * `dist/register.js` next to `dist/register-hooks.js`), in a package folder inside the checkout
 * (so dependencies resolve from its node_modules), reached without the `plait-source` condition.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { repository } from './project.js'

/** A built copy of the package; `remove()` deletes it. */
export interface BuiltPackage {
  dir: string
  remove(): void
}

/**
 * Bundles the entries `index`, `endpoints`, `compiled`, `register`, `register-hooks` and `tsc` into
 * `<folder>/plait/dist` with the package's package.json beside it.
 *
 * @example
 * ```ts
 * const built = await buildPackage('test/register/.tmp-built')
 * const project = makeProject(files, built.dir)
 * ```
 */
export async function buildPackage(folder: string): Promise<BuiltPackage> {
  const dir = join(repository, folder, 'plait')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  copyFileSync(join(repository, 'package.json'), join(dir, 'package.json'))
  await build({
    absWorkingDir: repository,
    entryPoints: {
      index: 'src/index.ts',
      endpoints: 'runtime/endpoints/index.ts',
      compiled: 'runtime/compiled.ts',
      register: 'plugin/register/index.ts',
      'register-hooks': 'plugin/register/hooks.ts',
      tsc: 'plugin/tsc.ts',
    },
    outdir: join(dir, 'dist'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'warning',
  })
  return { dir, remove: () => rmSync(join(repository, folder), { recursive: true, force: true }) }
}
