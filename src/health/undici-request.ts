// An ES module re-export, loaded with import() by http-client.ts: the bundle (scripts/build.mjs) gives a
// dynamically imported CommonJS package like undici only a default export, but keeps named exports of ours.
export { request } from "undici";
