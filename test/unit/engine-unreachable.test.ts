import { describe, expect, it } from "vitest";
import { unreachableMessage } from "../../src/hosts/local.js";

const errno = (code: string, message: string) => Object.assign(new Error(message), { code });
const SOCKET = "/var/run/docker.sock";

describe("unreachableMessage", () => {
  it.each([
    [
      "permission denied: the docker group, not a dead engine",
      errno("EACCES", `connect EACCES ${SOCKET}`),
      undefined,
      /^permission denied on \/var\/run\/docker\.sock .*add this user to the docker group \(sudo usermod -aG docker \$USER, then log in again\) or run as root$/,
    ],
    [
      "permission denied on a socket of another group: that group",
      errno("EACCES", `connect EACCES ${SOCKET}`),
      "dockerroot",
      /add this user to the dockerroot group \(sudo usermod -aG dockerroot \$USER/,
    ],
    [
      "permission denied on a socket only root may use: no group to join",
      errno("EACCES", `connect EACCES ${SOCKET}`),
      "root",
      /only root may use it: run as root/,
    ],
    [
      "no socket at all",
      errno("ENOENT", `connect ENOENT ${SOCKET}`),
      undefined,
      /^no Docker socket at .*is dockerd running\?/,
    ],
    [
      "refused: the engine is down",
      errno("ECONNREFUSED", `connect ECONNREFUSED ${SOCKET}`),
      undefined,
      /^the Docker engine at .* does not answer .*is dockerd running\?$/,
    ],
  ])("%s", (_name, error, group, expected) => {
    const message = unreachableMessage(error, SOCKET, group);
    expect(message).toMatch(expected);
    expect(message).toContain(error.message);
  });

  it("never blames dockerd for a permission problem", () => {
    expect(unreachableMessage(errno("EACCES", "connect EACCES x"), "x")).not.toMatch(/dockerd/);
  });
});
