/**
 * What a command talks to: its output streams, working directory and environment. The bin passes
 * the process's own; tests pass buffers, so every command runs in-process.
 */

/** A place to write text (a process stream, or a buffer in tests). */
export interface TextSink {
  write(text: string): unknown
}

/** The outside world of one command. */
export interface CliIo {
  stdout: TextSink
  stderr: TextSink
  /** Directory relative paths are resolved against. */
  cwd: string
  /** Environment variables (`OPENAI_API_KEY`, `NO_COLOR`, ...). */
  env: Readonly<Record<string, string | undefined>>
}

/**
 * The io of the running process.
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2), processIo())
 * ```
 */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env }
}

/**
 * An io that collects what a command writes, for tests and for callers that want the text.
 *
 * @example
 * ```ts
 * const io = bufferIo('/repo')
 * await main(['check'], io)
 * console.log(io.out(), io.err())
 * ```
 */
export function bufferIo(cwd: string, env: Record<string, string | undefined> = {}): CliIo & { out(): string; err(): string } {
  const out: string[] = []
  const err: string[] = []
  return {
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
    cwd,
    env,
    out: () => out.join(''),
    err: () => err.join(''),
  }
}

/** Exit codes of the tool. */
export const exitCode = {
  /** Done, nothing wrong. */
  ok: 0,
  /** The command ran and found a problem: a compile error, stale graph files, a failed build or run. */
  failed: 1,
  /** The command line was wrong: an unknown command or option, a missing argument. */
  usage: 2,
} as const
