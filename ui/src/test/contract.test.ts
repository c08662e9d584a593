// The mock backend against tests/contract/scenarios.json: the same calls and expectations
// src-tauri/tests/commands.rs runs against the real commands. A failure here means the
// mock no longer behaves like Rust: fix the mock, not the scenario.
import { describe, expect, it } from 'vitest';
import scenarioFile from '../../../tests/contract/scenarios.json';
import bootJs from '../../public/boot.js?raw';
import { COMMAND_NAMES, EDITIONS, TEXT_SCALE_RANGE, type SourceDto } from '../ipc';
import { createFakeBackend } from '../ipc/mock/backend';

type Step = { call: string; args?: Record<string, unknown>; ok?: unknown; error?: string };
type Scenario = { name: string; sources?: string[]; steps: Step[] };

/** `expected` within `actual`, by the rules in the scenario file (and in commands.rs). */
function matches(expected: unknown, actual: unknown): boolean {
  if (expected === '$present') return actual !== null && actual !== undefined;
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && expected.length === actual.length && expected.every((e, i) => matches(e, actual[i]));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const a = actual as Record<string, unknown>;
    return Object.entries(expected).every(([k, v]) => k in a && matches(v, a[k]));
  }
  return expected === actual;
}

function given(urls: string[]): SourceDto[] {
  return urls.map((url, i) => ({ id: i + 1, url, kind: null, title: null, lastSyncAt: null, lastStatus: null, lastError: null }));
}

const scenarios = (scenarioFile as { scenarios: Scenario[] }).scenarios;

describe('contract scenarios against the mock backend', () => {
  it('has scenarios, and only for commands Rust has', () => {
    expect(scenarios.length).toBeGreaterThan(0);
    for (const s of scenarios) for (const step of s.steps) expect(COMMAND_NAMES).toContain(step.call);
  });

  for (const scenario of scenarios) {
    it(scenario.name, () => {
      // The state Rust starts from: these sources only (so no edition followed), no articles.
      const backend = createFakeBackend({
        articles: [],
        sources: given(scenario.sources ?? []),
        editions: EDITIONS.map((e) => ({ ...e })),
      });
      scenario.steps.forEach((step, i) => {
        const where = `${scenario.name}, step ${i + 1} (${step.call})`;
        let result: unknown;
        let rejection: unknown;
        let rejected = false;
        try {
          result = backend.handle(step.call, step.args ?? {});
        } catch (e) {
          rejected = true;
          rejection = e;
        }
        if (step.error === undefined) {
          expect(rejected, `${where} rejected with ${JSON.stringify(rejection)}`).toBe(false);
          expect(matches(step.ok, result), `${where}: expected ${JSON.stringify(step.ok)}, got ${JSON.stringify(result)}`).toBe(true);
        } else if (step.error === 'invalidArgs') {
          expect(typeof rejection, `${where}: expected Tauri's argument error, got ${JSON.stringify(rejection ?? result)}`).toBe('string');
        } else {
          expect((rejection as { kind?: string } | undefined)?.kind, `${where}: got ${JSON.stringify(rejection ?? result)}`).toBe(step.error);
        }
      });
    });
  }
});

describe('the copies that cannot import the contract', () => {
  it('public/boot.js clamps the text size to TEXT_SCALE_RANGE', () => {
    expect(bootJs).toContain(`pct >= ${TEXT_SCALE_RANGE.min} && pct <= ${TEXT_SCALE_RANGE.max}`);
  });
});
