import { createSecretKey } from 'node:crypto';
import type { AppConfig } from '../config/app-config.js';
import { QueueTickets } from './queue-ticket.js';

const tickets = (secret = 'a'.repeat(32)) =>
  new QueueTickets({ jwt: { accessKey: createSecretKey(Buffer.from(secret)) } } as unknown as AppConfig);
const concert = '6f1c2d3e-0000-4000-8000-000000000001';
const user = '6f1c2d3e-0000-4000-8000-000000000002';

describe('QueueTickets', () => {
  it('verifies its own ticket for the same user and concert', () => {
    const signer = tickets();
    expect(signer.verify(signer.sign(concert, user, 123_456), concert, user)).toBe(123_456);
  });

  it('refuses it for another user, another concert, another number or another key', () => {
    const signer = tickets();
    const value = signer.sign(concert, user, 42);
    expect(signer.verify(value, concert, concert)).toBeNull();
    expect(signer.verify(value, user, user)).toBeNull();
    expect(signer.verify(value.replace(/^42\./, '41.'), concert, user)).toBeNull();
    expect(tickets('b'.repeat(32)).verify(value, concert, user)).toBeNull();
  });

  it('refuses a tampered signature for a ticket it signed (and remembers) itself', () => {
    const signer = tickets();
    const value = signer.sign(concert, user, 7);
    const tampered = value.slice(0, -1) + (value.endsWith('A') ? 'B' : 'A');
    expect(signer.verify(tampered, concert, user)).toBeNull();
    expect(signer.verify(value, concert, user)).toBe(7);
  });

  it('gives another replica with the same key the same ticket, and accepts it there', () => {
    const value = tickets().sign(concert, user, 99);
    expect(tickets().sign(concert, user, 99)).toBe(value);
    expect(tickets().verify(value, concert, user)).toBe(99);
  });

  it.each([
    undefined,
    '',
    'x',
    '0.AAAAAAAAAAAAAAAAAAAAAA',
    '12',
    '12.short',
    '1'.repeat(17) + '.AAAAAAAAAAAAAAAAAAAAAA',
  ])('refuses %p without throwing', (value) => {
    expect(tickets().verify(value, concert, user)).toBeNull();
  });
});
