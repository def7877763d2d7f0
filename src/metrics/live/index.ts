// The live view: the public surface of src/metrics/live.

export { expressLiveView } from '../http/live-express.ts';
export { fastifyLiveView } from '../http/live-fastify.ts';
export { nodeLiveView } from '../http/live-node.ts';
export type { AlertsState, FiringAlert } from './alerts.ts';
export {
  type ChartData,
  type ChartDef,
  HISTORY_DEFAULTS,
  type HistoryOptions,
  LiveHistory,
  memoryBound,
} from './history.ts';
export { type CumulativeBucket, histogramQuantile, quantileOfCounts } from './quantile.ts';
export type { LabelMatch, LiveSlo, SloSelector, SloStatus } from './slo.ts';
export {
  createLiveView,
  type LiveData,
  type LiveRequest,
  type LiveResponse,
  type LiveView,
  type LiveViewOptions,
  type RouteStat,
} from './view.ts';
