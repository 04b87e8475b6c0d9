/**
 * Every N audit records, the chain's tip (sequence number and hash) is posted into the approvals
 * conversation, besides the checkpoints each plan's card shows at its approval and its job's end.
 * Teams history then keeps copies of the chain that `picbot audit verify --checkpoint SEQ:HASH`
 * checks the database against: a rewrite of the database, even by someone holding the audit
 * key, shows unless Teams history is rewritten too. See docs/deploy.md, "Keys".
 */
import type { Logger } from '../../shared/logger';
import type { AuditLog } from './ports';

/** How many records apart the posted checkpoints are. */
export const AUDIT_CHECKPOINT_EVERY = 100;

/** The audit log, posting the tip after every `every`-th record (a failed post is logged; the record stands). */
export function withAuditCheckpoints(audit: AuditLog, options: { every: number; post: (tip: { seq: number; hash: string }) => Promise<void>; logger: Logger }): AuditLog {
  const log = options.logger.child({ component: 'audit-checkpoints' });
  return {
    ...audit,
    async append(entry) {
      const record = await audit.append(entry);
      if (record.seq % options.every === 0) {
        options.post({ seq: record.seq, hash: record.hash }).catch((err: unknown) => log.warn({ err, seq: record.seq }, 'posting the audit checkpoint failed; the next one comes after the next records'));
      }
      return record;
    },
  };
}
