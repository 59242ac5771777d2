import type { Metric } from 'prom-client';
import type { MetricsSnapshot } from './metrics.js';
import { prometheusName, QUORUM_WAIT_SECONDS_PREFIX } from './prometheusNames.js';

/**
 * The histogram of quorum wait seconds per level, from the snapshot's
 * cumulative bucket counters: a prom-client metric whose get() builds the
 * `_bucket`, `_sum` and `_count` samples (prom-client's own Histogram can
 * only observe, not be set from counts kept elsewhere).
 */
export function quorumWaitHistogram(name: string, read: () => MetricsSnapshot): Metric {
  const help = 'Time quorum waits (waitForFollowers) took, by level, in seconds, whatever their outcome.';
  const get = () => {
    const levels = new Map<string, { buckets: Map<number, number>; sum: number; count: number }>();
    for (const [key, value] of Object.entries(read().counters)) {
      if (!key.startsWith(QUORUM_WAIT_SECONDS_PREFIX)) continue;
      const rest = key.slice(QUORUM_WAIT_SECONDS_PREFIX.length);
      const dot = rest.indexOf('.');
      if (dot <= 0) continue;
      const level = prometheusName(rest.slice(0, dot));
      const part = rest.slice(dot + 1);
      const h = levels.get(level) ?? { buckets: new Map<number, number>(), sum: 0, count: 0 };
      levels.set(level, h);
      if (part === 'sum') h.sum = value;
      else if (part === 'count') h.count = value;
      else if (part.startsWith('le.') && Number.isFinite(Number(part.slice(3)))) h.buckets.set(Number(part.slice(3)), value);
    }
    const values: Array<{ value: number; labels: Record<string, string | number>; metricName: string }> = [];
    for (const [level, h] of levels) {
      // A bound no wait has fallen under yet has no counter: it holds what the bound below it holds (cumulative), or 0.
      let below = 0;
      for (const bound of [...h.buckets.keys()].sort((a, b) => a - b)) {
        below = Math.max(below, h.buckets.get(bound) ?? 0);
        values.push({ value: below, labels: { level, le: bound }, metricName: `${name}_bucket` });
      }
      values.push({ value: h.count, labels: { level, le: '+Inf' }, metricName: `${name}_bucket` });
      values.push({ value: h.sum, labels: { level }, metricName: `${name}_sum` });
      values.push({ value: h.count, labels: { level }, metricName: `${name}_count` });
    }
    return { name, help, type: 'histogram', values, aggregator: 'sum' };
  };
  return { name, help, type: 'histogram', get, reset: () => undefined, labelNames: ['level', 'le'], aggregator: 'sum' } as unknown as Metric;
}
