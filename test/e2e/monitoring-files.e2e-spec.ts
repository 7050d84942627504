import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseExposition } from '../helpers/prometheus-text.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * No Docker engine or Prometheus runs here: this parses the monitoring files in deploy/ and
 * docker-compose.monitoring.yml, and checks that every metric they query is one GET /metrics
 * serves, so a renamed metric cannot silently empty a panel or mute an alert.
 */

const TOKEN = 'metrics-token-for-tests-0123456789';
/** Series Prometheus makes itself. */
const PROMETHEUS_SERIES = new Set(['up']);
const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** Metric names an expression reads: identifiers that are neither functions, keywords nor labels. */
function metricNamesIn(expression: string): string[] {
  const stripped = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ');
  return [...stripped.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?/g)]
    .filter((match) => !match[2] && !PROMQL_WORDS.has(match[1]!.toLowerCase()))
    .map((match) => match[1]!);
}

type Rule = { alert: string; expr: string; labels?: Record<string, string> };
type Panel = { type: string; title: string; targets?: { expr: string }[]; panels?: Panel[] };

const alerts = (
  parse(readFileSync('deploy/prometheus/alerts.yml', 'utf8')) as { groups: { rules: Rule[] }[] }
).groups.flatMap((group) => group.rules);
const dashboard = JSON.parse(readFileSync('deploy/grafana/dashboards/sail.json', 'utf8')) as {
  panels: Panel[];
  templating: { list: { query: { query: string } }[] };
};
const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
const dashboardExpressions = panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));

describe('monitoring files', () => {
  let t: TestApp;
  let served: Set<string>;

  beforeAll(async () => {
    t = await createTestApp({ METRICS_TOKEN: TOKEN, SWEEPER_ENABLED: false });
    const response = await t.http().get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    const { types } = parseExposition(response.text);
    // A histogram is queried through its series: _bucket, _sum and _count.
    served = new Set(
      [...types].flatMap(([name, type]) =>
        type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
      ),
    );
  });
  afterAll(() => t.close());

  it('alert rules and dashboard query only metrics that GET /metrics serves', () => {
    const variableQueries = dashboard.templating.list.map(
      (variable) => /label_values\(\s*([a-zA-Z_:][\w:]*)/.exec(variable.query.query)![1]!,
    );
    const used = new Set([
      ...alerts.flatMap((rule) => metricNamesIn(rule.expr)),
      ...dashboardExpressions.flatMap(metricNamesIn),
      ...variableQueries,
    ]);
    expect(used.size).toBeGreaterThan(20);
    const unknown = [...used].filter((name) => !served.has(name) && !PROMETHEUS_SERIES.has(name));
    expect(unknown).toEqual([]);
  });

  it('the name extraction sees through PromQL syntax', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le) (rate(a_bucket{x="y"}[5m]))) / on (concert_id) group_left (name) b and c offset 5m > bool 1',
      ),
    ).toEqual(['a_bucket', 'b', 'c']);
  });

  it('alerts ring on a broken invariant, 5xx responses, a late sweeper and a replica not ready', () => {
    const expressionOf = (alert: string) =>
      alerts.find((rule) => rule.alert === alert)?.expr.replace(/\s+/g, ' ');
    expect(expressionOf('SailInvariantBroken')).toBe('max by (invariant) (sail_invariant_violations) > 0');
    expect(expressionOf('SailServerErrors')).toContain('status_class="5xx"');
    expect(expressionOf('SailSweeperLagging')).toBe('max by (kind) (sail_sweeper_lag_seconds) > 5');
    expect(expressionOf('SailNotReady')).toContain('up{job="sail"} == 0');
    for (const rule of alerts) expect(['page', 'warning']).toContain(rule.labels?.severity);
  });

  it('the dashboard has panels for the line, the sale, HTTP, the runtime and the invariants', () => {
    const all = dashboardExpressions.join('\n');
    for (const name of [
      'sail_queue_waiting',
      'sail_queue_active',
      'sail_queue_admitted_total',
      'sail_queue_windows_ended_total',
      'sail_queue_entries_ended_total',
      'sail_holds_created_total',
      'sail_holds_ended_total',
      'sail_seats',
      'sail_payments_total',
      'sail_points_spent_total',
      'sail_http_request_duration_seconds_bucket',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
      'sail_db_pool_connections',
      'sail_db_pool_waiting_requests',
      'sail_db_statement_timeouts_total',
      'sail_sweeper_lag_seconds',
      'sail_invariant_violations',
    ])
      expect([name, all.includes(name)]).toEqual([name, true]);
    expect(new Set(panels.map((panel) => panel.title)).size).toBe(panels.length);
  });

  it('docker-compose.monitoring.yml runs Prometheus and Grafana on these files, scraping METRICS_PORT', () => {
    type Service = { image?: string; volumes?: string[]; environment?: Record<string, string> };
    const { services } = parse(readFileSync('docker-compose.monitoring.yml', 'utf8')) as {
      services: Record<string, Service>;
    };
    expect(Object.keys(services).sort()).toEqual(['api', 'grafana', 'prometheus']);
    expect(services.prometheus!.image).toMatch(/^prom\/prometheus:v\d/);
    expect(services.grafana!.image).toMatch(/^grafana\/grafana:\d/);
    for (const service of ['prometheus', 'grafana'])
      for (const volume of services[service]!.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./')) expect([source, existsSync(source)]).toEqual([source, true]);
      }

    const prometheus = parse(readFileSync('deploy/prometheus/prometheus.yml', 'utf8')) as {
      rule_files: string[];
      scrape_configs: {
        job_name: string;
        metrics_path: string;
        dns_sd_configs: { names: string[]; port: number }[];
      }[];
    };
    expect(prometheus.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    expect(services.prometheus!.volumes).toContain(
      './deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro',
    );
    const [job] = prometheus.scrape_configs;
    expect(job).toMatchObject({ job_name: 'sail', metrics_path: '/metrics' });
    expect(job!.dns_sd_configs[0]!.names).toEqual(['api']);
    expect(services.api!.environment!.METRICS_PORT).toBe(`\${METRICS_PORT:-${job!.dns_sd_configs[0]!.port}}`);
  });
});
