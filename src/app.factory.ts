import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { AppModule } from './app.module';
import { finishOpenApiDocument } from './http/openapi';
import { PRODUCT_PROBLEMS, ProblemDto, type ProductProblems } from './http/problem';
import { createLogger, PinoNestLogger, registerAccessLog } from './observability/logger';
import { TOKEN_VERIFIER } from './auth/auth.guard';
import type { TokenVerifier } from './auth/jwt';
import { registerEdge, serverOptions } from './http/edge';
import { AppConfig, DEFAULT_SERVER_TIMEOUTS, loadConfig } from './platform/config/config';

/** Bodies are small JSON documents: the largest text field is 10,000 characters. Over it: 413. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/** The service for the environment plus `overrides`, initialised; main.ts listens, tests drive getHttpServer(). */
export async function createApp(
  overrides: Partial<AppConfig> = {},
  options: { logger?: boolean } = {},
): Promise<NestFastifyApplication> {
  const config = loadConfig(process.env, overrides);
  const logging = options.logger === false ? undefined : createLogger(config.logLevel);
  const adapter = new FastifyAdapter({
    // Per-request logging costs throughput: only when LOG_LEVEL asks for debug or trace.
    logger: logging && ['debug', 'trace'].includes(config.logLevel) ? { level: config.logLevel } : false,
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: 256 },
    return503OnClosing: true,
    // The client address for rate limits: X-Forwarded-For only behind a trusted proxy.
    trustProxy: config.trustProxy,
    ...serverOptions(config.serverTimeouts ?? DEFAULT_SERVER_TIMEOUTS),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: logging ? new PinoNestLogger(logging.logger) : false,
    bodyParser: false,
    abortOnError: false,
  });
  const fastify: FastifyInstance = app.getHttpAdapter().getInstance();
  try {
    await registerEdge(app, config, app.get<TokenVerifier>(TOKEN_VERIFIER));
    registerBodyParsers(fastify);
    if (logging) {
      registerAccessLog(fastify, logging.logger);
      fastify.addHook('onClose', async () => logging.flush());
    }
    setUpOpenApi(app);
    await app.init();
    await fastify.ready();
    return app;
  } catch (e) {
    await app.close().catch(() => undefined);
    throw e;
  }
}

// JSON only (another content type is fastify's 415, a 400 VALIDATION_FAILED); an empty JSON body is no body, so
// `{}`-commands work however they are sent. Prototype poisoning is refused by fastify's secure parser.
function registerBodyParsers(fastify: FastifyInstance): void {
  const json = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES },
    (req, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') return done(null, undefined);
      json(req, text, done);
    },
  );
}

function setUpOpenApi(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Resolution Center API')
    .setDescription(
      'Orders, Resolution Center requests, cancellations and extras (event-sourced CQRS). Errors are RFC 9457 ' +
        'problem+json with a machine-readable `code`.',
    )
    .setVersion('0.1.0')
    .addServer('/')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT (HS256)' })
    .build();
  config.info.license = { name: 'Proprietary' }; // the package is UNLICENSED: no licence URL to give
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ProblemDto] });
  const { codes } = app.get<ProductProblems>(PRODUCT_PROBLEMS);
  SwaggerModule.setup('docs', app, finishOpenApiDocument(document, codes), { jsonDocumentUrl: 'docs-json' });
}
