/**
 * `plait/endpoints`: the things that answer LLM calls. Import from here to configure a pipeline's
 * endpoints by alias:
 *
 * @example
 * ```ts
 * import { openai, simulated } from 'plait/endpoints'
 * const endpoints = {
 *   fast: openai({ model: 'gpt-4o-mini', maxConcurrent: 20 }),
 *   smart: simulated({ model: 'smart', latencyMs: 50 }),
 * }
 * ```
 */
export { defineEndpoint, type DefineEndpointOptions } from './define.js'
export type { BurstOptions, EndpointLimitOptions, RetryOptions } from '../limits/options.js'
export { openai, OPENAI_DEFAULT_BASE_URL, type OpenAIEndpointOptions } from './openai.js'
export {
  simulated,
  type SimulatedEndpoint,
  type SimulatedOptions,
  type SimulatedReplyContext,
  type SimulatedStats,
} from './simulated.js'
export type { SimulatedFault, SimulatedFaultRates, SimulatedFaults } from './simulated-faults.js'
export {
  EndpointError,
  RetriesExhaustedError,
  type Admission,
  type ChatMessage,
  type CompleteOptions,
  type CompletionRequest,
  type CompletionResult,
  type Endpoint,
  type EndpointDescription,
  type EffectiveLimits,
  type EndpointFailure,
  type EndpointLimits,
  type RetryPolicy,
  type SendOptions,
  type ResponseFormat,
  type Usage,
} from '../endpoint.js'
