/**
 * The authenticated caller: the token's user id and the roles it grants. Which roles exist is the product's
 * vocabulary, handed to AuthModule.forRoot at the composition root.
 */
export interface Caller {
  userId: string;
  roles: readonly string[];
}
