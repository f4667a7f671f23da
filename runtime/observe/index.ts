/**
 * Observability: observers that plug into a run's `onNode` (and, for exact framing, its
 * `runStart`/`runEnd`): Chrome trace profiles and OpenTelemetry spans. Nothing here loads
 * OpenTelemetry until `createOtelObserver()` is called without an `api`.
 */
export { combineObservers, type RunEndInfo, type RunObserver, type RunStartInfo } from './observer.js'
export { createTraceRecorder, type AliasSummary, type ChromeTrace, type TraceEvent, type TraceRecorder, type TraceSummary } from './chrome-trace.js'
export {
  createOtelObserver,
  loadOpenTelemetryApi,
  type OtelApi,
  type OtelAttributes,
  type OtelAttributeValue,
  type OtelContext,
  type OtelObserver,
  type OtelObserverOptions,
  type OtelSpan,
  type OtelTime,
  type OtelTracer,
} from './otel.js'
