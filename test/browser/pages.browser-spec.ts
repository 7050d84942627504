import type { Page } from 'playwright-core';
import { createConcert } from '../factories/concert.factory.js';
import { createUser } from '../helpers/test-app.js';
import {
  PASSWORD,
  SCREENSHOT_DIR,
  screenshot,
  signUp,
  startBrowserRun,
  uniqueEmail,
  type BrowserRun,
} from './browser.js';

/**
 * The fan's pages and the operator's console in Chromium against the real app: only the public
 * API behind them. Each test leaves screenshots in test/browser/screenshots for a reviewer.
 */
describe('Web pages in a browser', () => {
  let run: BrowserRun;

  beforeAll(async () => {
    // Access tokens of 12 seconds: the pages refresh them in the background throughout every test.
    run = await startBrowserRun({ QUEUE_ACTIVE_CAPACITY: 5, JWT_ACCESS_TTL: 12 });
  });
  afterAll(() => run?.close());
  afterEach(async () => {
    await run.closePages();
    // No page may log an error: a failed request the page did not expect, or a script error.
    expect(run.consoleErrors.splice(0)).toEqual([]);
  });

  const concertCard = (page: Page, name: string) => page.locator('li.concert', { hasText: name });

  /** Through POST /admin/concerts, with named sections of lettered rows. */
  const createConcertThroughApi = async (
    name: string,
    sections: { section: string; rows: string[]; seatsPerRow: number; price: number }[],
  ): Promise<{ id: string }> => {
    const admin = await createUser(run.t, { role: 'ADMIN' });
    const seats = sections.flatMap(({ section, rows, seatsPerRow, price }) =>
      rows.flatMap((row) =>
        Array.from({ length: seatsPerRow }, (_, index) => ({ number: `${row}${index + 1}`, section, price })),
      ),
    );
    const startsAt = new Date(Date.now() + 40 * 86_400_000).toISOString();
    const res = await run.t
      .http()
      .post('/admin/concerts')
      .set(admin.headers)
      .send({ name, venue: 'Harbourfront Hall', startsAt, seats })
      .expect(201);
    return { id: res.body.id as string };
  };

  it('a fan signs up, queues, picks seats, tops up, pays and sees the ticket', async () => {
    const concert = await createConcertThroughApi('Harbour Lights', [
      { section: 'Floor', rows: ['A', 'B'], seatsPerRow: 10, price: 40_000 },
      { section: 'Balcony', rows: ['C', 'D', 'E'], seatsPerRow: 10, price: 25_000 },
    ]);
    // Other fans' purchases and holds, so that the map shows every state.
    await run.t.db.query(
      `UPDATE seats SET status = CASE WHEN number IN ('A2', 'B7') THEN 'HELD' ELSE 'SOLD' END::"SeatStatus",
                        held_until = CASE WHEN number IN ('A2', 'B7') THEN now() + interval '5 minutes' END
       WHERE concert_id = $1 AND number IN ('A2', 'A4', 'A5', 'A6', 'B7', 'C1', 'C2', 'D5')`,
      [concert.id],
    );
    const page = await run.newPage();
    await page.goto('/');
    await screenshot(page, '01-sign-in');
    await signUp(page, uniqueEmail('fan'));

    // Tokens: the refresh token in this tab's sessionStorage, nothing in localStorage.
    // Page code as strings: this project's TypeScript has no DOM types.
    const storage = await page.evaluate(
      '({ local: Object.keys(localStorage), session: Object.keys(sessionStorage) })',
    );
    expect(storage).toEqual({ local: [], session: ['sail.refreshToken'] });
    // A reload signs in again from that refresh token.
    await page.reload();
    await page.getByRole('heading', { name: 'Concerts' }).waitFor();
    await screenshot(page, '02-concerts');

    await concertCard(page, 'Harbour Lights')
      .getByRole('link', { name: 'Get tickets for Harbour Lights' })
      .click();
    await page.getByRole('heading', { name: /It's your turn: \d:\d\d left/ }).waitFor();
    expect(page.url()).toContain(`#/concert/${concert.id}`);

    // Pick two seats: one by mouse, one by keyboard.
    await page.getByRole('button', { name: 'Seat B4, 40,000 points, available' }).click();
    await page.getByRole('button', { name: 'Seat B5, 40,000 points, available' }).focus();
    await page.keyboard.press('Enter');
    await page.getByText('2 seats · 80,000 points').waitFor();
    expect(await page.getByRole('button', { name: 'Seat A4, 40,000 points, sold' }).isDisabled()).toBe(true);
    expect(
      await page.getByRole('button', { name: 'Seat B7, 40,000 points, held by someone' }).isDisabled(),
    ).toBe(true);
    await screenshot(page, '03-seat-map');
    await page.locator('main').screenshot({ path: `${SCREENSHOT_DIR}/readme-seat-map.png` });
    await page.getByRole('button', { name: 'Hold 2 seats' }).click();

    await page.getByRole('heading', { name: /Your seats are held for \d:\d\d/ }).waitFor();
    await page.getByText('You need 80,000 points more to pay').waitFor();
    await page.getByLabel('Top up points').fill('100000');
    await page.getByRole('button', { name: 'Top up' }).click();
    await page.getByTestId('balance').getByText('100,000 points').waitFor();
    await screenshot(page, '04-checkout');
    await page.getByRole('button', { name: 'Pay 80,000 points' }).click();

    await page.getByRole('heading', { name: "You're going! Your tickets are confirmed" }).waitFor();
    await page.getByText('20,000 points').waitFor();
    await screenshot(page, '05-receipt');

    await page.getByRole('link', { name: 'See my tickets' }).click();
    await page.getByRole('heading', { name: 'My tickets' }).waitFor();
    const tickets = page.locator('li.ticket.confirmed');
    await tickets.first().waitFor();
    expect(await tickets.allInnerTexts()).toEqual([
      expect.stringMatching(/Harbour Lights[\s\S]*Paid[\s\S]*Seat B\d · 40,000 points/),
      expect.stringMatching(/Harbour Lights[\s\S]*Paid[\s\S]*Seat B\d · 40,000 points/),
    ]);
    await page.getByRole('heading', { name: 'Payments' }).waitFor();
    await page.getByText(/80,000 points paid/).waitFor();
    await screenshot(page, '06-tickets');
    const { rows } = await run.t.db.query(
      `SELECT s.number FROM seats s JOIN reservations r ON r.seat_id = s.id AND r.status = 'CONFIRMED'
       WHERE s.concert_id = $1 ORDER BY s.number`,
      [concert.id],
    );
    expect(rows.map((row) => row.number)).toEqual(['B4', 'B5']);
  });

  it('with capacity 1, the second fan waits and is admitted in their browser when the first pays', async () => {
    // A 20-second window makes the API estimate a short wait, so it asks for polls every few seconds.
    await createConcert(run.t, {
      name: 'Single File',
      seats: 12,
      price: 10_000,
      capacity: 1,
      windowSeconds: 20,
    });
    const [first, second] = [await run.newPage(), await run.newPage()];
    await signUp(first, uniqueEmail('first'));
    await signUp(second, uniqueEmail('second'));

    await concertCard(first, 'Single File').getByRole('link').click();
    await first.getByRole('heading', { name: /It's your turn/ }).waitFor();

    await concertCard(second, 'Single File').getByRole('link').click();
    await second.getByRole('heading', { name: "You're in line" }).waitFor();
    await second.getByText('1 person is ahead of you.').waitFor();
    expect(await second.getByTestId('queue-position').innerText()).toBe('2');
    const progress = await second
      .getByLabel('Progress through the line')
      .evaluate((bar) => (bar as unknown as { value: number }).value);
    expect(progress).toBeGreaterThan(0);
    expect(progress).toBeLessThan(1);
    await screenshot(second, '07-waiting-room');
    await second.locator('main').screenshot({ path: `${SCREENSHOT_DIR}/readme-waiting-room.png` });

    await first.getByRole('button', { name: /^Seat A5,/ }).click();
    await first.getByRole('button', { name: 'Hold 1 seat' }).click();
    await first.getByLabel('Top up points').fill('10000');
    await first.getByRole('button', { name: 'Top up' }).click();
    await first.getByTestId('balance').getByText('10,000 points').waitFor();
    await first.getByRole('button', { name: 'Pay 10,000 points' }).click();
    await first.getByRole('heading', { name: /You're going!/ }).waitFor();

    // The second fan's page polls as retryAfterMs says and turns into the seat map by itself.
    await second.getByRole('heading', { name: /It's your turn: \d:\d\d left/ }).waitFor({ timeout: 30_000 });
    await second.getByRole('button', { name: 'Seat A5, 10,000 points, sold' }).waitFor();
    expect(await second.getByRole('button', { name: 'Seat A5, 10,000 points, sold' }).isDisabled()).toBe(
      true,
    );
  });

  it('the operator creates and pauses a concert, and a fan sees the pause', async () => {
    const operatorEmail = uniqueEmail('operator');
    await run.t.http().post('/auth/register').send({ email: operatorEmail, password: PASSWORD }).expect(201);
    await run.t.db.query(`UPDATE users SET role = 'ADMIN' WHERE email = $1`, [operatorEmail]);

    const operator = await run.newPage();
    await operator.goto('/admin');
    await operator.getByLabel('Email').fill(operatorEmail);
    await operator.getByLabel('Password').fill(PASSWORD);
    await operator.getByRole('button', { name: 'Sign in' }).click();
    await operator.getByRole('heading', { name: 'New concert' }).waitFor();

    await operator.getByLabel('Name', { exact: true }).fill('Midnight Orchestra');
    await operator.getByLabel('Venue').fill('Riverside Arena');
    await operator.getByLabel('Starts at').fill('2031-05-20T20:00');
    await operator.getByLabel('Active windows at once').first().fill('3');
    await operator.getByLabel('Section 1 rows').fill('3');
    await operator.getByLabel('Section 1 seats per row').fill('8');
    await operator.getByLabel('Section 2 price').fill('45000');
    await operator.getByRole('button', { name: 'Create concert' }).click();
    await operator.getByText('Created Midnight Orchestra with 44 seats. It is on sale now.').waitFor();

    const panel = operator.locator('li.panel', { hasText: 'Midnight Orchestra' });
    await panel.getByRole('definition').first().waitFor();
    expect(await panel.getByLabel('Live figures for Midnight Orchestra').innerText()).toMatch(
      /Waiting\s+0[\s\S]*Active\s+0 \/ 3[\s\S]*Available\s+44[\s\S]*Sold\s+0[\s\S]*Revenue\s+0 points/,
    );

    const fan = await run.newPage();
    await signUp(fan, uniqueEmail('fan'));
    await concertCard(fan, 'Midnight Orchestra').getByText('On sale').waitFor();

    await panel.getByRole('button', { name: 'Pause sales' }).click();
    await panel.getByTestId('sales-state').getByText('Sales paused').waitFor();
    await screenshot(operator, '08-console');

    await fan.getByRole('button', { name: 'Refresh' }).click();
    const card = concertCard(fan, 'Midnight Orchestra');
    await card.getByText('Sales paused').waitFor();
    await card.getByText('Tickets are not on sale at the moment').waitFor();
    expect(await card.getByRole('link').count()).toBe(0);
    await screenshot(fan, '09-concerts-paused');

    await panel.getByRole('button', { name: 'Resume sales' }).click();
    await panel.getByTestId('sales-state').getByText('On sale').waitFor();
  });

  it('puts a fan who arrives before the opening in the pre-queue, with a countdown and their entry id', async () => {
    const admin = await createUser(run.t, { role: 'ADMIN' });
    const salesOpenAt = new Date(Date.now() + 3_600_000).toISOString();
    await run.t
      .http()
      .post('/admin/concerts')
      .set(admin.headers)
      .send({
        name: 'Dawn Chorus',
        venue: 'Harbourfront Hall',
        startsAt: new Date(Date.now() + 40 * 86_400_000).toISOString(),
        salesOpenAt,
        preQueueOpensSeconds: 7200,
        seats: [{ number: 'A1', price: 10_000 }],
      })
      .expect(201);
    const fan = await run.newPage();
    await signUp(fan, uniqueEmail('fan'));
    const card = concertCard(fan, 'Dawn Chorus');
    await card.getByText('Upcoming').waitFor();
    await card.getByText(/Sales open/).waitFor();
    await card.getByRole('link', { name: 'Get tickets for Dawn Chorus' }).click();

    await fan.getByRole('heading', { name: "You're in the pre-queue" }).waitFor();
    expect(await fan.getByTestId('pre-queue-status').innerText()).toMatch(/Sales open in \d+:\d\d/);
    expect(await fan.getByTestId('entry-id').innerText()).toMatch(/^[0-9a-f-]{36}$/);
    await screenshot(fan, '10-pre-queue');
  });

  it('tells a fan in plain words when a seat was taken meanwhile and when points are short', async () => {
    const concert = await createConcert(run.t, { name: 'Crowded Night', seats: 10, price: 30_000 });
    const page = await run.newPage();
    await signUp(page, uniqueEmail('unlucky'));
    await concertCard(page, 'Crowded Night').getByRole('link').click();
    await page.getByRole('heading', { name: /It's your turn/ }).waitFor();
    await page.getByRole('button', { name: 'Seat A3, 30,000 points, available' }).click();
    // Another fan holds A3 between the map's last refresh and this fan's click.
    await run.t.db.query(
      `UPDATE seats SET status = 'HELD', held_until = now() + interval '5 minutes' WHERE concert_id = $1 AND number = 'A3'`,
      [concert.id],
    );
    await page.getByRole('button', { name: 'Hold 1 seat' }).click();
    await page.getByRole('alert').getByText('Someone else just took one of those seats').waitFor();
    await page.getByRole('button', { name: 'Seat A3, 30,000 points, held by someone' }).waitFor();
    await screenshot(page, '13-seat-taken');

    await page.getByRole('button', { name: 'Seat A4, 30,000 points, available' }).click();
    await page.getByRole('button', { name: 'Hold 1 seat' }).click();
    await page.getByRole('button', { name: 'Pay 30,000 points' }).click();
    await page.getByRole('alert').getByText('You need 30,000 points more. Top up, then pay again.').waitFor();

    // The browser reports each refused request on the console; these two were the point of the test.
    const expected = /Failed to load resource: the server responded with a status of (409|402)/;
    expect(run.consoleErrors.filter((line) => !expected.test(line))).toEqual([]);
    expect(run.consoleErrors.length).toBe(2);
    run.consoleErrors.length = 0;
  });

  it('tells a fan whose window lapsed that their turn ended, and lets them join again', async () => {
    const concert = await createConcert(run.t, { name: 'Blink Show', seats: 5, windowSeconds: 5 });
    const email = uniqueEmail('slow');
    const page = await run.newPage();
    await signUp(page, email);
    await concertCard(page, 'Blink Show').getByRole('link').click();
    await page.getByRole('heading', { name: /It's your turn: 0:0\d left/ }).waitFor();
    await page.getByRole('heading', { name: "Your turn ended: you didn't come back in time" }).waitFor();
    await screenshot(page, '14-turn-ended');
    await page.getByRole('button', { name: 'Join the queue again' }).click();
    await page.getByRole('heading', { name: /It's your turn: 0:0[1-5] left/ }).waitFor();
    // A new place at the back, not the lapsed one.
    const { rows } = await run.t.db.query(
      `SELECT e.ticket FROM queue_entries e JOIN users u ON u.id = e.user_id
       WHERE u.email = $1 AND e.concert_id = $2 ORDER BY e.ticket`,
      [email, concert.id],
    );
    expect(rows.map((row) => Number(row.ticket))).toEqual([1, 2]);
  });

  it('refreshes the access token before it expires, so a waiting fan never meets a 401', async () => {
    const email = uniqueEmail('patient');
    const page = await run.newPage();
    // Signing up by keyboard alone: type, Tab, type, Tab past "Sign in" to "Create account", Enter.
    await page.goto('/');
    await page.getByLabel('Email').focus();
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Concerts' }).waitFor();
    const sessions = async () =>
      (
        await run.t.db.query(
          `SELECT count(*)::int AS issued FROM refresh_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = $1`,
          [email],
        )
      ).rows[0].issued as number;
    expect(await sessions()).toBe(1);
    // Three quarters of 12 s, twice over.
    await page.waitForTimeout(20_000);
    expect(await sessions()).toBeGreaterThanOrEqual(3);
    await page.getByRole('link', { name: 'My tickets' }).click();
    await page.getByText('Points balance: 0 points').waitFor();
  });

  it('works on a phone-sized screen, without sideways scrolling', async () => {
    await createConcertThroughApi('Pocket Gig', [
      { section: 'Stalls', rows: ['A', 'B', 'C'], seatsPerRow: 10, price: 25_000 },
    ]);
    const page = await run.newPage({ phone: true });
    await signUp(page, uniqueEmail('phone'));
    const fitsWidth = () =>
      page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth');
    // Ten seats a row, each section without a scrollbar of its own.
    const sectionsFit = () =>
      page.evaluate(
        "[...document.querySelectorAll('.section')].every((s) => s.scrollWidth <= s.clientWidth)",
      );
    expect(await fitsWidth()).toBe(true);
    await screenshot(page, '10-phone-concerts');

    await concertCard(page, 'Pocket Gig').getByRole('link').tap();
    await page.getByRole('heading', { name: /It's your turn/ }).waitFor();
    await page.getByRole('button', { name: /^Seat A3,/ }).tap();
    await page.getByText('1 seat · 25,000 points').waitFor();
    expect(await fitsWidth()).toBe(true);
    expect(await sectionsFit()).toBe(true);
    await screenshot(page, '11-phone-seat-map');
    await page.getByRole('button', { name: 'Hold 1 seat' }).tap();
    await page.getByRole('heading', { name: /Your seats are held/ }).waitFor();
    expect(await fitsWidth()).toBe(true);
    await screenshot(page, '12-phone-checkout');
  });
});
