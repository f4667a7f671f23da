import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeProject, repository } from './project.js'

// The package as it ships (its bundles: `node scripts/build.mjs --js-only`; test/package.test.ts
// checks the declarations) in a temporary package folder (so the
// repository's own dist/ is left alone), then the bin run with plain Node in a user's project
// whose node_modules/plait is that package.
const pack = mkdtempSync(join(tmpdir(), 'plait-pack-'))
const project = makeProject(['branches.ts'], {
  'src/app.ts': "export { Branches as default } from './branches.js'\nexport { endpoints } from './support.js'\n",
})

beforeAll(() => {
  cpSync(join(repository, 'package.json'), join(pack, 'package.json'))
  symlinkSync(join(repository, 'node_modules'), join(pack, 'node_modules'), 'dir')
  execFileSync(process.execPath, [join(repository, 'scripts/build.mjs'), join(pack, 'dist'), '--js-only'], { cwd: repository, stdio: 'pipe' })
  unlinkSync(join(project, 'node_modules/plait'))
  symlinkSync(pack, join(project, 'node_modules/plait'), 'dir')
}, 180_000)
afterAll(() => {
  rmSync(pack, { recursive: true, force: true })
  rmSync(project, { recursive: true, force: true })
})

function bin(...args: string[]) {
  const result = spawnSync(process.execPath, [join(project, 'node_modules/plait/dist/cli.js'), ...args], { cwd: project, encoding: 'utf8', env: { ...process.env, OPENAI_API_KEY: '' } })
  return { code: result.status, out: result.stdout, err: result.stderr }
}

describe('the built bin dist/cli.js', () => {
  it('keeps its shebang', () => {
    expect(readFileSync(join(pack, 'dist/cli.js'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/)
  })

  it('runs a pipeline compiled through plait/register on plain Node, only the taken branch calling', () => {
    const result = bin('run', 'src/app.ts', '--input', 'urgent: server down')
    expect(result.err).toContain('Branches ran compiled; graph: .plait/src/branches.ts/Branches.mmd')
    expect(result.out).toBe('ESCALATE(urgent: server down) / REPLY(calm urgent: server down) / REPLY(fallback) / REPLY(kept) / REPLY(yes)\n')
    expect(result.code).toBe(0)
  })

  it('writes graph files that plait check then accepts', () => {
    expect(bin('graph').code).toBe(0)
    const check = bin('check')
    expect(check).toEqual({ code: 0, out: 'plait check: graph files of 1 class in 1 file are up to date.\n', err: '' })
  })
})
