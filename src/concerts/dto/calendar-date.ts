/** YYYY-MM-DD in UTC: the API carries no venue time zone, and startsAt gives the exact instant. */
export function calendarDate(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}
