/**
 * Asking an LLM judge for a JSON verdict inside a run: one call, and one re-ask (with the reason)
 * when the reply is malformed; a second malformed reply is an error.
 */
import type { ChatMessage } from '../../../runtime/endpoint.js'
import { PlaitError } from '../../../runtime/errors.js'
import type { LLMInference, LLMInput } from '../../inference.js'
import { truncate } from '../text.js'

/** A parser: the value, or a string saying what is wrong. */
export type ReplyParser<T> = (json: unknown) => { ok: true; value: T } | { ok: false; issue: string }

/** Calls `llm` (a child module of a loss) in the current run. */
export function callInRun(llm: LLMInference, input: LLMInput): Promise<string> {
  return Promise.resolve(llm(input) as unknown as PromiseLike<string>)
}

/**
 * Asks `llm` with `prompt` and parses the reply as JSON with `parse`; re-asks once, saying what was
 * wrong, then fails naming `who` and showing `example`.
 *
 * @example
 * ```ts
 * const { value } = await askJson(this.judge, prompt, parseVerdict, '{"score": 3, "critique": ["..."]}', 'JudgeLoss `loss`')
 * ```
 */
export async function askJson<T>(llm: LLMInference, prompt: string, parse: ReplyParser<T>, example: string, who: string): Promise<{ value: T; reply: string }> {
  const first = await callInRun(llm, prompt)
  const parsed = parseReply(first, parse)
  if (parsed.ok) return { value: parsed.value, reply: first }
  const messages: ChatMessage[] = [
    { role: 'user', content: prompt },
    { role: 'assistant', content: first },
    { role: 'user', content: `That reply is not usable: ${parsed.issue}. Reply again with only the JSON object, like ${example}.` },
  ]
  const second = await callInRun(llm, messages)
  const again = parseReply(second, parse)
  if (again.ok) return { value: again.value, reply: second }
  throw new PlaitError(`Expected ${who} to reply with JSON like ${example}; it did not, even when asked again (${again.issue}). Last reply: ${JSON.stringify(truncate(second, 300))}. Check the judge's endpoint and model.`)
}

function parseReply<T>(reply: string, parse: ReplyParser<T>): { ok: true; value: T } | { ok: false; issue: string } {
  const json = extractJson(reply)
  if (json === undefined) return { ok: false, issue: 'it holds no JSON object' }
  return parse(json)
}

/** The first JSON object in `text` (code fences and text around it are ignored), or undefined. */
export function extractJson(text: string): unknown {
  const unfenced = text.replace(/```(?:json)?/gi, '')
  const start = unfenced.indexOf('{')
  const end = unfenced.lastIndexOf('}')
  if (start < 0 || end <= start) return undefined
  try {
    return JSON.parse(unfenced.slice(start, end + 1)) as unknown
  } catch {
    return undefined
  }
}

/** A `critique` field as lines: a string or an array of strings; anything else is an issue. */
export function critiqueField(value: unknown): { ok: true; value: string[] } | { ok: false; issue: string } {
  if (value === undefined || value === null) return { ok: true, value: [] }
  if (typeof value === 'string') return { ok: true, value: value.trim() === '' ? [] : [value.trim()] }
  if (Array.isArray(value) && value.every((line) => typeof line === 'string')) return { ok: true, value: value.map((line: string) => line.trim()).filter(Boolean) }
  return { ok: false, issue: '"critique" must be a string or an array of strings' }
}
