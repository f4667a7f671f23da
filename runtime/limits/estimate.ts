import type { CompletionRequest, Usage } from '../endpoint.js'
import { DEFAULT_COMPLETION_TOKENS } from './options.js'

/**
 * The tokens a request is charged against `tpm` before it is sent: prompt characters / 4 (a JSON
 * schema counts too), plus `maxTokens` or 256 for the reply. Corrected with the real usage after.
 *
 * @example
 * ```ts
 * estimateTokens({ messages: [{ role: 'user', content: 'x'.repeat(400) }], maxTokens: 50 }) // 150
 * ```
 */
export function estimateTokens(request: CompletionRequest): number {
  let chars = 0
  for (const message of request.messages) chars += message.content.length
  const format = request.responseFormat
  if (format?.type === 'json_schema') chars += JSON.stringify(format.schema).length
  return Math.ceil(chars / 4) + (request.maxTokens ?? DEFAULT_COMPLETION_TOKENS)
}

/**
 * The tokens a reply really used, when the endpoint reported them.
 *
 * @example
 * ```ts
 * usedTokens({ promptTokens: 100, completionTokens: 20 }) // 120
 * ```
 */
export function usedTokens(usage: Usage | undefined): number | undefined {
  return usage === undefined ? undefined : usage.promptTokens + usage.completionTokens
}
