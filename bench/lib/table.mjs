import { errorsByStatus } from './stats.mjs';

export const LIMIT_NAMES = {
  json: 'bare Fastify',
  select: '+ 1-row SELECT',
  update: '+ 1-row UPDATE',
  argon2: 'argon2id verify',
  'json-between': 'bare Fastify between them',
};

const integer = (value) =>
  value === null || value === undefined ? '–' : Math.round(value).toLocaleString('en-US');
const ms = (value) =>
  value === null || value === undefined ? '–' : value < 10 ? value.toFixed(2) : value.toFixed(1);

function errorsCell(statuses) {
  const errors = Object.entries(errorsByStatus(statuses));
  return errors.length ? errors.map(([status, count]) => `${status}×${count}`).join(' ') : '–';
}

function limitCell(row, limits) {
  if (typeof row.vsLimit === 'string') return row.vsLimit;
  const limit = row.limit && limits[row.limit];
  if (!limit || !limit.throughput || !row.latencyMs.p99) return '–';
  const p99 = `p99 ×${(row.latencyMs.p99 / limit.latencyMs.p99).toFixed(1)} (${LIMIT_NAMES[row.limit]})`;
  // A rate set by how fast buyers reach the step says nothing about capacity.
  if (row.demandPaced) return `– · ${p99}`;
  return `${Math.round((row.throughput / limit.throughput) * 100)}% · ${p99}`;
}

export const COLUMNS = [
  'scenario',
  'requests',
  'req/s',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  'errors by status',
  'vs limit: req/s · p99',
  'invariants',
];

/** One line per measured row; the invariants count is on the first row of each scenario. */
export function tableCells(results) {
  const limits = Object.fromEntries(
    (results.find((result) => result.name === 'limits')?.rows ?? []).map((row) => [row.key, row]),
  );
  const between = results
    .find((result) => result.name === 'long-line')
    ?.rows.find((row) => row.key === 'line-limit');
  if (between) limits['json-between'] = between;
  return results.flatMap((result) => {
    const passed = result.invariants.filter((invariant) => invariant.ok).length;
    const verdict = `${passed}/${result.invariants.length} ${passed === result.invariants.length ? '✓' : '✗'}`;
    return result.rows.map((row, index) => [
      `${row.label}${row.timedOut ? ' (time bound hit)' : ''}`,
      integer(row.requests),
      integer(row.throughput),
      ms(row.latencyMs.p50),
      ms(row.latencyMs.p95),
      ms(row.latencyMs.p99),
      errorsCell(row.statuses),
      limitCell(row, limits),
      index === 0 ? verdict : '',
    ]);
  });
}

