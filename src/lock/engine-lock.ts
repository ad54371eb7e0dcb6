import type { Engine } from "../docker/engine.js";
import { LABEL } from "../labels.js";
import { describeHolder, holderIsGone, type LockHolder } from "./holder.js";

const HOLDER_LABEL = "io.deploy.lock-holder";

export function engineLockName(project: string): string {
  return `${project}-deploy-lock`;
}

/** How often a held engine lock is checked to still be ours (the local lock is refreshed as often). */
const WATCH_MS = 10_000;

export type EngineLockResult =
  | { ok: true; release: () => Promise<void>; warning?: string }
  | { ok: false; holder: Partial<LockHolder>; message: string };

/**
 * Takes the project's lock on one engine, where it protects that host from deploys started on any machine.
 * The lock is a network created by name: the engine refuses a second one with the same name (409), which
 * makes creation an atomic test-and-set. Its labels say who holds it. While held, it is checked every few
 * seconds: when it is removed or replaced (`deploy unlock --force`), `onLost` is told once.
 */
export async function acquireEngineLock(
  engine: Engine,
  project: string,
  holder: LockHolder,
  onLost: (why: string) => void = () => undefined,
): Promise<EngineLockResult> {
  const name = engineLockName(project);
  const labels = { [LABEL.project]: project, [HOLDER_LABEL]: JSON.stringify(holder) };
  let warning: string | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    // A config-only network is a record, nothing more: taking and releasing the lock costs ~5 ms instead of
    // ~100 ms each (it is on the path of every run, even a no-op). The engine refuses a second of one name.
    const id = await engine.createRecordNetwork(name, labels);
    if (id !== null) {
      const stopWatching = watchLock(engine, name, id, onLost);
      return {
        ok: true,
        release: () => {
          stopWatching();
          return engine.removeNetwork(id);
        },
        warning,
      };
    }
    const current = await readHolder(engine, name);
    if (!current) continue; // released between our create and our look: try once more
    if (!holderIsGone(current.holder)) {
      return { ok: false, holder: current.holder, message: `locked by ${describeHolder(current.holder)}` };
    }
    warning = `took over a stale lock left by ${describeHolder(current.holder)} (that process is gone)`;
    await engine.removeNetwork(current.id);
  }
  return { ok: false, holder: {}, message: "the lock kept changing hands; try again" };
}

/** Checks now and then that the lock network `id` still exists; a lost lock is told once, then not watched. */
function watchLock(engine: Engine, name: string, id: string, onLost: (why: string) => void): () => void {
  let busy = false;
  let stopped = false;
  const stop = () => {
    stopped = true;
    clearInterval(timer);
  };
  const timer = setInterval(async () => {
    if (busy || stopped) return;
    busy = true;
    const current = await readHolder(engine, name).catch(() => undefined); // unreadable: ask again later
    busy = false;
    if (stopped || current === undefined || current?.id === id) return;
    stop();
    onLost(current ? `lock now held by ${describeHolder(current.holder)}` : "lock removed");
  }, WATCH_MS);
  timer.unref();
  return stop;
}

/** The project's lock on an engine, for `deploy unlock`: its network id and holder, or null when not locked. */
export function readEngineLock(
  engine: Engine,
  project: string,
): Promise<{ id: string; holder: Partial<LockHolder> } | null> {
  return readHolder(engine, engineLockName(project));
}

/** Removes the lock network `id` (the one read, so a lock taken meanwhile by another run is left alone). */
export function removeEngineLock(engine: Engine, id: string): Promise<void> {
  return engine.removeNetwork(id);
}

async function readHolder(
  engine: Engine,
  name: string,
): Promise<{ id: string; holder: Partial<LockHolder> } | null> {
  const network = await engine.findNetwork(name);
  if (!network) return null;
  try {
    return { id: network.id, holder: JSON.parse(network.labels[HOLDER_LABEL] ?? "{}") };
  } catch {
    return { id: network.id, holder: {} };
  }
}
