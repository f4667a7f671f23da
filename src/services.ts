/** What a run of a bound pipeline carries for its node functions. */
import type { Backend } from '../runtime/backend.js'
import type { Module } from './module.js'

/** Services of a pipeline run: how leaf calls reach endpoints and where each module sits. */
export interface PipelineServices {
  /** Undefined while tracing a graph: nothing is called then. */
  backend: Backend | undefined
  paths: Map<Module, string>
}
