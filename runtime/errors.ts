/**
 * The errors plait throws at run time. Each says what went wrong, where, and what to do.
 */
import type { SourceLocation } from '../src/graph/types.js'
import { formatLocation } from './location.js'

/**
 * Base class of plait's own errors.
 *
 * @example
 * ```ts
 * try { await pipeline(doc) } catch (error) { if (error instanceof PlaitError) console.error(error.message) }
 * ```
 */
export class PlaitError extends Error {
  override name = 'PlaitError'
}

/** What a failed node tells about itself. */
export interface NodeErrorDetails {
  nodeId: string
  /** Dotted module path, `''` for the root module's own code. */
  modulePath: string
  kind: string
  location: SourceLocation | undefined
  cause: unknown
}

/**
 * A node of a run failed; the run failed with it. Names the node, its module path, where
 * `forward()` made it, and the cause (kept as `cause`).
 *
 * @example
 * ```ts
 * catch (error) { if (error instanceof NodeError) console.error(error.nodeId, error.modulePath, error.cause) }
 * ```
 */
export class NodeError extends PlaitError {
  override name = 'NodeError'
  readonly nodeId: string
  readonly modulePath: string
  readonly kind: string
  readonly location: SourceLocation | undefined

  constructor(details: NodeErrorDetails) {
    const module = details.modulePath === '' ? 'the root module' : `module \`${details.modulePath}\``
    super(
      `Node \`${details.nodeId}\` (${details.kind} in ${module}, made at ${formatLocation(details.location)}) failed: ${causeText(details.cause)}`,
      { cause: details.cause },
    )
    this.nodeId = details.nodeId
    this.modulePath = details.modulePath
    this.kind = details.kind
    this.location = details.location
  }
}

/**
 * `forward()` did something with a pending value that cannot work while the graph is built
 * (arithmetic, iteration without a bound, a damaged placeholder). Names the line of `forward`.
 *
 * @example
 * ```ts
 * catch (error) { if (error instanceof TraceError) console.error(error.location) }
 * ```
 */
export class TraceError extends PlaitError {
  override name = 'TraceError'
  readonly location: SourceLocation | undefined
  constructor(reason: string, fix: string, location: SourceLocation | undefined) {
    super(`${reason} at ${formatLocation(location)}. ${fix}`)
    this.location = location
  }
}

function causeText(cause: unknown): string {
  if (cause instanceof Error) return cause.message
  return String(cause)
}
