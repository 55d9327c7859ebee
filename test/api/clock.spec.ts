// The test clock routes: present only with CLOCK=manual, refused in production, time never moves backwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../support/test-app';

describe('test clock with CLOCK=manual', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ clock: 'manual' });
  });
  afterAll(() => t?.close());

  const now = async (): Promise<number> =>
    Date.parse((await t.http.get('/testing/clock').expect(200)).body.now);

  it('GET /testing/clock answers { now } without a token', async () => {
    const r = await t.http.get('/testing/clock').expect(200);
    expect(Object.keys(r.body)).toEqual(['now']);
    expect(new Date(r.body.now).toISOString()).toBe(r.body.now);
    expect(Date.parse(r.body.now)).toBe(t.clock!.now().getTime());
  });

  it('does not move by itself', async () => {
    const a = await now();
    await new Promise((r) => setImmediate(r));
    expect(await now()).toBe(a);
  });

  it('POST { advanceMs } moves it forward and answers the new time', async () => {
    const before = await now();
    const r = await t.http.post('/testing/clock').send({ advanceMs: 90_000 }).expect(200);
    expect(r.body.now).toBe(new Date(before + 90_000).toISOString());
    expect(await now()).toBe(before + 90_000);
  });

  it('POST { now } sets it; the same time again is allowed', async () => {
    const target = (await now()) + 86_400_000;
    const iso = new Date(target).toISOString();
    expect((await t.http.post('/testing/clock').send({ now: iso }).expect(200)).body.now).toBe(iso);
    expect((await t.http.post('/testing/clock').send({ now: iso }).expect(200)).body.now).toBe(iso);
    // Other zone offsets name the same instant.
    const shifted = new Date(target + 3_600_000).toISOString().replace('Z', '+00:00');
    expect((await t.http.post('/testing/clock').send({ now: shifted }).expect(200)).body.now).toBe(
      new Date(target + 3_600_000).toISOString(),
    );
  });

  it.each([
    ['backwards by now', (n: number) => ({ now: new Date(n - 1).toISOString() }), 'now'],
    ['a negative advance', () => ({ advanceMs: -1 }), 'advanceMs'],
    ['both fields', (n: number) => ({ advanceMs: 1, now: new Date(n).toISOString() }), 'body'],
    ['neither field', () => ({}), 'body'],
    ['an unknown field', () => ({ advanceMs: 1, speed: 2 }), 'speed'],
    ['a fractional advance', () => ({ advanceMs: 1.5 }), 'advanceMs'],
    ['a string advance', () => ({ advanceMs: '1000' }), 'advanceMs'],
    ['a date without zone', () => ({ now: '2031-01-01T00:00:00' }), 'now'],
    ['a non-date', () => ({ now: 'tomorrow' }), 'now'],
  ])('refuses %s with 400 VALIDATION_FAILED and leaves the time alone', async (_label, body, field) => {
    const before = await now();
    const r = await t.http.post('/testing/clock').send(body(before)).expect(400);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(r.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(r.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(await now()).toBe(before);
  });

  it('refuses a body that is not a JSON object', async () => {
    const r = await t.http
      .post('/testing/clock')
      .set('content-type', 'application/json')
      .send('[1]')
      .expect(400);
    expect(r.body.code).toBe('VALIDATION_FAILED');
  });

  it('is not in the published OpenAPI document', async () => {
    const r = await t.http.get('/docs-json').expect(200);
    expect(Object.keys(r.body.paths)).not.toContain('/testing/clock');
  });

  it('keeps its time across a restart on the same data (never backwards)', async () => {
    const target = (await now()) + 10 * 86_400_000;
    await t.http
      .post('/testing/clock')
      .send({ now: new Date(target).toISOString() })
      .expect(200);
    t = await t.restart();
    expect(await now()).toBe(target);
  });
});

describe('test clock without CLOCK=manual', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ clock: 'system' });
  });
  afterAll(() => t?.close());

  it('the routes do not exist (404)', async () => {
    await t.http.get('/testing/clock').expect(404);
    await t.http.post('/testing/clock').send({ advanceMs: 1000 }).expect(404);
  });
});

describe('CLOCK=manual with NODE_ENV=production', () => {
  it('is refused at start-up', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rc-clock-prod-'));
    try {
      await expect(
        startTestApp({ clock: 'manual', nodeEnv: 'production', authJwtSecret: 'x'.repeat(32), dataDir }),
      ).rejects.toThrow(/CLOCK=manual is refused in production \(NODE_ENV=production\)/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
