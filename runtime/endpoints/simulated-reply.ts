import type { ChatMessage, CompletionRequest } from '../endpoint.js'
import { sampleFromJsonSchema } from './json-schema-sample.js'
import { hashString } from './prng.js'

/** The request fields a simulated reply depends on. */
export type ReplyInput = Pick<CompletionRequest, 'messages' | 'responseFormat'>

/**
 * The default simulated reply: a stable function of the model, the system message and the last
 * user message, and nothing else (not the seed, not the time).
 * - `json_schema`: a JSON value fitting the schema (see `sampleFromJsonSchema`), strings made from
 *   the user message;
 * - `json_object`: `{}`;
 * - text: `[model] ` + a short reply shaped by the system prompt (a bulleted list for "extract" /
 *   "list", a summary, a comparison, a score for "judge" / "rate" / "evaluate", else an echo), which
 *   quotes the start of each paragraph of the user message, then a short digest `(#1a2b)` of the
 *   input so that different inputs give different replies.
 *
 * @example
 * ```ts
 * defaultReply('fast', { messages: [
 *   { role: 'system', content: 'Extract the main facts as a bulleted list.' },
 *   { role: 'user', content: 'Cats sleep a lot. They purr.' },
 * ] })
 * // '[fast] - Cats sleep a lot.\n- They purr. (#…)'
 * ```
 */
export function defaultReply(model: string, request: ReplyInput): string {
  const system = systemText(request.messages)
  const user = lastUserText(request.messages)
  const format = request.responseFormat
  if (format?.type === 'json_schema') {
    return JSON.stringify(sampleFromJsonSchema(format.schema, { text: user, seed: `${model}|${system}|${user}` }))
  }
  if (format?.type === 'json_object') return '{}'
  const digest = hashString(`${model}\u0000${system}\u0000${user}`).toString(16).padStart(8, '0').slice(0, 4)
  return `[${model}] ${shapedReply(system, user)} (#${digest})`
}

function shapedReply(system: string, user: string): string {
  const instructions = system === '' ? firstLine(user) : system
  if (user.trim() === '') return 'Nothing to answer.'
  if (/\b(extract|list\b|bullet|facts?\b|key points|enumerate)/i.test(instructions)) {
    const sentences = splitSentences(user).slice(0, 3)
    return sentences.map((sentence) => `- ${clip(sentence, 80)}`).join('\n')
  }
  if (/\b(judge|evaluate|grade|rate|score|critique|assess)/i.test(instructions)) {
    const score = 0.5 + (hashString(`${system}|${user}`) % 41) / 100
    return `Score: ${score.toFixed(2)}. Critique of "${clip(collapse(user), 60)}": clear, could be more specific.`
  }
  if (/\b(summari[sz]e|summary|tl;?dr|condense)/i.test(instructions)) {
    const words = collapse(user).split(' ').length
    return `Summary (${words} words): ${clip(splitSentences(user)[0] ?? collapse(user), 100)}`
  }
  if (/\b(compare|comparison|contrast|differences?|similarit)/i.test(instructions)) {
    return `Comparison: ${paragraphs(user)}`
  }
  return `Re: ${paragraphs(user)}`
}

/** The start of each paragraph (up to four), so a reply to several joined inputs shows each. */
function paragraphs(text: string): string {
  const parts = text
    .split(/\n\s*\n/)
    .map(collapse)
    .filter((part) => part !== '')
  const shown = parts.slice(0, 4).map((part) => clip(part, 60))
  if (parts.length > 4) shown.push(`(+${parts.length - 4} more)`)
  return shown.join(' / ')
}

function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((part) => collapse(part.replace(/^\s*[-*•]\s*/, '')))
    .filter((part) => part !== '')
}

function systemText(messages: ChatMessage[]): string {
  return messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n')
}

function lastUserText(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]
    if (message?.role === 'user') return message.content
  }
  return ''
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? ''
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

function clip(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`
}