export function renderText(results) {
  const cells = [COLUMNS, ...tableCells(results)];
  const widths = COLUMNS.map((_, column) => Math.max(...cells.map((row) => [...row[column]].length)));
  const numeric = new Set([1, 2, 3, 4, 5]);
  const line = (row) =>
    row
      .map((cell, column) =>
        numeric.has(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column]),
      )
      .join('  ');
  return [
    line(cells[0]),
    widths.map((width) => '─'.repeat(width)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}

export function renderMarkdown(results) {
  const escape = (cell) => cell.replaceAll('|', '\\|');
  return [
    `| ${COLUMNS.join(' | ')} |`,
    `|${COLUMNS.map((_, column) => ([1, 2, 3, 4, 5].includes(column) ? '---:' : '---')).join('|')}|`,
    ...tableCells(results).map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

/** The targets, judged from a full run. Reported, never asserted. */
export function judgeTargets(results) {
  const find = (name) => results.find((result) => result.name === name);
  const targets = [];
  const storm = find('queue-storm');
  if (storm) {
    const throughput = storm.rows[0].throughput;
    targets.push({
      name: 'Queue entry ≥ 2,000/s',
      met: throughput >= 2_000,
      actual: `${integer(throughput)}/s`,
    });
  }
  const polling = find('polling');
  if (polling) {
    const slowest = Math.min(...polling.rows.map((row) => row.throughput));
    targets.push({
      name: 'Polling ≥ 5,000/s at every queue length',
      met: slowest >= 5_000,
      actual: `slowest ${integer(slowest)}/s`,
    });
    const first = polling.rows[0];
    const last = polling.rows.at(-1);
    const change = last.throughput / first.throughput - 1;
    targets.push({
      name: `Polling within 20% between ${integer(first.size)} and ${integer(last.size)} waiting`,
      met: Math.abs(change) <= 0.2,
      actual: `${change >= 0 ? '+' : ''}${Math.round(change * 100)}% req/s, p50 ${ms(first.latencyMs.p50)} → ${ms(last.latencyMs.p50)} ms`,
    });
  }
  const metricsCost = find('metrics-cost');
  if (metricsCost) {
    const { control } = metricsCost.facts;
    for (const { label, throughputOnToOff, cpuOnToOff, cpuOnToOffByRound } of Object.values(
      metricsCost.facts.compare,
    )) {
      const sorted = [...cpuOnToOffByRound].sort((a, b) => a - b);
      const median = (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2;
      const rounds = `rounds ×${sorted[0]}–×${sorted.at(-1)}, median ×${Math.round(median * 1000) / 1000}`;
      targets.push({
        name: control
          ? `Control, metrics off on both apps, within 3%: ${label}`
          : `Metrics on within 3% of off: ${label}`,
        met:
          throughputOnToOff >= 0.97 &&
          (control ? throughputOnToOff <= 1.03 : true) &&
          (cpuOnToOff === null || (cpuOnToOff <= 1.03 && (control ? cpuOnToOff >= 0.97 : true))),
        actual: `req/s ${control ? '2nd/1st' : 'on/off'} ×${throughputOnToOff}, server CPU per request ×${cpuOnToOff ?? '–'} (${rounds})`,
      });
    }
  }
  const draw = find('draw');
  if (draw) {
    const facts = draw.facts;
    targets.push({
      name: `Draw of ${integer(facts.entrants)} pre-queued in under 5 s`,
      met: facts.drawMs < 5_000,
      actual: `${integer(facts.drawMs)} ms wall, ${integer(facts.drawCpuMs)} ms of database CPU`,
    });
    targets.push({
      name: 'Polls during the draw keep answering (none waits over 1 s)',
      met: facts.pollsDuringMaxMs < 1_000,
      actual: `max ${ms(facts.pollsDuringMaxMs)} ms`,
    });
    targets.push({
      name: 'Entries into the concert during the draw wait on it under 1 s',
      met: facts.lateEntriesMaxMs < 1_000,
      actual: `max ${ms(facts.lateEntriesMaxMs)} ms, p99 ${ms(facts.lateEntriesP99Ms)} ms; into another concert meanwhile max ${ms(facts.controlEntriesMaxMs)} ms, p99 ${ms(facts.controlEntriesP99Ms)} ms`,
    });
  }
  const line = find('long-line');
  if (line) {
    const steady = line.rows.filter((row) => row.limit === 'json-between');
    // Bare Fastify measured in stretches between the polls' own.
    const limit = line.rows.find((row) => row.key === 'line-limit');
    const slowest = steady.reduce((a, b) => (b.throughput < a.throughput ? b : a));
    if (limit) {
      targets.push({
        name: 'Steady polling ≥ 0.6 × bare Fastify between them (long line and 20 concerts)',
        met: slowest.throughput >= 0.6 * limit.throughput,
        actual: `slowest ${integer(slowest.throughput)}/s = ${(slowest.throughput / limit.throughput).toFixed(2)} × ${integer(limit.throughput)}/s (${slowest.label})`,
      });
      const costliest = steady.reduce((a, b) => (b.serverCpuUsPerRequest > a.serverCpuUsPerRequest ? b : a));
      if (limit.serverCpuUsPerRequest && costliest.serverCpuUsPerRequest) {
        targets.push({
          // A loaded machine slows both alike: the server's own CPU per request compares fairly.
          name: 'Steady poll server CPU ≤ 1 / 0.6 × bare Fastify’s per request',
          met: costliest.serverCpuUsPerRequest <= limit.serverCpuUsPerRequest / 0.6,
          actual: `costliest ${costliest.serverCpuUsPerRequest} µs = ${(limit.serverCpuUsPerRequest / costliest.serverCpuUsPerRequest).toFixed(2)} × bare Fastify's speed (${limit.serverCpuUsPerRequest} µs; ${costliest.label})`,
        });
      }
    }
    const ratio = line.facts.p99RatioBackToSmall;
    targets.push({
      name: `Poll p99 at ${integer(line.facts.lineSize)} with departures within 20% of ${integer(line.facts.lineSmallSize)}`,
      met: ratio <= 1.2,
      actual: `back of the line p99 ×${ratio} of the short line's`,
    });
  }
  const seatRush = find('seat-rush');
  if (seatRush) {
    const doubles = seatRush.invariants.find((invariant) => invariant.name === 'no seat sold twice');
    targets.push({
      name: 'Seat rush: zero double sales',
      met: doubles.ok,
      actual: doubles.detail.split(';')[0],
    });
    const hold = seatRush.rows.find((row) => row.key === 'hold');
    targets.push({
      name: 'Seat rush: p99 hold latency < 200 ms',
      met: hold.latencyMs.p99 < 200,
      actual: `${ms(hold.latencyMs.p99)} ms`,
    });
  }
  const rush = find('rush');
  if (rush) {
    for (const variant of rush.facts.variants) {
      targets.push({
        name: `Rush, ${variant.concerts} concert(s): purchases ≥ 0.4 × the SQL limit`,
        met: variant.ratioToSql !== null && variant.ratioToSql >= 0.4,
        actual: `${variant.purchasesPerSecond}/s of ${variant.sql?.perSecond ?? '–'}/s = ${variant.ratioToSql ?? '–'}`,
      });
    }
    const hold = rush.rows.find((row) => row.key === 'open-hold');
    const pay = rush.rows.find((row) => row.key === 'open-pay');
    targets.push({
      name: `Rush, open loop at ${rush.facts.openLoop.rate}/s: hold p99 < 200 ms`,
      met: hold.latencyMs.p99 !== null && hold.latencyMs.p99 < 200,
      actual: `${ms(hold.latencyMs.p99)} ms`,
    });
    targets.push({
      name: `Rush, open loop at ${rush.facts.openLoop.rate}/s: payment p99 < 300 ms`,
      met: pay.latencyMs.p99 !== null && pay.latencyMs.p99 < 300,
      actual: `${ms(pay.latencyMs.p99)} ms`,
    });
  }
  const loginStorm = find('login-storm');
  const argon2 = find('limits')?.rows.find((row) => row.key === 'argon2');
  if (loginStorm) {
    const login = loginStorm.rows[0];
    targets.push({
      name: 'Login storm ≥ 40 logins/s',
      met: login.throughput >= 40,
      actual: `${integer(login.throughput)}/s`,
    });
    if (argon2?.throughput) {
      const share = login.throughput / argon2.throughput;
      targets.push({
        name: 'Login storm within 80% of the bare argon2id rate',
        met: share >= 0.8,
        actual: `${Math.round(share * 100)}% of ${integer(argon2.throughput)}/s, p99 ${ms(login.latencyMs.p99)} ms`,
      });
    }
  }
  return targets;
}
