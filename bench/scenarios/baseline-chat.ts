/** The hand-written baseline's one LLM call: the `openai` SDK, the same messages plait sends. */
import type OpenAI from 'openai'

/**
 * One chat completion; the reply text.
 *
 * @example
 * ```ts
 * const facts = await chat(client, 'fast', 'Extract the main facts as a bulleted list.', doc)
 * ```
 */
export async function chat(client: OpenAI, model: string, system: string, user: string): Promise<string> {
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = system === '' ? [] : [{ role: 'system', content: system }]
  messages.push({ role: 'user', content: user })
  const completion = await client.chat.completions.create({ model, messages })
  const text = completion.choices[0]?.message.content
  if (typeof text !== 'string') throw new Error(`Expected a reply with text from ${model}.`)
  return text
}
