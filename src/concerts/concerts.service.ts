import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { TransactionRunner } from '../prisma/transaction-runner.js';
import { ConcertDateInPastError, ConcertNotFoundError, NoConcertChangesError } from './concerts.errors.js';
import {
  ConcertsRepository,
  type ConcertRow,
  type ConcertSettingsChange,
  type ConcertStatsRow,
  type ConcertWithSeatCount,
} from './concerts.repository.js';
import { QUEUE_STATE_READER, type QueueState, type QueueStateReader } from './queue-state-reader.js';
import { planSeats, type SeatMapInput } from './seat-plan.js';

export interface NewConcertRequest extends SeatMapInput {
  name: string;
  venue: string;
  startsAt: string;
  queueCapacity?: number;
  queueWindowSeconds?: number;
}

export interface ConcertListing extends ConcertRow {
  /** The caller's live queue entry for this concert, if any. */
  queue: QueueState | undefined;
}

@Injectable()
export class ConcertsService {
  constructor(
    private readonly tx: TransactionRunner,
    /** Single-statement reads need no transaction; the client stands in for `tx`. */
    private readonly prisma: PrismaService,
    private readonly repo: ConcertsRepository,
    private readonly config: AppConfig,
    @Inject(QUEUE_STATE_READER) private readonly queueStates: QueueStateReader,
  ) {}

  /** The concert, its queue row and every seat commit together or not at all. */
  async createConcert(request: NewConcertRequest): Promise<ConcertWithSeatCount> {
    const seats = planSeats(request);
    const startsAt = new Date(request.startsAt);
    return this.tx.run(async (tx) => {
      const concert = await this.repo.insertUpcomingConcert(tx, {
        name: request.name,
        venue: request.venue,
        startsAt,
        queueCapacity: request.queueCapacity ?? this.config.queue.activeCapacity,
        queueWindowSeconds: request.queueWindowSeconds ?? this.config.queue.windowSeconds,
      });
      if (!concert) throw new ConcertDateInPastError(startsAt);
      await this.repo.createQueue(tx, concert.id);
      const seatCount = await this.repo.insertSeats(tx, concert.id, seats);
      return { ...concert, seatCount };
    });
  }

  async getConcertStats(concertId: string): Promise<ConcertStatsRow> {
    const stats = await this.repo.findConcertStats(this.prisma, concertId);
    if (!stats) throw new ConcertNotFoundError(concertId);
    return stats;
  }

  /** Queue admission reads these settings, so a PAUSED concert stops admitting from its next admission on. */
  async changeConcertSettings(
    concertId: string,
    change: ConcertSettingsChange,
  ): Promise<ConcertWithSeatCount> {
    const { salesState, queueCapacity, queueWindowSeconds } = change;
    if (salesState == null && queueCapacity == null && queueWindowSeconds == null)
      throw new NoConcertChangesError();
    const concert = await this.repo.changeConcertSettings(this.prisma, concertId, {
      salesState,
      queueCapacity,
      queueWindowSeconds,
    });
    if (!concert) throw new ConcertNotFoundError(concertId);
    return concert;
  }

  listAllConcerts(): Promise<ConcertWithSeatCount[]> {
    return this.repo.listAllWithSeatCount(this.prisma);
  }

  async listConcertsOnSale(userId: string): Promise<ConcertListing[]> {
    const concerts = await this.repo.listUpcomingOnSaleOrPaused(this.prisma);
    if (!concerts.length) return [];
    const states = await this.queueStates.forUser(
      userId,
      concerts.map((concert) => concert.id),
    );
    return concerts.map((concert) => ({ ...concert, queue: states.get(concert.id) }));
  }

  listAvailableDates(): Promise<ConcertRow[]> {
    return this.repo.listUpcomingWithAvailableSeats(this.prisma);
  }
}
