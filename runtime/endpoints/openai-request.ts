import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions'
import type { CompletionRequest, CompletionResult, ResponseFormat } from '../endpoint.js'

/**
 * The chat completions request body for one plait request: `model`, `messages`, `temperature`,
 * `max_tokens`, `response_format` (`json_schema` is sent with `strict: false`), plus
 * `request.options` passed through. Options cannot replace `model` or `messages`, and `stream` is
 * always off (this endpoint reads whole replies).
 *
 * @example
 * ```ts
 * toChatCompletionBody('gpt-4o-mini', { messages: [{ role: 'user', content: 'Hi' }], maxTokens: 50 })
 * // { model: 'gpt-4o-mini', messages: [...], max_tokens: 50, stream: false }
 * ```
 */
export function toChatCompletionBody(model: string, request: CompletionRequest): ChatCompletionCreateParamsNonStreaming {
  const messages = new Array<{ role: string; content: string }>(request.messages.length)
  for (let index = 0; index < messages.length; index++) {
    const { role, content } = request.messages[index]!
    messages[index] = { role, content }
  }
  // The usual request as one literal: fields added one by one make maps that a full GC frees with
  // the body, where a literal's lasts (runtime/shapes.ts).
  if (request.options === undefined && request.temperature === undefined && request.maxTokens === undefined && request.responseFormat === undefined) {
    return { model, messages, stream: false } as unknown as ChatCompletionCreateParamsNonStreaming
  }
  const body: Record<string, unknown> = { ...request.options }
  body['model'] = model
  body['messages'] = messages
  if (request.temperature !== undefined) body['temperature'] = request.temperature
  if (request.maxTokens !== undefined) body['max_tokens'] = request.maxTokens
  if (request.responseFormat !== undefined) body['response_format'] = toResponseFormat(request.responseFormat)
  body['stream'] = false
  return body as unknown as ChatCompletionCreateParamsNonStreaming
}

/**
 * The `response_format` field for a plait response format. A schema name is cut to what OpenAI
 * accepts (`[a-zA-Z0-9_-]`, at most 64 characters).
 *
 * @example
 * ```ts
 * toResponseFormat({ type: 'json_schema', name: 'facts', schema: { type: 'object' } })
 * // { type: 'json_schema', json_schema: { name: 'facts', schema: { type: 'object' }, strict: false } }
 * ```
 */
export function toResponseFormat(format: ResponseFormat): ChatCompletionCreateParamsNonStreaming['response_format'] {
  switch (format.type) {
    case 'text':
      return { type: 'text' }
    case 'json_object':
      return { type: 'json_object' }
    case 'json_schema':
      return {
        type: 'json_schema',
        json_schema: { name: schemaName(format.name), schema: format.schema, strict: false },
      }
  }
}

function schemaName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64)
  return cleaned === '' ? 'response' : cleaned
}

/** Why a reply carries no text, when it does not. */
export type MissingText = { reason: string }

/**
 * The plait result of a chat completion: the first choice's text, the model the server reports
 * (or `fallbackModel`), and usage when reported. A reply without text (a refusal, only tool calls,
 * no choices) gives `{ reason }` instead.
 *
 * @example
 * ```ts
 * fromChatCompletion(completion, 'gpt-4o-mini') // { text: 'Hello', model: 'gpt-4o-mini-2024-07-18', usage: {...} }
 * ```
 */
export function fromChatCompletion(completion: ChatCompletion, fallbackModel: string): CompletionResult | MissingText {
  const choice = completion.choices?.[0]
  if (choice === undefined) return { reason: 'the reply has no choices' }
  const text = choice.message?.content
  if (typeof text !== 'string') {
    const refusal = choice.message?.refusal
    return {
      reason:
        typeof refusal === 'string' && refusal !== ''
          ? `the model refused: ${refusal}`
          : `the reply has no text content (finish_reason: ${String(choice.finish_reason)})`,
    }
  }
  const model = typeof completion.model === 'string' && completion.model !== '' ? completion.model : fallbackModel
  const usage = completion.usage
  // A literal either way, not `usage` added afterwards (see toChatCompletionBody).
  if (usage != null && typeof usage.prompt_tokens === 'number' && typeof usage.completion_tokens === 'number') {
    return { text, model, usage: { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens } }
  }
  return { text, model }
}
