/**
 * `@localex/security/api-keys`: the HTTP app's API keys — the key file (hashes, scopes, expiry,
 * rotation overlap), its conditional writes and live reload, `LOCALEX_HTTP_API_KEYS`, and the
 * constant-time check of a presented key. No AWS client is loaded by this entry.
 */

export * from "./apiKeys/config.js"
export * from "./apiKeys/errors.js"
export * from "./apiKeys/file.js"
export * from "./apiKeys/model.js"
export * from "./apiKeys/ring.js"
export * from "./apiKeys/watch.js"
