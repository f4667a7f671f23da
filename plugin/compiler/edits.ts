/**
 * The edits of one file, on a MagicString, with a way back: lowering a forward() may fail half
 * way (PL204), and that method must then be left as it was. Cloning the MagicString before every
 * forward() paid for the rare failure on every compile (a clone costs more than the whole
 * lowering of a small forward()); instead the edits are kept in order, and a failure replays
 * those made before it on a fresh MagicString, which gives the same state.
 */
import MagicString from 'magic-string'

/** The edits the lower pass makes. */
export interface Edits {
  appendLeft(index: number, content: string): unknown
  prependRight(index: number, content: string): unknown
  update(start: number, end: number, content: string): unknown
}

type Edit = { method: 'appendLeft' | 'prependRight'; index: number; content: string } | { method: 'update'; start: number; end: number; content: string }

/**
 * A MagicString whose edits since a checkpoint can be undone.
 *
 * @example
 * ```ts
 * const edits = new RevertibleEdits(source)
 * const checkpoint = edits.checkpoint()
 * try { lower({ ..., ms: edits }) } catch { edits.revert(checkpoint) }
 * edits.ms.toString()
 * ```
 */
export class RevertibleEdits implements Edits {
  private current: MagicString
  private readonly log: Edit[] = []

  constructor(private readonly source: string) {
    this.current = new MagicString(source)
  }

  /** The MagicString with every edit not reverted. */
  get ms(): MagicString {
    return this.current
  }

  appendLeft(index: number, content: string): void {
    this.current.appendLeft(index, content)
    this.log.push({ method: 'appendLeft', index, content })
  }

  prependRight(index: number, content: string): void {
    this.current.prependRight(index, content)
    this.log.push({ method: 'prependRight', index, content })
  }

  update(start: number, end: number, content: string): void {
    this.current.update(start, end, content)
    this.log.push({ method: 'update', start, end, content })
  }

  /** A point to come back to with `revert()`. */
  checkpoint(): number {
    return this.log.length
  }

  /** Undoes every edit made since `checkpoint`. */
  revert(checkpoint: number): void {
    this.log.length = checkpoint
    this.current = new MagicString(this.source)
    for (const edit of this.log) {
      if (edit.method === 'update') this.current.update(edit.start, edit.end, edit.content)
      else this.current[edit.method](edit.index, edit.content)
    }
  }
}
