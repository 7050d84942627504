import { operationIdFor } from './operation-ids.js';

describe('operationIdFor', () => {
  it('uses the name given for a known route', () => {
    expect(operationIdFor('QueueController', 'enter')).toBe('enterQueue');
    expect(operationIdFor('PaymentsController', 'pay')).toBe('pay');
  });

  it('names an unlisted route after its method and controller, without "Controller"', () => {
    expect(operationIdFor('TicketsController', 'transfer')).toBe('transferTickets');
  });
});
