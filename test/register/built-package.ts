/**
 * plait as a consumer installs it, for the tests of the Node hook and the tsc transformer: the
 * bundles of scripts/build.mjs (ESM, one file per entry, `dist/register.js` next to
 * `dist/register-hooks.js`; no declarations), in a package folder inside the checkout
 * (so dependencies resolve from its node_modules), reached without the `plait-source` condition.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { repository } from './project.js'

/** A built copy of the package; `remove()` deletes it. */
export interface BuiltPackage {
  dir: string
  remove(): void
}

/**
 * Builds the package's bundles with `scripts/build.mjs --js-only` into `<folder>/plait/dist`, with
 * the package's package.json beside it.
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
  await promisify(execFile)(process.execPath, [join(repository, 'scripts/build.mjs'), join(dir, 'dist'), '--js-only'], { cwd: repository })
  return { dir, remove: () => rmSync(join(repository, folder), { recursive: true, force: true }) }
}
