import { describe, expect, it } from 'vitest';
import { buildClassifier } from '../../src/compiler/index.js';
import { defaultRegistryDir } from '../../src/paths/package.js';
import { loadRegistry } from '../../src/registry/index.js';
import { agency } from '../helpers/agency.js';

const reg = loadRegistry(defaultRegistryDir());
const classifier = buildClassifier(reg);

describe('classify against the registry agency ships', () => {
  it.each([
    ['Audit the Solidity vault contract for reentrancy before mainnet', 'blockchain-engineering'],
    ['Add pagination to the orders REST API and fix the N+1 query', 'engineering'],
    ['Fix the flaky Terraform plan in CI and harden the Dockerfile', 'devops'],
    ['Write a GDPR data processing review of our signup flow', 'legal-compliance'],
    ['Make the settings page accessible with screen readers', 'frontend'],
    ['Analyse churn by cohort with SQL and a notebook', 'data-analysis'],
    ['Write a getting started tutorial for the README', 'documentation'],
    ['Review our dependencies for known CVEs and threat model the auth service', 'security-audit'],
    ['Ship the iOS build to TestFlight with SwiftUI fixes', 'mobile'],
  ])('%s → %s', (task, expected) => {
    const ranking = classifier.rank(task);
    expect(ranking[0]?.discipline).toBe(expected);
    expect(ranking[0]!.score).toBeGreaterThan(ranking[1]!.score);
    expect(ranking[0]!.matched.length).toBeGreaterThan(0);
  });

  it('ranks every discipline, scores descending, and gives no score to unrelated text', () => {
    const ranking = classifier.rank('zzz qqq');
    expect(ranking).toHaveLength(reg.disciplines.size);
    expect(ranking.every((r) => r.score === 0)).toBe(true);
    const real = classifier.rank('deploy the kubernetes helm chart');
    for (let i = 1; i < real.length; i++) expect(real[i - 1]!.score).toBeGreaterThanOrEqual(real[i]!.score);
  });

  it('answers on the command line, as text and as JSON', () => {
    const json = agency(['classify', 'Audit the Solidity vault contract', '--json']);
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out.best).toBe('blockchain-engineering');
    expect(out.ranking[0]).toMatchObject({
      discipline: 'blockchain-engineering',
      title: expect.any(String),
      score: expect.any(Number),
    });
    const text = agency(['classify', 'zzz qqq']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^no discipline matches this task/);
    expect(agency(['classify', '  ']).code).toBe(2);
  });
});
