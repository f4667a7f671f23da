/**
 * A learnable text: a prompt or instruction that backward passes and optimizers improve, like
 * `nn.Parameter` holds learnable weights.
 */

/** Options of a Parameter. */
export interface ParameterOptions {
  /** What the text is for; optimizers show it to the LLM that rewrites the value. Required when learnable. */
  description?: string
  /** Whether optimizers may change it. Default `true`. */
  requiresGrad?: boolean
}

/**
 * A learnable text value.
 *
 * @example
 * ```ts
 * const style = new Parameter('Highlight key similarities and differences.', {
 *   description: 'Controls the style of the comparison.',
 * })
 * style.value = 'Be brief.'
 * ```
 */
export class Parameter {
  #value: string
  readonly description: string
  readonly requiresGrad: boolean

  constructor(value: string, options: ParameterOptions = {}) {
    if (typeof value !== 'string') throw new TypeError(`Expected \`value\` to be a string, got ${describe(value)}.`)
    const { description = '', requiresGrad = true } = options
    if (typeof description !== 'string') throw new TypeError(`Expected \`description\` to be a string, got ${describe(description)}.`)
    if (typeof requiresGrad !== 'boolean') throw new TypeError(`Expected \`requiresGrad\` to be a boolean, got ${describe(requiresGrad)}.`)
    if (requiresGrad && description.trim() === '') {
      throw new TypeError(
        'Expected a learnable Parameter to have a `description` (optimizers show it to the LLM that rewrites the value). Pass `{ description: "..." }`, or `{ requiresGrad: false }` for a fixed text.',
      )
    }
    this.#value = value
    this.description = description
    this.requiresGrad = requiresGrad
  }

  /** The current text. Read at call time, so an update takes effect on the next run. */
  get value(): string {
    return this.#value
  }

  set value(value: string) {
    if (typeof value !== 'string') throw new TypeError(`Expected \`value\` to be a string, got ${describe(value)}.`)
    this.#value = value
  }

  toString(): string {
    return this.#value
  }

  toJSON(): { value: string; description: string; requiresGrad: boolean } {
    return { value: this.#value, description: this.description, requiresGrad: this.requiresGrad }
  }
}

/** A short description of a value's type for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`
  if (typeof value === 'string') return `a string`
  return `${typeof value} ${String(value)}`
}
