import { execFile } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const entry = pathToFileURL(fileURLToPath(new URL('../../runtime/endpoints/index.ts', import.meta.url))).href

// A child Node process with a module hook that fails any import of `openai`: importing
// plait/endpoints and creating an endpoint must work; the first request must try to load it.
const script = `
import { register } from 'node:module'
register('data:text/javascript,' + encodeURIComponent(\`export async function resolve(specifier, context, next) {
  if (specifier === 'openai' || specifier.startsWith('openai/')) throw new Error('BLOCKED ' + specifier)
  return next(specifier, context)
}\`))
const endpoints = await import(${JSON.stringify(entry)})
const endpoint = endpoints.openai({ model: 'm', apiKey: 'k', baseURL: 'http://127.0.0.1:9/v1' })
console.log('created')
try {
  await endpoint.complete({ messages: [{ role: 'user', content: 'hi' }] }, { signal: new AbortController().signal })
} catch (error) {
  console.log('first request: ' + error.message + ' / ' + error.cause?.message)
}
`

describe('the openai SDK is loaded lazily', () => {
  it('is not loaded by importing plait/endpoints or creating an endpoint, only by the first request', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      timeout: 15_000,
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
    })
    const lines = stdout.trim().split('\n')
    expect(lines[0]).toBe('created')
    expect(lines[1]).toMatch(/^first request: Expected the `openai` package to be installed .* \/ BLOCKED openai$/)
  })
})
