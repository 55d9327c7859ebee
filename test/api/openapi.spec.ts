// The published OpenAPI document (/docs-json of the real app) is as strict as the service: checked generically over
// every operation and schema, and against real responses of the service with a small 3.0 schema validator.
import type { Response } from 'supertest';
import { inProgressOrder, openRequest, parties, placeOrder, post } from '../support/orders';
import { SchemaValidator } from '../support/openapi-schema';
import { bearer, startTestApp, type TestApp } from '../support/test-app';

type Schema = Record<string, unknown>;
interface Operation {
  summary?: string;
  security?: unknown[];
  parameters?: Array<{ name: string; in: string; schema?: Schema }>;
  requestBody?: {
    content: Record<
      string,
      { schema: Schema; example?: unknown; examples?: Record<string, { value: unknown }> }
    >;
  };
  responses: Record<
    string,
    { headers?: Record<string, unknown>; content?: Record<string, { schema: Schema }> }
  >;
}
interface Document {
  openapi: string;
  servers?: Array<{ url: string }>;
  info: { license?: { name?: string } };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** Path params that are user ids (the token's `sub` grammar), not uuids. */
const USER_ID_PARAMS = new Set(['sellerId', 'buyerId']);

describe('the published OpenAPI document', () => {
  let t: TestApp;
  let doc: Document;
  let validator: SchemaValidator;
  const operations: Array<{ method: string; path: string; op: Operation }> = [];

  beforeAll(async () => {
    t = await startTestApp();
    const res = await t.http.get('/docs-json');
    expect(res.status).toBe(200);
    doc = res.body as Document;
    validator = new SchemaValidator(doc);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) operations.push({ method, path, op });
    }
  });
  afterAll(() => t?.close());

  const codesOf = (op: Operation, status: string): string[] => {
    const schema = op.responses[status]?.content?.['application/problem+json']?.schema;
    const part = (schema?.allOf as Schema[] | undefined)?.[1];
    return (
      ((part?.properties as Record<string, Schema> | undefined)?.code?.enum as string[] | undefined) ?? []
    );
  };

  /** Every schema reachable from `root` (through $ref, allOf, oneOf, properties, items). */
  const reachable = (root: Schema): Schema[] => {
    const seen = new Set<Schema>();
    const stack = [root];
    while (stack.length) {
      const s = stack.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      if (typeof s.$ref === 'string') stack.push(doc.components.schemas[s.$ref.split('/').pop()!]);
      for (const key of ['allOf', 'oneOf'] as const) stack.push(...((s[key] as Schema[] | undefined) ?? []));
      stack.push(...Object.values((s.properties as Record<string, Schema> | undefined) ?? {}));
      if (s.items) stack.push(s.items as Schema);
    }
    return [...seen];
  };

  it('has servers, a license, and a summary on every operation', () => {
    expect(doc.servers?.length).toBeGreaterThan(0);
    expect(doc.info.license?.name).toBeTruthy();
    for (const { method, path, op } of operations)
      expect([method, path, op.summary]).toEqual([method, path, expect.any(String)]);
  });

  it('marks public routes `security: []` and answers them without a token', async () => {
    const publicOps = operations.filter(({ op }) => op.security?.length === 0);
    expect(publicOps.map((o) => o.path)).toEqual(['/health']);
    expect((await t.http.get('/health')).status).toBe(200);
    expect((await t.http.get('/orders')).status).toBe(401);
  });

  it('closes every request body schema (unknown fields are refused) and gives each body a valid example', () => {
    let bodies = 0;
    for (const { method, path, op } of operations) {
      for (const media of Object.values(op.requestBody?.content ?? {})) {
        bodies++;
        for (const s of reachable(media.schema)) {
          if (s.type === 'object' || s.properties)
            expect([path, s.additionalProperties]).toEqual([path, false]);
        }
        const examples = media.examples ? Object.values(media.examples).map((e) => e.value) : [media.example];
        expect([method, path, examples.length > 0 && examples.every((e) => e !== undefined)]).toEqual([
          method,
          path,
          true,
        ]);
        for (const example of examples)
          expect([path, validator.errors(example, media.schema)]).toEqual([path, []]);
      }
    }
    expect(bodies).toBeGreaterThan(10);
  });

  it('documents OpenRequest as oneOf by type, each type with its required fields', () => {
    const body = doc.paths['/orders/{orderId}/requests'].post.requestBody!.content['application/json'].schema;
    const ok = (v: unknown) => validator.errors(v, body).length === 0;
    expect(ok({ type: 'cancellation', reason: 'other', comment: 'c' })).toBe(true);
    expect(ok({ type: 'cancellation', comment: 'c' })).toBe(false);
    expect(ok({ type: 'delivery_extension', proposedDueAt: '2030-01-01T00:00:00Z', comment: 'c' })).toBe(
      true,
    );
    expect(ok({ type: 'delivery_extension', comment: 'c' })).toBe(false);
    expect(ok({ type: 'order_update', comment: 'c' })).toBe(true);
    expect(ok({ type: 'order_update', comment: 'c', reason: 'other' })).toBe(false);
    expect(ok({ type: 'order_update' })).toBe(false);
    expect(ok({ type: 'partial_refund', amount: 1500, reason: 'other', comment: 'c' })).toBe(true);
    expect(ok({ type: 'partial_refund', amount: 15.5, reason: 'other', comment: 'c' })).toBe(false);
    expect(ok({ type: 'partial_refund', reason: 'other', comment: 'c' })).toBe(false);
  });

  it('gives every id path parameter format uuid, and says integer wherever a number is whole', () => {
    for (const { path, op } of operations) {
      for (const p of op.parameters ?? []) {
        if (p.in === 'path' && p.name.endsWith('Id') && !USER_ID_PARAMS.has(p.name)) {
          expect([path, p.name, p.schema?.format]).toEqual([path, p.name, 'uuid']);
        }
        if (p.schema?.type === 'number')
          expect([path, p.name, p.schema.format]).toEqual([path, p.name, 'double']);
      }
    }
    // A fractional number says so (format double); every other number is an integer.
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      for (const s of reachable(schema)) {
        if (s.type === 'number') expect([name, s.format]).toEqual([name, 'double']);
      }
    }
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      for (const [prop, s] of Object.entries(
        (schema.properties as Record<string, Schema> | undefined) ?? {},
      )) {
        if (prop.endsWith('Id') && !USER_ID_PARAMS.has(prop) && s.type === 'string') {
          expect([name, prop, s.format]).toEqual([name, prop, 'uuid']);
        }
      }
    }
  });

  it('lists the problem codes of every status, the edge’s and the controller’s merged into each route’s', () => {
    for (const { method, path, op } of operations) {
      const where = `${method} ${path}`;
      expect([where, codesOf(op, '500')]).toEqual([where, ['INTERNAL']]);
      if (op.parameters?.length || op.requestBody)
        expect([where, codesOf(op, '400')]).toEqual([where, expect.arrayContaining(['VALIDATION_FAILED'])]);
      if (op.security?.length) {
        expect([where, codesOf(op, '401')]).toEqual([where, ['UNAUTHENTICATED']]);
        expect(op.responses['401'].headers?.['WWW-Authenticate']).toBeDefined();
      }
      if (op.parameters?.some((p) => p.name === 'Idempotency-Key')) {
        expect([where, codesOf(op, '409')]).toEqual([
          where,
          expect.arrayContaining(['IDEMPOTENCY_KEY_IN_USE']),
        ]);
        expect([where, codesOf(op, '422')]).toEqual([where, ['IDEMPOTENCY_KEY_REUSED']]);
        expect(op.responses['200'] ?? op.responses['201']).toMatchObject({
          headers: { 'Idempotent-Replayed': {} },
        });
      }
    }
    // A route's own 409 codes and the controller's, in one response.
    const open = doc.paths['/orders/{orderId}/requests'].post;
    expect(codesOf(open, '409')).toEqual(
      expect.arrayContaining(['REQUEST_ALREADY_OPEN', 'IDEMPOTENCY_KEY_IN_USE']),
    );
  });

  it('makes the order page’s nullable objects accept null (3.0: nullable beside a $ref does not)', () => {
    const page = doc.components.schemas.OrderPageDto.properties as Record<string, Schema>;
    for (const name of ['openRequest', 'cancellation', 'supportCase'].filter((n) => page[n])) {
      expect([name, validator.errors(null, page[name])]).toEqual([name, []]);
      expect(validator.errors({}, page[name]).length).toBeGreaterThan(0);
    }
    // What Nest emits and Prism refuses: nullable beside allOf, no type.
    expect(
      validator.errors(null, { nullable: true, allOf: [{ $ref: '#/components/schemas/OrderPageDto' }] }),
    ).not.toEqual([]);
  });

  it('lists null among the values of every nullable enum (3.0: `nullable` does not widen an enum)', () => {
    const schemas = Object.values(doc.components.schemas).flatMap(reachable);
    const offending = schemas.filter(
      (x) => x.nullable === true && Array.isArray(x.enum) && !x.enum.includes(null),
    );
    expect(offending).toEqual([]);
  });

  describe('against real responses', () => {
    const operationOf = (method: string, url: string): Operation => {
      const path = url.split('?')[0];
      for (const [template, item] of Object.entries(doc.paths)) {
        const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
        if (re.test(path) && item[method]) return item[method];
      }
      throw new Error(`no operation for ${method} ${url}`);
    };
    const DOCUMENTED_HEADERS = [
      'x-read-model-position',
      'x-correlation-id',
      'idempotent-replayed',
      'www-authenticate',
      'retry-after',
      'cache-control',
    ];

    /** The response's status, body and headers are the ones documented for it. */
    const expectDocumented = (method: string, url: string, res: Response) => {
      const response = operationOf(method, url).responses[String(res.status)];
      expect([url, res.status, response !== undefined]).toEqual([url, res.status, true]);
      const type = String(res.headers['content-type']).split(';')[0];
      const schema = response.content?.[type]?.schema;
      expect([url, res.status, type, schema !== undefined]).toEqual([url, res.status, type, true]);
      expect([url, res.status, validator.errors(res.body, schema!)]).toEqual([url, res.status, []]);
      const documented = Object.keys(response.headers ?? {}).map((h) => h.toLowerCase());
      for (const header of DOCUMENTED_HEADERS.filter((h) => res.headers[h] !== undefined)) {
        expect([url, res.status, header, documented.includes(header)]).toEqual([
          url,
          res.status,
          header,
          true,
        ]);
      }
    };

    it('order pages (with and without an open request), command replies and problems validate', async () => {
      const p = parties();
      const orderId = await inProgressOrder(t, p);
      const get = (url: string, user = p.buyer) => t.http.get(url).set(bearer(t.token(user)));

      const page = await get(`/orders/${orderId}`);
      expect(page.status).toBe(200);
      expect(page.body.openRequest).toBeNull();
      expectDocumented('get', `/orders/${orderId}`, page);

      const requestId = await openRequest(t, p.buyer, orderId, { type: 'order_update', comment: 'News?' });
      const withRequest = await get(`/orders/${orderId}?minPosition=0`);
      expect(withRequest.body.openRequest).toMatchObject({ requestId });
      expectDocumented('get', `/orders/${orderId}`, withRequest);

      const deliver = (key: string) =>
        post(t, p.seller, `/orders/${orderId}/deliveries`, { message: 'Files' }, { key });
      const delivered = await deliver('k-1');
      expectDocumented('post', `/orders/${orderId}/deliveries`, delivered);
      const replayed = await deliver('k-1');
      expect(replayed.headers['idempotent-replayed']).toBe('true');
      expectDocumented('post', `/orders/${orderId}/deliveries`, replayed);

      const refused = await post(t, p.buyer, `/orders/${orderId}/requests`, {
        type: 'order_update',
        comment: 'x',
      });
      expect(refused.status).toBe(409);
      expectDocumented('post', `/orders/${orderId}/requests`, refused);
      const unknownField = await post(t, p.buyer, `/orders/${orderId}/revisions`, { message: 'm', extra: 1 });
      expect(unknownField.status).toBe(400);
      expectDocumented('post', `/orders/${orderId}/revisions`, unknownField);

      const notUuid = await get('/orders/not-a-uuid');
      expect(notUuid.status).toBe(400);
      expectDocumented('get', '/orders/not-a-uuid', notUuid);
      const stranger = await get(`/orders/${orderId}`, 'someone-else');
      expect(stranger.status).toBe(403);
      expectDocumented('get', `/orders/${orderId}`, stranger);
      const anonymous = await t.http.get(`/orders/${orderId}/history`);
      expect(anonymous.status).toBe(401);
      expectDocumented('get', `/orders/${orderId}/history`, anonymous);
      expectDocumented('get', `/orders/${orderId}/history`, await get(`/orders/${orderId}/history`));
      expectDocumented('get', '/orders?as=buyer', await get('/orders?as=buyer'));
      expectDocumented('get', '/health', await t.http.get('/health'));
      const staff = (url: string) => t.http.get(url).set(bearer(t.token('agent-1', ['support'])));
      for (const url of [
        '/support/cases',
        '/analytics/disputes?from=2025-01-01&to=2025-01-31',
        '/analytics/cancellations?from=2025-01-01&to=2025-01-31',
        `/sellers/${p.seller}/completion-rate`,
        `/orders/${orderId}`,
      ]) {
        const res = await staff(url);
        expect([url, res.status]).toEqual([url, 200]);
        expectDocumented('get', url, res);
      }
      expectDocumented('get', '/notifications', await get('/notifications', p.seller));
    });

    it('given an open partial refund that support outgrew, when the buyer accepts it or the delivery, then the refusals are documented', async () => {
      const p = parties();
      const orderId = await placeOrder(t, p, {
        requirementsNeeded: false,
        price: { amount: 10_000, currency: 'USD' },
      });
      await post(t, p.seller, `/orders/${orderId}/deliveries`, { message: 'Files' });
      const { caseId } = (
        await post(t, p.buyer, `/orders/${orderId}/support-cases`, { category: 'other', description: 'd' })
      ).body as { caseId: string };
      const { requestId } = (
        await post(t, p.seller, `/orders/${orderId}/requests`, {
          type: 'partial_refund',
          reason: 'other',
          comment: 'Sorry.',
          amount: 6000,
        })
      ).body as { requestId: string };
      await t.http
        .post(`/orders/${orderId}/support-cases/${caseId}/resolution`)
        .set(bearer(t.token('agent-3', ['support'])))
        .send({ outcome: 'partial_refund', rationale: 'Half.', amount: 5000 })
        .expect(200);

      const acceptance = await post(t, p.buyer, `/orders/${orderId}/acceptance`, {});
      expect([acceptance.status, acceptance.body.code]).toEqual([409, 'REQUEST_ALREADY_OPEN']);
      expectDocumented('post', `/orders/${orderId}/acceptance`, acceptance);
      const accepted = await post(t, p.buyer, `/orders/${orderId}/requests/${requestId}/accept`, {});
      expect([accepted.status, accepted.body.code]).toEqual([409, 'REFUND_NOT_ALLOWED']);
      expectDocumented('post', `/orders/${orderId}/requests/${requestId}/accept`, accepted);
    });

    it('given an open partial refund, a cancelled order and a resolved case, when read, then lists, pages and the queue validate', async () => {
      const p = parties();
      const orderId = await placeOrder(t, p, {
        requirementsNeeded: false,
        price: { amount: 10_000, currency: 'USD' },
      });
      const agent = bearer(t.token('agent-2', ['support']));
      const get = (url: string, auth = bearer(t.token(p.buyer))) => t.http.get(url).set(auth);
      const { caseId } = (
        await post(t, p.buyer, `/orders/${orderId}/support-cases`, { category: 'other', description: 'd' })
      ).body as { caseId: string };
      const offered = await post(t, p.seller, `/orders/${orderId}/requests`, {
        type: 'partial_refund',
        reason: 'other',
        comment: 'Sorry.',
        amount: 500,
      });
      expect(offered.status).toBe(201);
      const open = await get(`/orders?minPosition=${offered.body.position}`);
      expect(open.body.items[0].openRequest).toMatchObject({ type: 'partial_refund' });
      expectDocumented('get', '/orders', open);

      const resolved = await t.http
        .post(`/orders/${orderId}/support-cases/${caseId}/resolution`)
        .set(agent)
        .send({ outcome: 'cancel_order', rationale: 'Both agree.', countsTowardCompletionRate: false })
        .expect(200);
      const at = `minPosition=${resolved.body.position}`;
      const page = await get(`/orders/${orderId}?${at}`);
      expect(page.body).toMatchObject({ status: 'cancelled', lateness: null });
      expectDocumented('get', `/orders/${orderId}`, page);
      expectDocumented('get', '/orders?status=cancelled', await get(`/orders?status=cancelled&${at}`));
      const queue = await get(`/support/cases?status=resolved&limit=100&${at}`, agent);
      expect(queue.body.items.find((i: { caseId: string }) => i.caseId === caseId)).toMatchObject({
        waitingOn: null,
      });
      expectDocumented('get', '/support/cases?status=resolved', queue);
    });
  });
});
