/**
 * A request body read whole, but never past `maxBytes`: checked against Content-Length first, then counted while
 * reading, so a chunked body cannot grow past the limit either. `tooLarge` makes what is thrown (each edge answers in
 * its own shape).
 */
export async function readBoundedBody(request: Request, maxBytes: number, tooLarge: () => unknown): Promise<Buffer<ArrayBuffer>> {
  if (Number(request.headers.get("Content-Length") ?? "0") > maxBytes) throw tooLarge();
  const ahead = takeReadAheadBody(request);
  if (ahead) {
    if (ahead.byteLength > maxBytes) throw tooLarge();
    return ahead;
  }
  const reader = request.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

// A registered symbol, not a module-level WeakMap: the HTTP layer (loaded by tsx) and the route bundle each hold their
// own copy of this module.
const READ_AHEAD = Symbol.for("perennial.readAheadBody");
type WithReadAhead = Request & { [READ_AHEAD]?: Buffer<ArrayBuffer> };

/**
 * Hands `request` a body the HTTP layer has already read whole from the socket (the `/api/v1` dispatcher, for a body
 * whose Content-Length is within its bound): the request is built without a body stream, which costs more than the
 * read itself, and readBoundedBody returns these bytes once, with the same bound applied.
 */
export function attachReadAheadBody(request: Request, body: Buffer<ArrayBuffer>): Request {
  (request as WithReadAhead)[READ_AHEAD] = body;
  return request;
}

/** The read-ahead body, once (a second read finds none, as a consumed stream would give nothing). */
export function takeReadAheadBody(request: Request): Buffer<ArrayBuffer> | undefined {
  const r = request as WithReadAhead;
  const body = r[READ_AHEAD];
  if (body) delete r[READ_AHEAD];
  return body;
}

// The response side: a JSON answer's text, kept beside its Response (registered symbol, as above).
const BODY_TEXT = Symbol.for("perennial.responseBodyText");
type WithBodyText = Response & { [BODY_TEXT]?: string };

/**
 * Keeps `text`, the whole body `response` was made with, so the `/api/v1` dispatcher can write it without reading the
 * body stream back (a reader and its promises per answer). Remix, and anything else, still reads the stream.
 */
export function attachBodyText(response: Response, text: string): Response {
  (response as WithBodyText)[BODY_TEXT] = text;
  return response;
}

/** The text attached by attachBodyText, while the body stream is untouched (null otherwise). */
export function bodyTextOf(response: Response): string | null {
  const text = (response as WithBodyText)[BODY_TEXT];
  return text !== undefined && !response.bodyUsed ? text : null;
}
