/**
 * The one error a plait host raises for a file it cannot compile, with every diagnostic formatted.
 */
import { formatDiagnostic } from '../src/graph/diagnostic.js'
import type { Diagnostic } from '../src/graph/types.js'

/** A build failed because a `forward()` cannot be compiled (PL1xx, or PL2xx with `strict`). */
export class PlaitBuildError extends Error {
  override name = 'PlaitBuildError'
  constructor(readonly diagnostics: Diagnostic[]) {
    super(`plait could not compile ${diagnostics.length === 1 ? 'a forward()' : `${diagnostics.length} forward() methods`}:\n\n${diagnostics.map(formatDiagnostic).join('\n\n')}`)
  }
}
