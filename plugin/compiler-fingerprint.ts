/**
 * What identifies the compiler that produced a cached compile: the package as published carries
 * a hash of its compiler's sources, put in by `scripts/build.mjs`; run from the sources (plait's
 * own tests and benches), the same hash is taken from the files on disk once per process. A
 * change to the compiler therefore never reads an entry an older compiler wrote.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Set by `scripts/build.mjs` (esbuild `define`) in the published bundles. */
declare const __PLAIT_COMPILER_FINGERPRINT__: string | undefined

/**
 * The folders whose files decide what `compile()` gives, relative to the package root.
 */
export const fingerprintedFolders = ['plugin', 'src/graph'] as const

let fromSources: string | undefined

/**
 * The compiler's fingerprint (hex): baked into the published bundles, hashed from the sources
 * otherwise.
 *
 * @example
 * ```ts
 * const folder = join(root, 'node_modules/.cache/plait', compilerFingerprint().slice(0, 16))
 * ```
 */
export function compilerFingerprint(): string {
  if (typeof __PLAIT_COMPILER_FINGERPRINT__ === 'string') return __PLAIT_COMPILER_FINGERPRINT__
  fromSources ??= hashFolders(fileURLToPath(new URL('..', import.meta.url)))
  return fromSources
}

/**
 * SHA-256 over every file of `fingerprintedFolders` under `packageRoot` (sorted paths, each path
 * and text hashed); `scripts/build.mjs` runs it to bake the value into the bundles.
 *
 * @example
 * ```ts
 * hashFolders('/repo') // 'c0ffee…'
 * ```
 */
export function hashFolders(packageRoot: string): string {
  const hash = createHash('sha256')
  for (const folder of fingerprintedFolders) {
    const files = (readdirSync(join(packageRoot, folder), { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
      .filter((entry) => entry.isFile() && /\.ts$/.test(entry.name) && !entry.name.endsWith('.test.ts'))
      .map((entry) => join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name).slice(packageRoot.length))
      .sort()
    for (const file of files) hash.update(`${file}\0`).update(readFileSync(join(packageRoot, file))).update('\0')
  }
  return hash.digest('hex')
}
