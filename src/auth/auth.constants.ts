export const TOKEN_VERIFIER = Symbol('TOKEN_VERIFIER');
export const IS_PUBLIC = 'rc:isPublic';
