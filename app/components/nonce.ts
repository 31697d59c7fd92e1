import { createContext, useContext } from "react";

/**
 * This response's CSP nonce, set by entry.server around the whole render. Empty in the browser: it only
 * matters for the server-rendered inline scripts, and browsers hide nonce values from the DOM anyway.
 */
const NonceContext = createContext("");

export const NonceProvider = NonceContext.Provider;

export function useNonce(): string {
  return useContext(NonceContext);
}
