import { PAY_RESERVATIONS_OUTCOMES } from '../payments/payments.repository.js';
import { DRAW_PRE_QUEUE_OUTCOMES, OPEN_SALES_FOR_DRAW_OUTCOMES } from '../queue/queue.repository.js';
import { HOLD_SEATS_OUTCOMES } from '../reservations/reservations.repository.js';
import { unexpectedOutcome } from './function-outcomes.js';
import { readFunctionSources } from './sql-functions.js';

/**
 * The outcomes a function's body can answer: by this project's convention, the string literal
 * that opens the select list of each `RETURN QUERY` (a computed outcome would need this reader
 * taught). Comments go first, then every parenthesized group, so a literal inside a CTE or a
 * call is not taken for one.
 */
function outcomeLiterals(body: string): Set<string> {
  const outcomes = new Set<string>();
  const code = body.replace(/--.*$/gm, '');
  for (const [, statement] of code.matchAll(/\bRETURN\s+QUERY\b([^;]*);/gi)) {
    let topLevel = statement!;
    for (let previous = ''; previous !== topLevel;) {
      previous = topLevel;
      topLevel = topLevel.replace(/\([^()]*\)/g, '()');
    }
    const first = /\bSELECT\s+'([A-Z][A-Z0-9_]*)'/i.exec(topLevel);
    if (first) outcomes.add(first[1]!);
  }
  return outcomes;
}

/** Each database function that answers an `outcome`, with the set its repository declares. */
const DECLARED: Record<string, readonly string[]> = {
  draw_pre_queue: DRAW_PRE_QUEUE_OUTCOMES,
  hold_seats: HOLD_SEATS_OUTCOMES,
  open_sales_for_draw: OPEN_SALES_FOR_DRAW_OUTCOMES,
  pay_reservations: PAY_RESERVATIONS_OUTCOMES,
};

describe('database function outcomes', () => {
  it.each(Object.entries(DECLARED))(
    'are the same in TypeScript and in prisma/functions/%s.sql',
    async (name, declared) => {
      const source = (await readFunctionSources()).find((candidate) => candidate.name === name);
      expect(source).toBeDefined();
      expect([...outcomeLiterals(source!.definition)].sort()).toEqual([...declared].sort());
    },
  );

  it('are declared in TypeScript for every function that answers an outcome', async () => {
    const answering = (await readFunctionSources())
      .filter((source) => /RETURNS\s+TABLE\s*\(\s*outcome\s+TEXT/i.test(source.definition))
      .map((source) => source.name);
    expect(answering.sort()).toEqual(Object.keys(DECLARED).sort());
  });
});

describe(outcomeLiterals.name, () => {
  it('reads the literal each RETURN QUERY answers first, and nothing else', () => {
    const body = `
      -- RETURN QUERY SELECT 'IN_A_COMMENT';
      IF x THEN
          RETURN QUERY SELECT 'REFUSED', NULL::INTEGER;
          RETURN;
      END IF;
      UPDATE seats SET status = 'HELD' WHERE id = 'x';
      RETURN QUERY
      WITH inserted AS (INSERT INTO t SELECT 'NOT_AN_OUTCOME' RETURNING id)
      SELECT 'DONE', i.id FROM inserted i;`;
    expect([...outcomeLiterals(body)]).toEqual(['REFUSED', 'DONE']);
  });
});

describe(unexpectedOutcome.name, () => {
  it('names the function and what it answered', () => {
    expect(() => unexpectedOutcome('hold_seats', 'RENAMED' as never)).toThrow(
      'hold_seats answered "RENAMED"',
    );
  });
});
