/** What a run of a bound pipeline carries for its node functions. */
import type { Backend } from '../runtime/backend.js'
import type { ModuleTree } from './module-paths.js'

/** Services of a pipeline run: how leaf calls reach endpoints and where each module sits. */
export interface PipelineServices {
  /** Undefined while tracing a graph: nothing is called then. */
  backend: Backend | undefined
  /** Where each module sits in the tree of the run's root module. */
  tree: ModuleTree
}
