import { rmSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { bufferIo } from '../../plugin/cli/index.js'
import { runCommand } from '../../plugin/cli/run.js'
import { makeProject } from './project.js'

// In-process, the file is loaded by vitest's own import() (no plait/register hook): these tests
// cover what plait run takes from a file and prints; test/cli/bin.test.ts runs the real hook.
const importModule = (url: string) => import(url) as Promise<Record<string, unknown>>
const project = makeProject(['extract-and-compare.ts', 'error.eval.ts'], {
  'src/own-endpoints.ts': "export { ExtractAndCompare as default } from './extract-and-compare.js'\nexport { endpoints } from './support.js'\n",
  'src/two.ts': "export { ExtractAndCompare } from './extract-and-compare.js'\nexport { Rejected } from './error.eval.js'\n",
  'src/two-inputs.ts': "export { ExtractAndCompare as default } from './extract-and-compare.js'\nexport { endpoints } from './support.js'\nexport const inputs = [['a', 'b'], ['c', 'd']]\n",
  'src/nothing.ts': "import 'plait'\nexport const answer = 42\n",
})
afterAll(() => rmSync(project, { recursive: true, force: true }))

async function run(argv: string[], env: Record<string, string> = {}) {
  const io = bufferIo(project, env)
  const code = await runCommand(argv, io, { importModule })
  return { code, out: io.out(), err: io.err() }
}

describe('plait run', () => {
  it('runs the exported module on its exported inputs with simulated endpoints for every alias', async () => {
    const result = await run(['src/extract-and-compare.ts'])
    expect(result.out).toBe('[smart-sim] Comparison: Compare: [fast-sim] Re: rhine (#f8cc) / vs: [fast-sim] Re: danube (#c248) (#30bc)\n')
    expect(result.err).toContain('plait run: simulated endpoints for `fast`, `smart`\n')
    expect(result.code).toBe(0)
  })

  it('uses the endpoints the file exports and the --input arguments', async () => {
    const result = await run(['src/own-endpoints.ts', '--input', 'alps', '--input', 'andes'])
    expect(result.out).toBe('Highlight key similarities and differences.(Compare:\nE(alps)\n\nvs:\nE(andes))\n')
    expect(result.err).not.toContain('simulated endpoints for')
    expect(result.code).toBe(0)
  })

  it('prints JSON with --json, an array for several inputs', async () => {
    const one = await run(['src/own-endpoints.ts', '--args', '["a", "b"]', '--json'])
    expect(JSON.parse(one.out)).toBe('Highlight key similarities and differences.(Compare:\nE(a)\n\nvs:\nE(b))')
    const many = await run(['src/two-inputs.ts', '--json'])
    expect(JSON.parse(many.out)).toEqual(['a', 'c'].map((first) => `Highlight key similarities and differences.(Compare:\nE(${first})\n\nvs:\nE(${first === 'a' ? 'b' : 'd'}))`))
    const text = await run(['src/two-inputs.ts'])
    expect(text.out).toMatch(/^# input 1: \["a","b"\]\nHighlight.*\n# input 2: \["c","d"\]\n/s)
  })

  it('says OPENAI_API_KEY is not used unless asked, and needs it for --endpoints openai', async () => {
    const withKey = await run(['src/extract-and-compare.ts'], { OPENAI_API_KEY: 'sk-test' })
    expect(withKey.err).toContain('(pass --endpoints openai to use OpenAI)')
    await expect(run(['src/extract-and-compare.ts', '--endpoints', 'openai'])).rejects.toThrow('Expected `OPENAI_API_KEY` to be set for `--endpoints openai`.')
  })

  it('explains what the file must export', async () => {
    await expect(run(['src/two.ts'])).rejects.toThrow('Expected src/two.ts to export one plait module; it exports `ExtractAndCompare`, `Rejected`. Export the one to run as `default`, or pass `--export <name>`.')
    await expect(run(['src/nothing.ts'])).rejects.toThrow('Expected src/nothing.ts to export a plait module')
    await expect(run(['src/own-endpoints.ts'])).rejects.toThrow("Expected inputs: pass `--input <text>` (once per argument of forward()) or `--args '<json array>'`, or export `inputs`")
    await expect(run(['src/own-endpoints.ts', '--args', '{"a":1}'])).rejects.toThrow("Expected `--args` to be a JSON array of forward()'s arguments, got an object (Object).")
  })

  it('reports compile errors before running anything', async () => {
    const result = await run(['src/error.eval.ts', '--input', '1 + 1'])
    expect(result.code).toBe(1)
    expect(result.err).toContain('src/error.eval.ts:6:12 - error PL107')
    expect(result.out).toBe('')
  })
})
