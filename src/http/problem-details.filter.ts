import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WrongExpectedRevisionError } from '../platform/event-store/event-store.port';
import {
  makeProblem,
  Problem,
  PROBLEM_CONTENT_TYPE,
  ProblemException,
  PRODUCT_PROBLEMS,
  type ProductProblems,
  RecordedProblemException,
} from './problem';

/** A fastify error (body parsing, content type, body size...): has a `code` like FST_ERR_CTP_* and a status. */
interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
}

/**
 * The global error boundary: every error becomes RFC 9457 problem+json. Anything the client could have caused
 * (a 4xx from Nest or fastify: bad JSON, wrong content type, oversized body) is a 400 VALIDATION_FAILED;
 * only what we did not foresee is a 500, and that is logged.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  constructor(@Inject(PRODUCT_PROBLEMS) private readonly product: ProductProblems) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const problem = this.toProblem(error, request);
    if (problem.status >= 500) {
      this.logger.error(
        `${request?.method} ${request?.url} failed: ${error instanceof Error ? error.message : String(error)}`,
        error instanceof Error ? error.stack : undefined,
      );
    }
    if (!reply || reply.sent) return;
    if (problem.status === 401) reply.header('www-authenticate', 'Bearer');
    reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }

  toProblem(error: unknown, request?: FastifyRequest): Problem {
    if (error instanceof ProblemException || error instanceof RecordedProblemException) return error.problem;
    const productProblem = this.product.problemOf(error);
    if (productProblem) return productProblem;
    // The command handler's optimistic retries ran out: the order kept changing under it.
    if (error instanceof WrongExpectedRevisionError) {
      return makeProblem(
        409,
        'CONCURRENCY_CONFLICT',
        'The order kept changing while the command was applied; retry.',
      );
    }
    if (error instanceof HttpException) {
      return this.fromStatus(error.getStatus(), httpExceptionMessage(error), request);
    }
    const e = error as FastifyLikeError | null;
    if (e && typeof e === 'object' && typeof e.statusCode === 'number' && typeof e.code === 'string') {
      return this.fromStatus(
        e.statusCode,
        typeof e.message === 'string' ? e.message : 'Bad request',
        request,
      );
    }
    return makeProblem(500, 'INTERNAL', 'An unexpected error occurred.');
  }

  private fromStatus(status: number, message: string, request?: FastifyRequest): Problem {
    switch (status) {
      case 401:
        return makeProblem(401, 'UNAUTHENTICATED', message);
      case 403:
        return makeProblem(403, 'FORBIDDEN', message);
      case 404:
      case 405:
        return makeProblem(
          404,
          'NOT_FOUND',
          request ? `No route ${request.method} ${request.url.split('?')[0]}` : message,
        );
      case 413:
        return makeProblem(413, 'PAYLOAD_TOO_LARGE', `The body is over the limit of 65,536 bytes.`);
      case 503:
        return makeProblem(503, 'SERVICE_UNAVAILABLE', message);
    }
    if (status >= 400 && status < 500) {
      // Body parsing, content type, payload size: the request is malformed.
      return makeProblem(400, 'VALIDATION_FAILED', message, [{ field: 'body', message }]);
    }
    return makeProblem(500, 'INTERNAL', 'An unexpected error occurred.');
  }
}

function httpExceptionMessage(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : error.message;
}
