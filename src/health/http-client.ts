type Undici = Pick<typeof import("undici"), "request">;

let client: Promise<Undici> | undefined;

/**
 * undici, loaded on first use and shared: a no-op deploy never sends a request, and loading the library costs
 * about 50 ms of the event loop. Calling it early (while the engine builds) keeps that off a deploy's path.
 * undici is CommonJS: imported dynamically from an ES module bundle, its exports are the `default` object.
 */
export function httpClient(): Promise<Undici> {
  client ??= import("undici").then((undici) => undici.default);
  return client;
}
