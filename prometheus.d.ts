// require('eventlog/prometheus'): a log's metrics in a prom-client registry.
import type { EventLog } from './index'

/** The prom-client registry to add to (any prom-client >= 14: `new Registry()`, or `register`). */
interface PromRegistry {
  registerMetric(metric: unknown): void
  getSingleMetric(name: string): unknown
}

/**
 * Adds the log's metrics (`eventlog_*`, labelled with `log`, the pattern) to `registry`
 * (prom-client's default registry if none is given); each scrape reads `log.metrics()` once.
 * Several logs may share a registry. Returns a function that removes the log again; a stopped
 * log leaves by itself. Throws an Error with code `ERR_PROM_CLIENT_MISSING` when prom-client
 * is not installed.
 */
export function register(log: EventLog, registry?: PromRegistry): () => void
