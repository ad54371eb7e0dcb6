import type { Dispatcher } from "undici";
import type { Clock } from "../clock.js";
import type { SwarmEngine, SwarmNode, SwarmTask } from "../docker/swarm-engine.js";
import { httpCheck } from "../health/http-check.js";
import type { GateOutcome } from "../health/outcome.js";
import { poll } from "../health/poll.js";
import type { HealthSpec, ServiceSpec } from "../manifest/types.js";
import { judgeRollout } from "./rollout.js";

type HttpHealth = Extract<HealthSpec, { kind: "http" }>;

/**
 * Pure: the URLs the HTTP gate probes for a converged rollout. A host-mode port answers only on the node that
 * runs the task, on the port it got there: one URL per task, at its node's address. An ingress port (the routing
 * mesh) and an explicit `health.url` answer the same everywhere: one URL, as seen from the manager.
 */
export function gateUrls(
  service: ServiceSpec,
  health: HttpHealth,
  tasks: readonly SwarmTask[],
  nodes: readonly SwarmNode[],
): { urls: string[]; problem?: string } {
  if (health.url) return { urls: [health.url] };
  const mapping = health.port
    ? service.ports.find((port) => port.hostPort === health.port)
    : service.ports.find((port) => port.protocol === "tcp");
  const path = health.path ?? "/";
  if (!mapping) return { urls: [`http://127.0.0.1:${health.port}${path}`] };
  if (mapping.mode !== "host") return { urls: [`http://127.0.0.1:${mapping.hostPort}${path}`] };
  const urls: string[] = [];
  for (const task of tasks) {
    const node = nodes.find((candidate) => candidate.id === task.nodeId);
    const published = task.ports.find(
      (port) => port.target === mapping.containerPort && port.protocol === mapping.protocol,
    )?.published;
    if (!node?.address || !published) {
      return {
        urls,
        problem: `task ${task.id.slice(0, 12)} on node ${task.nodeId.slice(0, 12)} publishes no port ${mapping.containerPort}`,
      };
    }
    const host = node.address.includes(":") ? `[${node.address}]` : node.address;
    urls.push(`http://${host}:${published}${path}`);
  }
  return { urls: [...new Set(urls)] };
}

export interface SwarmGateContext {
  swarm: SwarmEngine;
  serviceId: string;
  service: ServiceSpec;
  image: string;
  tasks: SwarmTask[];
  httpDispatcher?: Dispatcher;
  clock: Clock;
  signal?: AbortSignal;
  log: (line: string) => void;
}

/**
 * The gate after Swarm converged: every replica's health URL answers (HTTP), or every replica still runs after
 * the `running` window. A Docker HEALTHCHECK needs nothing more: Swarm counts a task running only once healthy.
 */
export async function swarmGate(ctx: SwarmGateContext): Promise<GateOutcome> {
  const { health } = ctx.service;
  if (health.kind === "http") {
    const { urls, problem } = gateUrls(ctx.service, health, ctx.tasks, await ctx.swarm.nodes());
    if (problem) return { ok: false, message: problem };
    const results = await Promise.all(
      urls.map(async (url) => {
        const result = await poll(httpCheck(url, health.expectStatus, ctx.httpDispatcher), {
          intervalMs: health.intervalMs,
          timeoutMs: health.timeoutMs,
          startPeriodMs: health.startPeriodMs,
          clock: ctx.clock,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        });
        ctx.log(`${url}: ${result.detail}`);
        return { url, result };
      }),
    );
    const failed = results.find(({ result }) => !result.ok);
    if (failed) {
      const seconds = (failed.result.elapsedMs / 1000).toFixed(1);
      return {
        ok: false,
        message: `GET ${failed.url} not healthy after ${seconds}s; last: ${failed.result.detail}`,
      };
    }
    return { ok: true, detail: `${urls.length} health URL(s) answered: ${urls.join(", ")}` };
  }
  if (health.kind === "running") {
    await ctx.clock.sleep(health.durationMs, ctx.signal);
    const service = await ctx.swarm.inspectService(ctx.serviceId);
    if (!service) return { ok: false, message: "the service is gone" };
    const now = judgeRollout(service, await ctx.swarm.tasks(ctx.serviceId), ctx.image);
    const same =
      now.kind === "converged" && ctx.tasks.every((task) => now.tasks.some((t) => t.id === task.id));
    return same
      ? { ok: true, detail: `every replica still runs after ${health.durationMs} ms` }
      : {
          ok: false,
          message: `a replica stopped within ${health.durationMs} ms${now.kind === "waiting" ? `: ${now.detail}` : ""}`,
        };
  }
  return {
    ok: true,
    detail:
      health.kind === "docker" ? "every replica is healthy (HEALTHCHECK)" : "every replica runs (no gate)",
  };
}
