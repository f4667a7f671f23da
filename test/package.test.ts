/**
 * The package as a consumer gets it: compiled JavaScript and declarations under dist/, reached
 * through the exports map without the source condition.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const run = promisify(execFile)

describe('the built package', () => {
  beforeAll(async () => {
    await run(process.execPath, ['scripts/build.mjs'], { cwd: root })
  }, 60_000)

  it('ships JavaScript and declarations for every entry point', () => {
    for (const file of ['dist/index.js', 'dist/src/index.d.ts', 'dist/endpoints.js', 'dist/runtime/endpoints/index.d.ts', 'dist/compiled.js', 'dist/runtime/compiled.d.ts']) {
      expect(existsSync(`${root}/${file}`), file).toBe(true)
    }
  })

  it('runs a pipeline through the exports map with plain node', async () => {
    const script = `
      import { Module, LLMInference, toMermaid } from 'plait'
      import { simulated } from 'plait/endpoints'
      class Echo extends Module {
        call = new LLMInference({ alias: 'main', system: 'Echo.' })
        forward(text) { return this.call(text) }
      }
      const pipeline = new Echo().bind({ endpoints: { main: simulated({ reply: (request) => 'echo: ' + request.messages.at(-1).content }) } })
      console.log(await pipeline('hello'))
      console.log(toMermaid(new Echo().graph('x')).split('\\n')[0])
      console.log(Object.keys(await import('plait')).length > 10)
      const { EndpointError: fromEndpoints } = await import('plait/endpoints')
      const { EndpointError: fromRoot } = await import('plait')
      console.log(fromEndpoints === fromRoot)
    `
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root })
    expect(stdout.trim().split('\n')).toEqual(['echo: hello', 'flowchart TD', 'true', 'true'])
  })

  it('loads no package and none of the costly built-ins on import: p-limit, node:crypto and node:fs wait for first use', async () => {
    const script = `
      import { register } from 'node:module'
      import { MessageChannel } from 'node:worker_threads'
      const { port1, port2 } = new MessageChannel()
      const resolved = []
      port1.on('message', (url) => resolved.push(url))
      register('data:text/javascript,' + encodeURIComponent(\`let port
        export function initialize(data) { port = data.port }
        export async function resolve(specifier, context, next) { const result = await next(specifier, context); port.postMessage(result.url); return result }\`), { data: { port: port2 }, transferList: [port2] })
      const before = new Set(process.moduleLoadList)
      const builtins = () => process.moduleLoadList.filter((name) => !before.has(name) && /^NativeModule (crypto|stream)$/.test(name))
      const { Module, LLMInference } = await import('plait')
      await new Promise((resolve) => setTimeout(resolve, 50))
      console.log(JSON.stringify({ packages: resolved.filter((url) => url.includes('/node_modules/')), builtins: builtins() }))
      const { simulated } = await import('plait/endpoints')
      class Echo extends Module { call = new LLMInference({ alias: 'main' }); forward(text) { return this.call(text) } }
      const settled = await new Echo().bind({ endpoints: { main: simulated() } }).batch([['a'], ['b']], { concurrency: 1 })
      console.log(settled.map((item) => item.ok).join(' '))
      port1.close()
    `
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root })
    const [loaded, batch] = stdout.trim().split('\n')
    expect(JSON.parse(loaded!)).toEqual({ packages: [], builtins: [] })
    expect(batch).toBe('true true')
  })

  it('loads TypeScript in a Vite build only when a file must be compiled: not on import, not in a warm build', async () => {
    const project = mkdtempSync(join(tmpdir(), 'plait-lazy-compiler-'))
    try {
      mkdirSync(join(project, 'src'))
      mkdirSync(join(project, 'node_modules'))
      symlinkSync(root, join(project, 'node_modules/plait'), 'dir')
      writeFileSync(join(project, 'src/app.ts'), "import { LLMInference, Module } from 'plait'\nexport class App extends Module<[string], string> {\n  a = new LLMInference({ alias: 'main' })\n  forward(x: string) { return this.a(x) }\n}\n")
      const script = `
        import { createRequire } from 'node:module'
        import { build } from 'vite'
        import plait from 'plait/vite'
        const typescriptLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((file) => /[\\\\/]typescript[\\\\/]lib[\\\\/]typescript\\.js$/.test(file))
        const before = typescriptLoaded()
        await build({ root: ${JSON.stringify(project)}, configFile: false, logLevel: 'silent', plugins: [plait()], build: { ssr: 'src/app.ts', outDir: 'out', rollupOptions: { external: (id) => id.startsWith('plait') } } })
        console.log(before, typescriptLoaded())
      `
      const first = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root })
      expect(first.stdout.trim()).toBe('false true')
      const warm = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root })
      expect(warm.stdout.trim()).toBe('false false')
    } finally {
      rmSync(project, { recursive: true, force: true })
    }
  })
})
