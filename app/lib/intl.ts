/**
 * Shared Intl formatters. Building an Intl.DateTimeFormat or Intl.NumberFormat (which `toLocaleString` with options
 * also does on every call) costs tens of microseconds, and a page formats hundreds of dates and amounts: the page
 * benchmark (tests/bench/pages.bench.ts) found these constructors among the server's top self time. Formatters are
 * immutable, so one per locale and options is reused. The cache is bounded: its keys come from code plus the
 * merchants' time zones and currencies, a small set, and the cap only guards against an unexpected key space.
 */

const MAX_ENTRIES = 500;
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const numberFormats = new Map<string, Intl.NumberFormat>();

function cached<F>(cache: Map<string, F>, key: string, make: () => F): F {
  let f = cache.get(key);
  if (!f) {
    f = make();
    // Oldest first out (Map keeps insertion order).
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(key, f);
  }
  return f;
}

export function dateTimeFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return cached(dateFormats, `${locale}|${JSON.stringify(options)}`, () => new Intl.DateTimeFormat(locale, options));
}

export function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  return cached(numberFormats, `${locale}|${JSON.stringify(options)}`, () => new Intl.NumberFormat(locale, options));
}
