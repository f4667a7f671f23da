/**
 * Argument parsing shared by the commands: `node:util` `parseArgs` in strict mode, with errors
 * that name the offending command or option and point at `--help` (exit code 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'

/** A wrong command line: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
  /**
   * @example
   * ```ts
   * throw new UsageError('Expected `--format` to be mermaid, dot, json or text, got `svg`.', 'graph')
   * ```
   */
  constructor(
    message: string,
    /** The command whose `--help` to point at; none for the tool itself. */
    readonly command?: string,
  ) {
    super(message)
  }
}

type Options = NonNullable<ParseArgsConfig['options']>

/** The parsed values of `options`: strings or booleans, lists for `multiple`, absent when not given. */
export type OptionValues<T extends Options> = {
  -readonly [K in keyof T]?: T[K] extends { type: 'boolean' } ? (T[K] extends { multiple: true } ? boolean[] : boolean) : T[K] extends { multiple: true } ? string[] : string
} & { help?: boolean }

/**
 * Parses `argv` for `command` with strict options (an unknown option or a missing value is a
 * `UsageError` naming it). `--help`/`-h` is always accepted.
 *
 * @example
 * ```ts
 * const { values, positionals } = parseCommandArgs('graph', argv, { format: { type: 'string' } })
 * ```
 */
export function parseCommandArgs<T extends Options>(command: string, argv: string[], options: T): { values: OptionValues<T>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
    return { values: values as OptionValues<T>, positionals }
  } catch (error) {
    throw new UsageError(usageMessage(error), command)
  }
}

/** `parseArgs` errors rephrased: "Unknown option `--x`." rather than Node's wording. */
function usageMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as { code?: string }).code
  const option = /'(-[^']*)'/.exec(message)?.[1]?.split(/[ ,]/)[0]
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `Unknown option \`${option}\`.`
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) return `Expected option \`${option}\` to have a value.`
  return message.replace(/\. To specify a positional argument.*$/s, '.')
}

/**
 * Checks that `value` is one of `choices`.
 *
 * @example
 * ```ts
 * const format = oneOf('graph', '--format', values.format, ['mermaid', 'dot', 'json', 'text'])
 * ```
 */
export function oneOf<T extends string>(command: string, option: string, value: string | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined
  if ((choices as readonly string[]).includes(value)) return value as T
  throw new UsageError(`Expected \`${option}\` to be ${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}, got \`${value}\`.`, command)
}
