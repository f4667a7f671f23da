/**
 * vitest through the Vite plugin: a project whose vitest config holds `plait()` from
 * `plait/vite` runs its own test file in a child vitest, on compiled classes.
 */
import { execFile } from 'node:child_process'
import { symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, expect, it } from 'vitest'
import { makeProject, projectFolder } from './project.js'

const repository = fileURLToPath(new URL('../..', import.meta.url))
const project = makeProject()
afterAll(() => project.remove())

it('runs a project test file through vitest with plait/vite in its config', async () => {
  symlinkSync(join(repository, 'node_modules/vitest'), join(project.root, 'node_modules/vitest'), 'dir')
  writeFileSync(
    join(project.root, 'vitest.config.mjs'),
    [
      "import plait from 'plait/vite'",
      'export default {',
      '  plugins: [plait()],',
      // plait itself runs from this repository's TypeScript sources.
      "  resolve: { conditions: ['plait-source'] },",
      "  ssr: { resolve: { conditions: ['plait-source'] } },",
      `  test: { include: ['${projectFolder}/*.spec.ts'] },`,
      '}',
    ].join('\n'),
  )
  const vitest = join(repository, 'node_modules/vitest/vitest.mjs')
  const child = promisify(execFile)(process.execPath, ['--import', pathToFileURL(join(repository, 'node_modules/tsx/dist/esm/index.mjs')).href, '--conditions=plait-source', vitest, 'run', '--config', 'vitest.config.mjs'], {
    cwd: project.root,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  })
  const { stdout } = await child.catch((error: { stdout: string; stderr: string }) => {
    throw new Error(`Expected the child vitest to pass:\n${error.stdout}\n${error.stderr}`)
  })
  expect(stdout).toMatch(/Tests\s+2 passed/)
}, 60_000)
