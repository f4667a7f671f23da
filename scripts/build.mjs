/**
 * Builds the package as it ships: declarations from `tsc` (dist/src, dist/runtime), and the
 * JavaScript as ESM bundles, one per entry point, sharing chunks (so a class such as
 * EndpointError exists once whichever entry loads it). Bundling keeps `import 'plait'` to a few
 * files: importing ~200 small modules costs more than their code. Dependencies stay external.
 *
 * Usage: node scripts/build.mjs [outdir] [--js-only]   (default: dist; --js-only skips the
 * declarations, for tests that only run the bundles)
 */
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const args = process.argv.slice(2)
const jsOnly = args.includes('--js-only')
const outdir = resolve(root, args.find((arg) => !arg.startsWith('--')) ?? 'dist')
rmSync(outdir, { recursive: true, force: true })

/**
 * The compiler's fingerprint, baked into the bundles for the compile cache: `hashFolders()` of
 * plugin/compiler-fingerprint.ts, bundled in memory and run here (the one definition of what
 * the hash covers).
 */
async function compilerFingerprint() {
  const { outputFiles } = await build({ absWorkingDir: root, entryPoints: ['plugin/compiler-fingerprint.ts'], bundle: true, format: 'esm', platform: 'node', write: false, logLevel: 'warning' })
  const { hashFolders } = await import(`data:text/javascript;base64,${Buffer.from(outputFiles[0].text).toString('base64')}`)
  return hashFolders(root)
}

if (!jsOnly) execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', outdir], { cwd: root, stdio: 'inherit' })
await build({
  absWorkingDir: root,
  entryPoints: {
    index: 'src/index.ts',
    endpoints: 'runtime/endpoints/index.ts',
    compiled: 'runtime/compiled.ts',
    compiler: 'plugin/compiler/index.ts',
    vite: 'plugin/hosts/vite.ts',
    rollup: 'plugin/hosts/rollup.ts',
    esbuild: 'plugin/hosts/esbuild.ts',
    webpack: 'plugin/hosts/webpack.ts',
    rspack: 'plugin/hosts/rspack.ts',
    register: 'plugin/register/index.ts',
    'register-hooks': 'plugin/register/hooks.ts',
    tsc: 'plugin/tsc.ts',
    cli: 'plugin/cli/index.ts',
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  chunkNames: 'chunks/[name]-[hash]',
  define: { __PLAIT_COMPILER_FINGERPRINT__: JSON.stringify(await compilerFingerprint()) },
  logLevel: 'warning',
})
