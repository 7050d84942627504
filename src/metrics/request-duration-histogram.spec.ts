import { Histogram, Registry } from 'prom-client';
import { RequestDurationHistogram } from './request-duration-histogram.js';

const NAME = 'sail_http_request_duration_seconds';
const HELP = 'HTTP requests by method, route pattern and status class, and how long they took';
const BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** [method, route (undefined: unmatched), status code, seconds]: bounds exactly, beyond the last, every class. */
const OBSERVATIONS: [string, string | undefined, number, number][] = [
  ['GET', '/concerts/:concertId/queue', 200, 0.0004],
  ['GET', '/concerts/:concertId/queue', 200, 0.002],
  ['GET', '/concerts/:concertId/queue', 204, 0.0021],
  ['GET', '/concerts/:concertId/queue', 404, 0.03],
  ['POST', '/concerts/:concertId/queue-entry', 201, 0.7],
  ['POST', '/concerts/:concertId/queue-entry', 503, 12],
  ['GET', undefined, 404, 0.001],
  ['DELETE', '/concerts/:concertId/queue-entry', 302, 10],
  ['GET', '/health/live', 101, 0],
];

function both() {
  const ours = new Registry();
  const theirs = new Registry();
  const histogram = new RequestDurationHistogram(NAME, HELP, BUCKETS, ours);
  const reference = new Histogram({
    name: NAME,
    help: HELP,
    labelNames: ['method', 'route', 'status_class'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  for (const [method, route, status, seconds] of OBSERVATIONS) {
    histogram.observe(method, route, status, seconds);
    reference.observe(
      { method, route: route ?? 'unmatched', status_class: `${Math.floor(status / 100)}xx` },
      seconds,
    );
  }
  return { ours, theirs, histogram };
}

const sortedLines = (text: string) => text.trimEnd().split('\n').sort();

describe('RequestDurationHistogram', () => {
  it("exports what prom-client's Histogram exports for the same observations", async () => {
    const { ours, theirs } = both();
    expect(sortedLines(await ours.metrics())).toEqual(sortedLines(await theirs.metrics()));
    // Samples in one order, without prom-client's exemplar slot (exemplars are not used here).
    const byName = (values: { metricName?: string; labels: object; value: number }[]) =>
      values
        .map(({ metricName, labels, value }) => ({ metricName, labels, value }))
        .sort((a, b) =>
          `${a.metricName}${JSON.stringify(a.labels)}`.localeCompare(
            `${b.metricName}${JSON.stringify(b.labels)}`,
          ),
        );
    const [ourJson] = await ours.getMetricsAsJSON();
    const [theirJson] = await theirs.getMetricsAsJSON();
    expect({ ...ourJson, values: byName(ourJson!.values) }).toEqual({
      ...theirJson,
      values: byName(theirJson!.values),
    });
  });

  it('counts a request in its own series, cumulatively by bucket', async () => {
    const { ours } = both();
    const text = await ours.metrics();
    const poll = 'method="GET",route="/concerts/:concertId/queue",status_class="2xx"';
    expect(text).toContain(`${NAME}_bucket{le="0.002",${poll}} 2`);
    expect(text).toContain(`${NAME}_bucket{le="0.005",${poll}} 3`);
    expect(text).toContain(`${NAME}_count{${poll}} 3`);
    expect(text).toContain(`${NAME}_count{method="GET",route="unmatched",status_class="4xx"} 1`);
    expect(text).toContain(
      `${NAME}_bucket{le="10",method="POST",route="/concerts/:concertId/queue-entry",status_class="5xx"} 0`,
    );
    expect(text).toContain(
      `${NAME}_bucket{le="+Inf",method="POST",route="/concerts/:concertId/queue-entry",status_class="5xx"} 1`,
    );
  });

  it('starts again from nothing when the registry resets its metrics', async () => {
    const { ours, histogram } = both();
    ours.resetMetrics();
    expect(await ours.metrics()).toBe(`# HELP ${NAME} ${HELP}\n# TYPE ${NAME} histogram\n`);
    histogram.observe('GET', '/health/live', 200, 0.001);
    expect(await ours.metrics()).toContain(
      `${NAME}_count{method="GET",route="/health/live",status_class="2xx"} 1`,
    );
  });
});
