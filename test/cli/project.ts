/**
 * Temporary projects for the CLI tests: fixture files copied into a fresh folder whose
 * `node_modules/plait` links to this repository, so `import 'plait'` resolves as in a user's
 * project.
 */
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** This repository. */
export const repository = fileURLToPath(new URL('../..', import.meta.url))
const fixtures = join(repository, 'fixtures', 'compiler')

/**
 * A temp project with `fixtures/compiler/<name>` copied to `src/<name>` for each name (and
 * `support.ts`), plus any extra files given by path.
 *
 * @example
 * ```ts
 * const root = makeProject(['extract-and-compare.ts'], { 'tsconfig.json': '{}' })
 * ```
 */
export function makeProject(names: readonly string[], extra: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'plait-cli-'))
  mkdirSync(join(root, 'src'))
  mkdirSync(join(root, 'node_modules'))
  symlinkSync(repository, join(root, 'node_modules', 'plait'), 'dir')
  for (const name of [...names, 'support.ts']) cpSync(join(fixtures, name), join(root, 'src', name))
  writeFileSync(join(root, 'package.json'), '{ "type": "module", "private": true }\n')
  for (const [path, text] of Object.entries(extra)) {
    mkdirSync(join(root, path, '..'), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}
