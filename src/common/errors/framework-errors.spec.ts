import { Duplex } from 'node:stream';
import { answerClientError } from './framework-errors.js';

/** A socket that keeps what is written to it. */
function fakeSocket(): { socket: Duplex; written: () => string } {
  let written = '';
  const socket = new Duplex({
    read() {},
    write(chunk, _encoding, done) {
      written += String(chunk);
      done();
    },
  });
  // destroy(error) emits it, as on the server's socket (where Node listens for it).
  socket.on('error', () => undefined);
  return { socket, written: () => written };
}

const errorWithCode = (code: string) => Object.assign(new Error(code), { code });

describe('answerClientError', () => {
  it('answers headers over the limit with 431 and our error body, then closes the socket', () => {
    const { socket, written } = fakeSocket();
    answerClientError(errorWithCode('HPE_HEADER_OVERFLOW'), socket);
    const [head, body] = written().split('\r\n\r\n');
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
    const { socket, written } = fakeSocket();
    answerClientError(errorWithCode('HPE_INVALID_METHOD'), socket);
    expect(JSON.parse(written().split('\r\n\r\n')[1]!)).toMatchObject({
      statusCode: 400,
      code: 'BAD_REQUEST',
    });
  });

  it('writes nothing to a connection the client reset', () => {
    const { socket, written } = fakeSocket();
    answerClientError(errorWithCode('ECONNRESET'), socket);
    expect(written()).toBe('');
  });
});
