/** How a health gate ended, for a container (run/gate.ts) or a Swarm service's tasks (swarm/gate.ts). */
export type GateOutcome = { ok: true; detail: string } | { ok: false; message: string };
