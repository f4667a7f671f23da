/**
 * The package as a consumer gets it: compiled JavaScript and declarations under dist/, reached
 * through the exports map without the source condition.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
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
})
