/** The client's address as the front server forwards it (audit and throttling); null when not behind it. */
export function clientIp(request: Request): string | null {
  return request.headers.get("x-perennial-client-ip") ?? null;
}
