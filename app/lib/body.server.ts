/**
 * A request body read whole, but never past `maxBytes`: checked against Content-Length first, then counted while
 * reading, so a chunked body cannot grow past the limit either. `tooLarge` makes what is thrown (each edge answers in
 * its own shape).
 */
export async function readBoundedBody(request: Request, maxBytes: number, tooLarge: () => unknown): Promise<Buffer<ArrayBuffer>> {
  if (Number(request.headers.get("Content-Length") ?? "0") > maxBytes) throw tooLarge();
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
