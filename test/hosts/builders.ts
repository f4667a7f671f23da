/**
 * One function per bundler that builds a project's entry with the plait plugin into one ES
 * module for Node, keeping `plait` itself external. Each reports the host's warnings and throws
 * with the host's error text when the build fails. Rollup and webpack do not read TypeScript: a
 * test-only step strips types with esbuild (before or after plait, to test both orders).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { transform as esbuildTransform, build as esbuildBuild } from 'esbuild'
import type { Plugin as RollupPlugin } from 'rollup'
import plaitEsbuild from '../../plugin/hosts/esbuild.js'
import plaitRollup from '../../plugin/hosts/rollup.js'
import plaitRspack from '../../plugin/hosts/rspack.js'
import plaitVite from '../../plugin/hosts/vite.js'
import plaitWebpack from '../../plugin/hosts/webpack.js'
import type { PlaitOptions } from '../../plugin/types.js'

/**
 * What a build gave.
 *
 * @example
 * ```ts
 * const built = await hosts[0]!.build(request)
 * const { run } = await import(pathToFileURL(built.file).href)
 * ```
 */
export interface Built {
  /** Absolute path of the bundle (an ES module). */
  file: string
  /** The host's warnings, as text. */
  warnings: string[]
}

/**
 * What every builder takes.
 *
 * @example
 * ```ts
 * const request: BuildRequest = { root: project.root, entry: 'test/hosts/project/main.ts', outDir: join(project.root, 'out') }
 * ```
 */
export interface BuildRequest {
  /** The project folder (the plugin's root). */
  root: string
  /** Entry file, relative to the root. */
  entry: string
  /** Output folder (absolute). */
  outDir: string
  options?: PlaitOptions
}

/**
 * A bundler under test.
 *
 * @example
 * ```ts
 * describe.each(hosts)('$name', (host) => { it('builds', () => host.build(request)) })
 * ```
 */
export interface Host {
  name: string
  /** plait is handed already-stripped JavaScript: graph locations refer to that code, not to the file. */
  handsOverJavaScript?: boolean
  build(request: BuildRequest): Promise<Built>
}

const isPlait = (id: string) => id === 'plait' || id.startsWith('plait/')

/**
 * Test-only Rollup plugin: `./x.js` finds `x.ts`, and TypeScript is stripped with esbuild.
 *
 * @example
 * ```ts
 * await rollup({ input: 'main.ts', plugins: [stripTypes(), plaitRollup()] }) // plait is handed JavaScript
 * ```
 */
export function stripTypes(): RollupPlugin {
  return {
    name: 'test-strip-types',
    resolveId(source, importer) {
      if (!importer || !source.startsWith('.') || !source.endsWith('.js')) return null
      return fileURLToPath(new URL(source.replace(/\.js$/, '.ts'), `file://${importer}`))
    },
    async transform(code, id) {
      if (!id.endsWith('.ts')) return null
      const result = await esbuildTransform(code, { loader: 'ts', sourcemap: 'external', sourcefile: id, format: 'esm' })
      return { code: result.code, map: result.map }
    },
  }
}

async function rollupBuild(request: BuildRequest, order: 'plait-first' | 'strip-first'): Promise<Built> {
  const { rollup } = await import('rollup')
  const warnings: string[] = []
  const plugins = order === 'plait-first' ? [plaitRollup({ root: request.root, ...request.options }), stripTypes()] : [stripTypes(), plaitRollup({ root: request.root, ...request.options })]
  const bundle = await rollup({ input: join(request.root, request.entry), external: isPlait, plugins, onwarn: (warning) => void warnings.push(warning.message) })
  const file = join(request.outDir, 'bundle.mjs')
  await bundle.write({ file, format: 'es', sourcemap: true })
  await bundle.close()
  return { file, warnings }
}

/**
 * The hosts under test, each building the same project.
 *
 * @example
 * ```ts
 * for (const host of hosts) await host.build(request)
 * ```
 */
