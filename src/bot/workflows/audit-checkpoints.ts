/**
 * Every N audit records, the chain's tip (sequence number and hash) is posted into the approvals
 * conversation, besides the checkpoints each plan's card shows at its approval and its job's end.
 * Teams history then keeps copies of the chain that `picbot audit verify --checkpoint SEQ:HASH`
 * checks the database against: a rewrite of the database, even by someone holding the audit
 * key, shows unless Teams history is rewritten too. See docs/deploy.md, "Keys".
 */
import type { Logger } from '../../shared/logger';
import type { AuditEntry, AuditLog, AuditRecord } from './ports';

/** A store transaction's handle, as far as the checkpoints need it (src/bot/stores/sql.ts). */
interface CommitHook {
  afterCommit(fn: () => void): void;
}

/** How many records apart the posted checkpoints are. */
export const AUDIT_CHECKPOINT_EVERY = 100;

/**
 * The audit log, posting the tip after every `every`-th record (a failed post is logged; the record stands).
 * A record appended inside a store's transaction is only known to stand once that transaction has
 * committed, so for those the tip is read back once it has and posted as it is then.
 */
export function withAuditCheckpoints<Tx extends CommitHook, T extends AuditLog & { inTransaction?: (tx: Tx, entry: AuditEntry) => Promise<AuditRecord> }>(
  audit: T & { inTransaction?: (tx: Tx, entry: AuditEntry) => Promise<AuditRecord> },
  options: { every: number; post: (tip: { seq: number; hash: string }) => Promise<void>; logger: Logger },
): T {
  const log = options.logger.child({ component: 'audit-checkpoints' });
  const post = (tip: { seq: number; hash: string }) => {
    options.post(tip).catch((err: unknown) => log.warn({ err, seq: tip.seq }, 'posting the audit checkpoint failed; the next one comes after the next records'));
  };
  const wrapped: T = {
    ...audit,
    async append(entry) {
      const record = await audit.append(entry);
      if (record.seq % options.every === 0) post({ seq: record.seq, hash: record.hash });
      return record;
    },
  };
  const inTransaction = audit.inTransaction;
  if (inTransaction) {
    wrapped.inTransaction = async (tx, entry) => {
      const record = await inTransaction(tx, entry);
      // Rolled back: the chain did not reach this record, and the next checkpoint comes later.
      if (record.seq % options.every === 0) tx.afterCommit(() => post({ seq: record.seq, hash: record.hash }));
      return record;
    };
  }
  return wrapped;
}
