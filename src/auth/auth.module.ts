import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { createSecretKey, KeyObject } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../platform/config/config';
import { JWT_KEY, TOKEN_VERIFIER } from './auth.constants';
import { TokenVerifier } from './jwt';
import { AuthGuard } from './auth.guard';
import { resolveJwtSecret } from './jwt-secret';

/** JWT verification for every route (see AuthGuard); the key is resolved once at start-up. */
@Global()
@Module({
  providers: [
    {
      provide: JWT_KEY,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => createSecretKey(Buffer.from(resolveJwtSecret(config), 'utf8')),
    },
    { provide: TOKEN_VERIFIER, inject: [JWT_KEY], useFactory: (key: KeyObject) => new TokenVerifier(key) },
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [JWT_KEY, TOKEN_VERIFIER],
})
export class AuthModule {}
