/** Which failures a turn answers with "picbot cannot reach its database right now". */
import { asCodedError, CodedError } from '../../../src/shared/errors';
import { isDatabaseUnreachable } from '../../../src/bot/stores/sql';

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

it.each([
  ['a refused connection', refused],
  ['a dropped connection', new Error('Connection terminated unexpectedly')],
  ['PostgreSQL shutting down (57P01)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
  ['a store_failed CodedError caused by one', asCodedError(refused, 'store_failed', 'saving request req_1')],
  ['a wrapper of a wrapper', new CodedError('internal', 'voting', { cause: asCodedError(refused, 'store_failed', 'appending audit event plan.vote') })],
])('%s: unreachable', (_name, err) => {
  expect(isDatabaseUnreachable(err)).toBe(true);
});

it.each([
  ['a constraint violation', Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' })],
  ['a store_failed without a connection cause', new CodedError('store_failed', 'reading a job: not JSON')],
  ['not an Error', 'ECONNREFUSED'],
])('%s: not unreachable', (_name, err) => {
  expect(isDatabaseUnreachable(err)).toBe(false);
});
