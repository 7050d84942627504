import { Duplex } from 'node:stream';
import { answerClientError } from './framework-errors.js';

/** A socket that keeps what is written to it. */
function fakeSocket(): Duplex & { written: string } {
  const socket = new Duplex({
    read() {},
    write: (chunk, _encoding, done) => ((socket.written += String(chunk)), done()),
  });
  // destroy(error) emits it, as on the server's socket (where Node listens for it).
  socket.on('error', () => undefined);
  return Object.assign(socket, { written: '' });
}

const errorWithCode = (code: string) => Object.assign(new Error(code), { code });

describe('answerClientError', () => {
  it('answers headers over the limit with 431 and our error body, then closes the socket', () => {
    const socket = fakeSocket();
    answerClientError(errorWithCode('HPE_HEADER_OVERFLOW'), socket);
    const [head, body] = socket.written.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(head).toContain('Connection: close');
    expect(JSON.parse(body!)).toEqual({
      statusCode: 431,
      error: 'Request Header Fields Too Large',
      code: 'HEADERS_TOO_LARGE',
      message: 'The request headers are too large',
    });
    expect(socket.destroyed).toBe(true);
  });

  it('answers anything else the HTTP parser refuses with 400 BAD_REQUEST', () => {
    const socket = fakeSocket();
    answerClientError(errorWithCode('HPE_INVALID_METHOD'), socket);
    expect(JSON.parse(socket.written.split('\r\n\r\n')[1]!)).toMatchObject({
      statusCode: 400,
      code: 'BAD_REQUEST',
    });
  });

  it('writes nothing to a connection the client reset', () => {
    const socket = fakeSocket();
    answerClientError(errorWithCode('ECONNRESET'), socket);
    expect(socket.written).toBe('');
  });
});
