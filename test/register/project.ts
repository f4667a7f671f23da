/**
 * Throwaway projects for the Node hook and tsc tests: a temp folder with files, `node_modules`
 * links to plait (the checkout, or a built copy) and tsx, and a way to run node in it.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The checkout's root. */
export const repository = fileURLToPath(new URL('../..', import.meta.url))

/** A temp project; `remove()` deletes it. */
export interface Project {
  dir: string
  write(file: string, text: string): void
  remove(): void
}

/**
 * A temp project whose `node_modules/plait` links to `plait` (default: the checkout) and whose
 * `node_modules/tsx` and `node_modules/typescript` link to the checkout's.
 *
 * @example
 * ```ts
 * const project = makeProject({ 'app.ts': source })
 * const result = await runNode(['--import', 'plait/register', 'app.ts'], project.dir)
 * ```
 */
export function makeProject(files: Record<string, string>, plait: string = repository): Project {
  const dir = mkdtempSync(join(tmpdir(), 'plait-node-'))
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(plait, join(dir, 'node_modules', 'plait'), 'dir')
  for (const name of ['tsx', 'typescript', 'ts-patch']) symlinkSync(join(repository, 'node_modules', name), join(dir, 'node_modules', name), 'dir')
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(dir, file)), { recursive: true })
    writeFileSync(join(dir, file), text)
  }
  write('package.json', '{ "name": "app", "type": "module" }\n')
  for (const [file, text] of Object.entries(files)) write(file, text)
  return { dir, write, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** What a child node process did. */
export interface NodeRun {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs `node <args>` in `cwd` and collects its exit code and output (never throws on a failing exit).
 *
 * @example
 * ```ts
 * const { code, stdout } = await runNode(['--import', 'plait/register', 'app.ts'], dir)
 * ```
 */
export function runNode(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<NodeRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, env: { ...process.env, NODE_OPTIONS: '', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}
