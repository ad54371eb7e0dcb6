let client: Promise<typeof import("./undici-request.js")> | undefined;

/**
 * undici's `request`, loaded on first use and shared: a no-op deploy never sends a request, and loading the
 * library costs about 50 ms of start-up. Calling it early (before a container starts) overlaps the load with
 * the start.
 */
export function httpClient(): Promise<typeof import("./undici-request.js")> {
  client ??= import("./undici-request.js");
  return client;
}
