import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CLOCK, type Clock } from '../platform/clock/clock.port';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { AuthGuard, TOKEN_VERIFIER } from './auth.guard';
import { jwksKeys, secretKeys, TokenVerifier } from './jwt';
import { resolveJwtSecret } from './jwt-secret';

/** JWT verification for every route (AuthGuard); `roles` are the product's, handed in at the composition root. */
@Module({})
export class AuthModule {
  static forRoot(options: { roles: readonly string[] }): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      providers: [
        {
          provide: TOKEN_VERIFIER,
          inject: [APP_CONFIG, CLOCK],
          useFactory: (config: AppConfig, clock: Clock) =>
            new TokenVerifier(
              config.authJwksUrl ? jwksKeys(config.authJwksUrl) : secretKeys(resolveJwtSecret(config)),
              {
                roles: options.roles,
                issuer: config.authIssuer,
                audience: config.authAudience,
                maxTtlSeconds: config.authMaxTokenTtlSeconds,
                now: () => clock.now(),
              },
            ),
        },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [TOKEN_VERIFIER],
    };
  }
}
