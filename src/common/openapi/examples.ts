/**
 * Example values for the OpenAPI document, shared so that one id means one thing across
 * every request and response. Names, amounts and times follow the original design.
 */
export const EXAMPLE = {
  userId: '3f1c9a52-7d4e-4b8a-9c61-2e5f0d8b7a14',
  email: 'user@example.com',
  accessToken: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzZjFjOWE1MiJ9.c2lnbmF0dXJl',
  refreshToken: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJqdGkiOiI5ZDQ0In0.c2lnbmF0dXJl',
  concertId: 'a8d2c4e6-1b3f-4a5c-8e7d-9f0a1b2c3d4e',
  entryId: '5b9e2f14-6c3a-4d7e-a1b8-0f2c4d6e8a13',
  concertName: 'Summer Rock Fest',
  venue: 'Olympic Hall',
  date: '2024-07-15',
  startsAt: '2024-07-15T10:00:00.000Z',
  seatId: '5b7e9d1f-3a2c-4e6b-8d0f-1a3c5e7b9d2f',
  otherSeatId: '6c8f0e2a-4b3d-4f7c-9e1a-2b4d6f8a0c3e',
  seatNumber: 'A1',
  seatPrice: 50_000,
  reservationId: 'c0e2a4b6-8d1f-4c3e-9a5b-7d9f1b3d5e6a',
  otherReservationId: 'd1f3b5c7-9e2a-4d4f-8b6c-8e0a2c4e6f7b',
  reservedAt: '2024-07-10T15:00:00.000Z',
  expiresAt: '2024-07-15T19:05:00.000Z',
  paymentId: 'e4a6c8e0-2b4d-4f6a-8c1e-3f5b7d9a1c2e',
  ledgerEntryId: 'f5b7d9f1-3c5e-4a7b-9d2f-4a6c8e0b2d3f',
  createdAt: '2024-07-10T15:03:00.000Z',
} as const;
