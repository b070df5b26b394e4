/**
 * Injected faults: queued per endpoint in order; each arriving request to that endpoint takes the
 * oldest fault once, and a fault is removed after `times` uses.
 */

/** The endpoints a fault can target (`generate-claim` includes its 401 probe). */
export const FAULT_ENDPOINTS = ['relays', 'challenge', 'privacy-passes', 'generate-claim'] as const;
export type FaultEndpoint = (typeof FAULT_ENDPOINTS)[number];

/** What a fault does to the request that takes it. */
export type Fault =
  | { mode: 'status'; status: number }
  | { mode: 'drop-after-commit' }
  | { mode: 'delay'; delayMs: number };

export class FaultQueues {
  private readonly queues = new Map<FaultEndpoint, { fault: Fault; usesLeft: number }[]>();

  add(endpoint: FaultEndpoint, fault: Fault, times: number): void {
    const queue = this.queues.get(endpoint) ?? [];
    queue.push({ fault, usesLeft: times });
    this.queues.set(endpoint, queue);
  }

  /** The fault for a request arriving now at `endpoint`, if one is pending. */
  take(endpoint: FaultEndpoint): Fault | undefined {
    const queue = this.queues.get(endpoint);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    head.usesLeft--;
    if (head.usesLeft === 0) queue.shift();
    return head.fault;
  }

  clear(): void {
    this.queues.clear();
  }
}
