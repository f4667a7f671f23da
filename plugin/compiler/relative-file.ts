/** Root-relative paths of source files, as locations and graph files use them (no TypeScript needed). */

/**
 * The root-relative path of `fileId` (forward slashes), or `fileId` itself outside the root.
 *
 * @example
 * ```ts
 * relativeFile('/repo/src/app.ts?v=2', '/repo') // 'src/app.ts'
 * ```
 */
export function relativeFile(fileId: string, root: string | undefined): string {
  const id = fileId.replace(/\?.*$/, '').replaceAll('\\', '/')
  if (!root) return id
  const base = root.replaceAll('\\', '/').replace(/\/?$/, '/')
  return id.startsWith(base) ? id.slice(base.length) : id
}
