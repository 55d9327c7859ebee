import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { createSecretKey, KeyObject } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { JWT_KEY, TOKEN_VERIFIER } from './auth.constants';
import { TokenVerifier } from './jwt';
import { AuthGuard } from './auth.guard';
import { resolveJwtSecret } from './jwt-secret';

/**
 * JWT verification for every route (see AuthGuard); the key is resolved once at start-up. `roles` are the roles a
 * token may grant: the product's, handed in at the composition root.
 */
@Module({})
export class AuthModule {
  static forRoot(options: { roles: readonly string[] }): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      providers: [
        {
          provide: JWT_KEY,
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => createSecretKey(Buffer.from(resolveJwtSecret(config), 'utf8')),
        },
        {
          provide: TOKEN_VERIFIER,
          inject: [JWT_KEY],
          useFactory: (key: KeyObject) => new TokenVerifier(key, options.roles),
        },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [JWT_KEY, TOKEN_VERIFIER],
    };
  }
}
