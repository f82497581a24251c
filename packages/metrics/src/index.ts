export { clusterSamples, enumWord, type ClusterSamples, type Sample } from './cluster-samples.js';
export { nodeSamples, type NodeSamples, type RaftFacts } from './node-samples.js';
export { createNodeMetrics, type MetricsEvents, type MetricsSources, type NodeMetrics } from './node-metrics.js';
export { serveMetrics, parseMetricsAddr, type MetricsAddr, type MetricsServer } from './metrics-server.js';
