import { displayURL } from './redact.js'

/** What `openai()` sends as the key to a keyless server on this machine. */
export const LOCAL_PLACEHOLDER_KEY = 'unused'

/**
 * Whether `url` points at this machine: `localhost` (and `*.localhost`), `127.0.0.0/8`, `::1`,
 * `0.0.0.0`. Local OpenAI-compatible servers (Ollama, llama.cpp, vLLM, LM Studio) usually need no key.
 *
 * @example
 * ```ts
 * isLoopbackURL('http://localhost:11434/v1') // true
 * isLoopbackURL('https://api.openai.com/v1') // false
 * ```
 */
export function isLoopbackURL(url: string): boolean {
  let host: string
  try {
    host = new URL(url).hostname.toLowerCase()
  } catch {
    return false
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '::1' ||
    host === '0.0.0.0' ||
    /^127(\.\d{1,3}){3}$/.test(host) ||
    /^::ffff:127(\.\d{1,3}){3}$/.test(host)
  )
}

/**
 * Picks the API key for an OpenAI-compatible endpoint, at bind time (when `openai()` is called):
 * 1. `apiKey` when given (it must be a non-empty string);
 * 2. else the `OPENAI_API_KEY` environment variable, when set and not empty;
 * 3. else, when `baseURL` is on this machine (see {@link isLoopbackURL}), the placeholder `'unused'`;
 * 4. else a `TypeError` saying how to fix it.
 *
 * @example
 * ```ts
 * resolveApiKey({ model: 'llama3', baseURL: 'http://localhost:11434/v1', env: {} }) // 'unused'
 * ```
 */
export function resolveApiKey(options: {
  model: string
  baseURL: string
  apiKey?: unknown
  env: Record<string, string | undefined>
}): string {
  const { apiKey, env, baseURL, model } = options
  if (apiKey !== undefined) {
    if (typeof apiKey !== 'string' || apiKey.trim() === '') {
      throw new TypeError(
        `Expected \`apiKey\` of openai({ model: ${JSON.stringify(model)} }) to be a non-empty string, got ${
          typeof apiKey === 'string' ? 'an empty string' : typeof apiKey
        }. Omit it to use the OPENAI_API_KEY environment variable.`,
      )
    }
    return apiKey
  }
  const fromEnv = env['OPENAI_API_KEY']
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv
  if (isLoopbackURL(baseURL)) return LOCAL_PLACEHOLDER_KEY
  throw new TypeError(
    `Expected an API key for openai({ model: ${JSON.stringify(model)} }) at ${displayURL(baseURL)}: ` +
      'set the OPENAI_API_KEY environment variable, or pass `apiKey`. ' +
      "For a server that needs no key, pass `apiKey: 'unused'` (servers on localhost/127.0.0.1 need nothing).",
  )
}