export const hosts: Host[] = [
  {
    name: 'vite',
    async build(request) {
      const { build } = await import('vite')
      const warnings: string[] = []
      await build({
        root: request.root,
        configFile: false,
        logLevel: 'silent',
        customLogger: { info() {}, warn: (message: string) => void warnings.push(message), warnOnce: (message: string) => void warnings.push(message), error() {}, clearScreen() {}, hasErrorLogged: () => false, hasWarned: false },
        plugins: [plaitVite(request.options)],
        build: {
          ssr: request.entry,
          outDir: request.outDir,
          emptyOutDir: false,
          sourcemap: true,
          minify: false,
          rollupOptions: { external: isPlait, output: { entryFileNames: 'bundle.mjs', format: 'es' }, onwarn: (warning) => void warnings.push(warning.message) },
        },
      })
      return { file: join(request.outDir, 'bundle.mjs'), warnings }
    },
  },
  { name: 'rollup (plait, then types stripped)', build: (request) => rollupBuild(request, 'plait-first') },
  { name: 'rollup (types stripped, then plait)', handsOverJavaScript: true, build: (request) => rollupBuild(request, 'strip-first') },
  {
    name: 'esbuild',
    async build(request) {
      const file = join(request.outDir, 'bundle.mjs')
      // unplugin prints plugin warnings under esbuild (esbuild has no warning call for onLoad).
      const printed: string[] = []
      const print = console.warn
      console.warn = (...values: unknown[]) => void printed.push(values.map(String).join(' '))
      const result = await esbuildBuild({
        absWorkingDir: request.root,
        entryPoints: [join(request.root, request.entry)],
        outfile: file,
        bundle: true,
        format: 'esm',
        platform: 'node',
        sourcemap: true,
        external: ['plait', 'plait/*'],
        logLevel: 'silent',
        plugins: [plaitEsbuild({ root: request.root, ...request.options })],
      }).finally(() => {
        console.warn = print
      })
      return { file, warnings: [...result.warnings.map((warning) => warning.text), ...printed] }
    },
  },
  {
    name: 'webpack',
    async build(request) {
      const { default: webpack } = await import('webpack')
      return packBuild(request, (config) => webpack(config as never), webpackParts(request))
    },
  },
  {
    name: 'rspack',
    async build(request) {
      const { rspack } = await import('@rspack/core')
      return packBuild(request, (config) => rspack(config as never), rspackParts(request))
    },
  },
]

interface PackCompiler {
  run(callback: (error: Error | null, stats?: { hasErrors(): boolean; toJson(options: unknown): { errors?: Array<{ message: string }>; warnings?: Array<{ message: string }> } }) => void): void
  close(callback: () => void): void
}

/**
 * What differs between the webpack and the Rspack configurations.
 *
 * @example
 * ```ts
 * const parts: PackParts = { plugins: [plaitWebpack()], rules: [] }
 * ```
 */
export interface PackParts {
  plugins: unknown[]
  rules: unknown[]
}

/**
 * plait, and the test-only loader that strips types after it.
 *
 * @example
 * ```ts
 * webpack(packConfig(request, webpackParts(request)))
 * ```
 */
export const webpackParts = (request: BuildRequest): PackParts => ({
  plugins: [plaitWebpack({ root: request.root, ...request.options })],
  rules: [{ test: /\.ts$/, loader: fileURLToPath(new URL('strip-loader.mjs', import.meta.url)) }],
})

/**
 * plait, and Rspack's own TypeScript loader.
 *
 * @example
 * ```ts
 * rspack(packConfig(request, rspackParts(request)))
 * ```
 */
export const rspackParts = (request: BuildRequest): PackParts => ({
  plugins: [plaitRspack({ root: request.root, ...request.options })],
  rules: [{ test: /\.ts$/, loader: 'builtin:swc-loader', options: { jsc: { parser: { syntax: 'typescript' } } } }],
})

/**
 * The webpack or Rspack configuration of a build (one ES module for Node, `plait` external).
 *
 * @example
 * ```ts
 * webpack({ ...packConfig(request, webpackParts(request)), cache: { type: 'memory' } }).watch({}, done)
 * ```
 */
export function packConfig(request: BuildRequest, parts: PackParts): Record<string, unknown> {
  return {
    mode: 'none',
    context: request.root,
    target: 'node20',
    entry: join(request.root, request.entry),
    devtool: 'source-map',
    experiments: { outputModule: true },
    output: { path: request.outDir, filename: 'bundle.mjs', module: true, library: { type: 'module' }, chunkFormat: 'module' },
    externalsType: 'module',
    externals: [({ request: specifier }: { request?: string }, callback: (error?: Error | null, result?: string) => void) => (specifier && isPlait(specifier) ? callback(null, `module ${specifier}`) : callback())],
    resolve: { extensions: ['.ts', '.js'], extensionAlias: { '.js': ['.ts', '.js'] } },
    module: { rules: parts.rules },
    plugins: parts.plugins,
    optimization: { minimize: false },
    infrastructureLogging: { level: 'none' },
  }
}

/** webpack and Rspack take the same configuration here. */
function packBuild(request: BuildRequest, create: (config: unknown) => PackCompiler, parts: PackParts): Promise<Built> {
  return new Promise((resolve, reject) => {
    const compiler = create(packConfig(request, parts))
    compiler.run((error, stats) => {
      compiler.close(() => {
        if (error) return reject(error)
        const json = stats!.toJson({ all: false, errors: true, warnings: true })
        if (stats!.hasErrors()) return reject(new Error((json.errors ?? []).map((entry) => entry.message).join('\n')))
        resolve({ file: join(request.outDir, 'bundle.mjs'), warnings: (json.warnings ?? []).map((entry) => entry.message) })
      })
    })
  })
}

/**
 * The text of a built bundle.
 *
 * @example
 * ```ts
 * expect(bundleText(built)).toContain("from 'plait/compiled'")
 * ```
 */
export function bundleText(built: Built): string {
  return readFileSync(built.file, 'utf8')
}
