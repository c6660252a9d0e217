/** Model routing: which model a session and a worker run on, by precedence; worker models name a tier. */
import { describe, expect, it } from 'vitest';
import { sessionModel, workerModel } from '../../src/budget/model-routing.js';
import { modelsSchema, nodeSettingsSchema, type Models } from '../../src/protocol/economics.js';
import { workerTier } from '../../src/protocol/workers.js';
import { disciplineSchema } from '../../src/registry/schemas.js';

const ALL: Models = {
  session: 'sonnet',
  worker: 'sonnet',
  disciplines: { backend: { session: 'claude-opus-4-5', worker: 'claude-opus-4-5' } },
};

describe('sessionModel', () => {
  it('run --model > models.disciplines[d].session > models.session > the discipline’s model > none', () => {
    const r = { discipline: 'backend', registry: 'haiku' };
    expect(sessionModel({ ...r, asked: 'opus', models: ALL })).toBe('opus');
    expect(sessionModel({ ...r, models: ALL })).toBe('claude-opus-4-5');
    expect(sessionModel({ ...r, discipline: 'frontend', models: ALL })).toBe('sonnet');
    expect(sessionModel({ ...r, models: { worker: 'opus' } })).toBe('haiku');
    expect(sessionModel({ discipline: 'backend' })).toBeNull();
  });
});

describe('workerModel', () => {
  it('the spawn’s model > models.disciplines[d].worker > the discipline’s workerModel > models.worker > haiku', () => {
    const r = { discipline: 'backend', registry: 'opus' };
    expect(workerModel({ ...r, asked: 'haiku', models: ALL })).toEqual({ tier: 'haiku', model: 'haiku' });
    expect(workerModel({ ...r, models: ALL })).toEqual({ tier: 'opus', model: 'claude-opus-4-5' });
    expect(workerModel({ ...r, discipline: 'frontend', models: ALL })).toEqual({ tier: 'opus', model: 'opus' });
    expect(workerModel({ discipline: 'frontend', models: ALL })).toEqual({ tier: 'sonnet', model: 'sonnet' });
    expect(workerModel({ discipline: 'frontend' })).toEqual({ tier: 'haiku', model: 'haiku' });
  });

  it('a full model id runs in the tier it names and reaches claude as it is', () => {
    expect(workerModel({ discipline: 'x', models: { worker: 'claude-sonnet-4-5-20250929' } })).toEqual({
      tier: 'sonnet',
      model: 'claude-sonnet-4-5-20250929',
    });
  });

  it('a registry workerModel that names no tier is refused, naming where it was set', () => {
    expect(workerModel({ discipline: 'backend', registry: 'inherit' })).toEqual({
      problem: expect.stringMatching(
        /^discipline backend's workerModel names model "inherit": a worker model is haiku, sonnet or opus/,
      ),
    });
  });
});

describe('worker tiers', () => {
  it('an alias is its tier; an id names one; a name with none or two is no tier', () => {
    expect(['haiku', 'sonnet', 'opus', 'claude-3-5-haiku-20241022', 'opusplan'].map(workerTier)).toEqual([
      'haiku',
      'sonnet',
      'opus',
      'haiku',
      'opus',
    ]);
    expect(['inherit', 'fable', 'gpt-5', 'haiku-sonnet'].map(workerTier)).toEqual([null, null, null, null]);
  });

  it('settings and the config refuse a worker model that names no tier, and say what to write', () => {
    const bad = modelsSchema.safeParse({ disciplines: { backend: { worker: 'my-fast-model' } } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['disciplines', 'backend', 'worker']);
    expect(bad.error!.issues[0]!.message).toMatch(/haiku, sonnet or opus, or a full claude-… id that names one/);
    expect(nodeSettingsSchema.safeParse({ models: { worker: 'inherit' } }).success).toBe(false);
    // a session may run any model claude takes
    expect(modelsSchema.safeParse({ session: 'my-fast-model', worker: 'claude-haiku-4-5' }).success).toBe(true);
  });

  it('a discipline’s workerModel in the registry is held to the same rule', () => {
    const base = {
      id: 'backend',
      title: 'Backend',
      description: 'APIs',
      keywords: ['api'],
      charter: 'backend',
      agents: ['implementer'],
      hooks: ['guard'],
    };
    expect(disciplineSchema.safeParse({ ...base, workerModel: 'sonnet' }).success).toBe(true);
    const bad = disciplineSchema.safeParse({ ...base, workerModel: 'inherit' });
    expect(bad.error?.issues[0]?.message).toMatch(/a worker model is haiku, sonnet or opus/);
  });
});
