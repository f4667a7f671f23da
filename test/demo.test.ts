import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

describe('npm run demo', () => {
  it('runs the pipeline on simulated endpoints and shows the extractions overlapped', async () => {
    const environment = { ...process.env }
    delete environment.OPENAI_API_KEY
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=plait-source', '--import', 'tsx', '--import', 'plait/register', 'fixtures/demo.ts'], { cwd: root, env: environment })
    expect(stdout).toContain('simulated endpoints')
    expect(stdout).toContain('flowchart TD')
    expect(stdout).toContain('forward() ran compiled by plait/register; its graph file is .plait/fixtures/extract-and-compare.ts/ExtractAndCompare.graph.json')
    expect(existsSync(`${root}.plait/fixtures/extract-and-compare.ts/ExtractAndCompare.graph.json`)).toBe(true)
    expect(stdout).toContain('critical path 2 calls, max width 2')
    const timing = /overlapping (\d+) ms/.exec(stdout)
    expect(Number(timing?.[1])).toBeGreaterThan(200)
    const wall = /Wall time (\d+) ms .* sequential calls would take (\d+) ms/.exec(stdout)
    expect(Number(wall?.[1])).toBeLessThan(Number(wall?.[2]))
  }, 30_000)
})
