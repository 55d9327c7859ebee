import { Injectable } from '@nestjs/common';

export type HealthStatus = 'ok' | 'degraded' | 'down';

export interface HealthCheckResult {
  status: HealthStatus;
  /** Anything useful to an operator: lag, position, error message. */
  details?: Record<string, unknown>;
}

/** Resolves to a result, or to nothing (= ok). A throw counts as down, or degraded for non-critical checks. */
export type HealthCheck = () => Promise<HealthCheckResult | void> | HealthCheckResult | void;

export interface HealthCheckOptions {
  /** A failing critical check makes the service `down` (503); a non-critical one only `degraded`. Default true. */
  critical?: boolean;
  /** Default 2 s; a check that takes longer fails. */
  timeoutMs?: number;
}

export interface HealthReport {
  status: HealthStatus;
  checks: Record<string, HealthCheckResult & { critical: boolean }>;
}

interface Registered {
  check: HealthCheck;
  critical: boolean;
  timeoutMs: number;
}

const RANK: Record<HealthStatus, number> = { ok: 0, degraded: 1, down: 2 };

/** Named checks, run concurrently; callers during a run share it, so /health polled hard costs one run at a time. */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, Registered>();
  private inFlight: Promise<HealthReport> | null = null;

  register(name: string, check: HealthCheck, options: HealthCheckOptions = {}): void {
    this.checks.set(name, {
      check,
      critical: options.critical ?? true,
      timeoutMs: options.timeoutMs ?? 2000,
    });
    this.inFlight = null; // a run under way no longer counts: the next one sees the new set
  }

  unregister(name: string): void {
    this.checks.delete(name);
    this.inFlight = null;
  }

  run(): Promise<HealthReport> {
    if (!this.inFlight) {
      const run = this.runChecks();
      this.inFlight = run;
      void run.finally(() => {
        if (this.inFlight === run) this.inFlight = null;
      });
    }
    return this.inFlight;
  }

  private async runChecks(): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, reg]) => [name, await runOne(reg)] as const),
    );
    let status: HealthStatus = 'ok';
    const checks: HealthReport['checks'] = {};
    for (const [name, result] of entries) {
      checks[name] = result;
      // A non-critical check can at worst degrade the service.
      const effective: HealthStatus =
        !result.critical && result.status === 'down' ? 'degraded' : result.status;
      if (RANK[effective] > RANK[status]) status = effective;
    }
    return { status, checks };
  }
}

async function runOne(reg: Registered): Promise<HealthCheckResult & { critical: boolean }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${reg.timeoutMs} ms`)), reg.timeoutMs);
      timer.unref();
    });
    const result = (await Promise.race([Promise.resolve().then(reg.check), timeout])) ?? { status: 'ok' };
    return { ...result, critical: reg.critical };
  } catch (e) {
    return {
      status: 'down',
      details: { error: e instanceof Error ? e.message : String(e) },
      critical: reg.critical,
    };
  } finally {
    if (timer) clearTimeout(timer);
  }
}
