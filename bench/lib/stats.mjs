/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, fraction) {
  if (!sorted.length) return null;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarize(latencies, statuses, spanMs) {
  const sorted = Float64Array.from(latencies).sort();
  const requests = sorted.length;
  const round = (value) => (value === null ? null : Math.round(value * 100) / 100);
  return {
    requests,
    durationMs: Math.round(spanMs),
    throughput: spanMs > 0 ? Math.round((requests / spanMs) * 1000 * 10) / 10 : 0,
    latencyMs: {
      p50: round(percentile(sorted, 0.5)),
      p95: round(percentile(sorted, 0.95)),
      p99: round(percentile(sorted, 0.99)),
      max: round(sorted[requests - 1] ?? null),
      mean: round(requests ? sorted.reduce((sum, value) => sum + value, 0) / requests : null),
    },
    statuses,
  };
}

/** Non-2xx answers by status, e.g. {409: 12, network: 1}. */
export function errorsByStatus(statuses) {
  return Object.fromEntries(Object.entries(statuses).filter(([status]) => !/^2\d\d$/.test(status)));
}

export function serverFailures(statuses) {
  return Object.entries(statuses)
    .filter(([status]) => status === 'network' || /^5\d\d$/.test(status))
    .reduce((sum, [, count]) => sum + count, 0);
}
