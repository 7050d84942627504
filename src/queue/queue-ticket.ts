import { Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';

/** Bytes of HMAC-SHA256 kept in a queue ticket: 128 bits, as hard to forge as a random UUID is to guess. */
const SIGNATURE_BYTES = 16;
/** About 200 bytes each. */
const MAX_REMEMBERED_SIGNATURES = 200_000;

/**
 * The `queueTicket` that entry and polls return and clients send back in a `Queue-Ticket`
 * header: the caller's ticket number signed for this user and concert ("<ticket>.<signature>",
 * HMAC-SHA256 with the access-token key, domain-separated). With it, any replica answers a
 * waiting user's poll from its snapshot without reading their entry, even the first time it
 * sees them. It proves only which ticket the user was given, never that it still waits: a
 * departed or admitted ticket sends the poll to the entry itself, as a remembered ticket does.
 */
@Injectable()
export class QueueTickets {
  /**
   * Tickets signed lately, by concert, user and number: every poll answer carries the
   * caller's ticket, and an HMAC costs ten times the lookup. The oldest is dropped beyond this.
   */
  private readonly signed = new Map<string, string>();

  constructor(private readonly config: AppConfig) {}

  sign(concertId: string, userId: string, ticket: number): string {
    const key = `${concertId}\n${userId}\n${ticket}`;
    let value = this.signed.get(key);
    if (value === undefined) {
      value = `${ticket}.${this.signature(concertId, userId, ticket).toString('base64url')}`;
      if (this.signed.size >= MAX_REMEMBERED_SIGNATURES) this.signed.delete(this.signed.keys().next().value!);
      this.signed.set(key, value);
    }
    return value;
  }

  /** The ticket number, or null when the value is not a ticket signed for this user and concert. */
  verify(value: string | undefined, concertId: string, userId: string): number | null {
    const match = value === undefined ? null : /^([1-9]\d{0,15})\.([\w-]{22})$/.exec(value);
    if (!match) return null;
    const ticket = Number(match[1]);
    // One this replica signed itself: the same bytes, so the same answer as checking again.
    if (this.signed.get(`${concertId}\n${userId}\n${ticket}`) === value) return ticket;
    const given = Buffer.from(match[2]!, 'base64url');
    const expected = this.signature(concertId, userId, ticket);
    return given.length === expected.length && timingSafeEqual(given, expected) ? ticket : null;
  }

  private signature(concertId: string, userId: string, ticket: number): Buffer {
    return createHmac('sha256', this.config.jwt.accessKey)
      .update(`sail-queue-ticket\n${concertId}\n${userId}\n${ticket}`)
      .digest()
      .subarray(0, SIGNATURE_BYTES);
  }
}
