/** Helpers of the learning tests: scripted simulated endpoints and request readers. */
import { simulated, type CompletionRequest, type SimulatedEndpoint } from 'plait/endpoints'

export const systemOf = (request: CompletionRequest): string => request.messages.find((message) => message.role === 'system')?.content ?? ''
export const userOf = (request: CompletionRequest): string => request.messages.filter((message) => message.role === 'user').at(-1)?.content ?? ''

/** An endpoint that answers `system(input)` and keeps every request. */
export function echo(options: { latencyMs?: number; maxConcurrent?: number } = {}): SimulatedEndpoint & { requests: CompletionRequest[] } {
  const requests: CompletionRequest[] = []
  const endpoint = simulated({
    ...options,
    reply: (request) => {
      requests.push(request)
      return `${systemOf(request)}(${userOf(request)})`
    },
  })
  return Object.assign(endpoint, { requests })
}

/** An endpoint that answers with `reply` and keeps every request. */
export function scripted(
  reply: (request: CompletionRequest, index: number) => string,
  options: { latencyMs?: number; maxConcurrent?: number } = {},
): SimulatedEndpoint & { requests: CompletionRequest[] } {
  const requests: CompletionRequest[] = []
  const endpoint = simulated({
    ...options,
    reply: (request, { index }) => {
      requests.push(request)
      return reply(request, index)
    },
  })
  return Object.assign(endpoint, { requests })
}
