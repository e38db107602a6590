package cardvault

import (
	"context"
	"encoding/binary"
	"time"
)

// The audit trail (docs/DESIGN.md, "Audit trail"): an append-only, hash-chained
// record of every operation that creates, changes, destroys or decrypts card
// data, every key operation and every authentication failure.
//
// Records reach a store as pending records on the context of the write they
// describe (WithAudit): the store appends them in that write's own
// transaction, so a committed write always has its record and a write that
// fails leaves none. What is recorded never includes a card number, security
// code or key: actors are key ids (a prefix of the key's SHA-256 hash),
// objects are ids the vault generated, details are counts and versions.

// Audit actions: a closed set.
const (
	AuditTokenCreate      = "token.create"
	AuditTokenRead        = "token.read" // --audit-reads
	AuditTokenPurge       = "token.purge"
	AuditCustomerCreate   = "customer.create"
	AuditCustomerUpdate   = "customer.update"
	AuditCustomerDelete   = "customer.delete"
	AuditCustomerRead     = "customer.read" // --audit-reads: a customer with its masked cards
	AuditCustomerList     = "customer.list" // --audit-reads
	AuditCardStore        = "card.store"    // ChargeOver POST: create or update by fingerprint
	AuditCardUpdate       = "card.update"
	AuditCardDelete       = "card.delete"
	AuditCardRead         = "card.read" // --audit-reads
	AuditCardList         = "card.list" // --audit-reads
	AuditCardDecrypt      = "card.decrypt"
	AuditAuthFail         = "auth.fail"
	AuditAccountCreate    = "key.account_create"
	AuditReissueSecret    = "key.reissue_secret"
	AuditAuditKeyCreate   = "key.audit_key_create"
	AuditKeyUpgrade       = "key.upgrade" // start-up: keys brought to the current wrapping
	AuditRotateMaster     = "key.rotate_master.begin"
	AuditRotateMasterStep = "key.rotate_master.batch"
	AuditRotateMasterEnd  = "key.rotate_master.finish"
	AuditRotateData       = "key.rotate_data.begin"
	AuditRotateDataStep   = "key.rotate_data.batch"
	AuditPrune            = "audit.prune"
)

// Actors that are not API keys.
const (
	ActorOperator = "operator" // a cardvault command run by an operator
	ActorJanitor  = "janitor"  // a server's background work
	ActorServer   = "server"   // a server's own start-up work
	ActorUnknown  = "unknown"  // an authentication failure with a key that does not exist
)

// Audit results other than an error code.
const AuditOK = "ok"

// AuditMACSize is the size of a record's MAC (HMAC-SHA256).
const AuditMACSize = 32

// AuditRecord is one entry of the audit trail.
type AuditRecord struct {
	Seq        int64     // 1, 2, 3, … in append order, without gaps; set by the store
	At         time.Time // the vault's clock; stored with millisecond resolution
	AccountID  string    // "" for operations on the whole store
	Mode       Mode      // 0 when not of one mode
	Actor      string    // an API key id, ActorOperator, ActorJanitor or ActorServer
	Action     string    // one of the Audit* actions
	Object     string    // the id of the object acted on; for batch actions, a count
	Detail     string    // what the vault adds: versions, counts; never client data
	Result     string    // AuditOK or the error code of a failed operation
	RequestID  string    // the request's id, "" outside a request
	ClientAddr string    // the client's address, "" outside a request
	MAC        []byte    // AuditChain.Seal: over the previous record's MAC and this record
}

// AppendCanonical appends r's canonical encoding, what its MAC covers: a
// label, Seq and At (Unix milliseconds) as 8 bytes big-endian, Mode as one
// byte, then each string field as 4 bytes of length and its bytes. Every
// field but the MAC is covered, so changing, removing or reordering records
// breaks the chain.
func (r *AuditRecord) AppendCanonical(b []byte) []byte {
	b = append(b, "cardvault/audit/v1\x00"...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Seq))
	b = binary.BigEndian.AppendUint64(b, uint64(r.At.UnixMilli()))
	b = append(b, byte(r.Mode))
	for _, s := range []string{r.AccountID, r.Actor, r.Action, r.Object, r.Detail, r.Result, r.RequestID, r.ClientAddr} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

// AuditAnchor is where the chain starts once retention has deleted its
// oldest records: the Seq and MAC of the last deleted record, and a MAC over
// the anchor itself (AuditChain.SealAnchor) so that it cannot be moved.
// A store that never pruned has none (Seq 0): its chain starts at record 1,
// whose previous MAC is AuditMACSize zero bytes.
type AuditAnchor struct {
	Seq       int64
	MAC       []byte
	At        time.Time // when the records up to Seq were deleted
	AnchorMAC []byte
}

// AuditChain computes the chain's MACs with the store's audit key (keys/
// holds the key and never hands it out).
type AuditChain interface {
	// Seal sets r.MAC to HMAC-SHA256(audit key, prev ‖ r.AppendCanonical),
	// where prev is the MAC of the record before r: the chain head.
	Seal(prev []byte, r *AuditRecord)
	// SealAnchor returns the MAC of an anchor over its Seq, MAC and At.
	SealAnchor(a AuditAnchor) []byte
}

// AuditKey is the store's audit key (the HMAC key of the chain), random and
// wrapped under the key-encryption key; one per store, for life.
type AuditKey struct {
	Wrapped   []byte
	Wrap      Wrap
	CreatedAt time.Time
}

// AuditFilter selects records for AuditRecords.
type AuditFilter struct {
	After int64     // records with Seq > After
	Since time.Time // and At ≥ Since, if not zero
	Until time.Time // and At < Until, if not zero
	Limit int       // at most this many (1…1000)
}

// MaxAuditPage bounds AuditFilter.Limit.
const MaxAuditPage = 1000

// AuditStore holds the audit trail and its key.
//
// Appending. Every write method of Store (CreateAccount, CreateFirstAccount, ReplaceSecretKey,
// UpgradeKeys, AddKEK, FinishRotation, AddDataKey, Reseal, CreateToken,
// PurgeTokens, CreateCustomer, UpdateCustomer, DeleteCustomer, UpdateCard,
// DeleteCard, StoreCard, AddAuditKey, PruneAudit, AppendAudit; not UseNonce,
// whose request is recorded by the write it guards) appends the pending
// records of its context (PendingAudit) inside its own write transaction,
// after its changes and as its last statements before commit, and only if the
// transaction commits. A context without pending records appends nothing.
// The object passed to PendingAudit (filling records whose Object is "") is:
// the token id (CreateToken), the customer id (CreateCustomer,
// UpdateCustomer, DeleteCustomer, whatever the Ref), the card id (UpdateCard,
// DeleteCard, StoreCard: the card created or the one updated), the account id
// (CreateAccount, CreateFirstAccount), the decimal count written (UpgradeKeys: keys; Reseal:
// cards; PurgeTokens: cards destroyed; PruneAudit: records deleted), else "".
// A batch write that writes nothing (UpgradeKeys, Reseal, PurgeTokens,
// PruneAudit), and CreateFirstAccount on a store with an account, append nothing; PurgeTokens, which works in several
// transactions, appends in each that destroys card data. To append, the
// store, in the transaction:
//
//  1. reads the chain head: the Seq and MAC of the record with the highest
//     Seq, else the anchor's (AuditAnchor), else Seq 0 and AuditMACSize zero
//     bytes;
//  2. for each pending record in order: sets Seq to the head's Seq + 1 (never
//     from a sequence generator, which leaves gaps), calls
//     AuditChain.Seal(head MAC, &rec), stores the record, and makes it the head.
//
// Several processes on one store form one chain because the head is read and
// extended inside the write transaction, serialized with every other append:
// SQLite's single writer (BEGIN IMMEDIATE) does it; a store with concurrent
// writers must either hold an exclusive lock on the head from reading it
// until commit (which queues every commit behind the one before), or seal
// after commit as PostgreSQL does. A write that rolls back (a failure, or a
// serialization retry) leaves nothing; a retried transaction reads the head
// again.
//
// PostgreSQL (docs/DESIGN.md, "PostgreSQL store") replaces steps 1 and 2: the
// write transaction inserts its records unsealed (Seq and MAC unset, with an
// entry MAC, AuditChain.Seal over a random nonce and the record with Seq 0),
// without any lock, so a failed write still leaves none. After commit a
// sealer, one instance at a time under an advisory lock, takes the committed
// unsealed records in the order it finds them, checks their entry MACs
// (rejecting, never sealing, one that does not verify), sets Seq = head + 1,
// … and seals them with the chain of the last write the store saw: after
// each local write and every 100 ms, so normally within milliseconds, and
// by the next instance that writes if the writer stopped first. AuditRecords
// and PruneAudit seal first, synchronously (with the chain the store has: a
// process that has written nothing has none, and reads what others sealed):
// readers see only sealed records, one gapless chain; an unsealed record is
// invisible to them until sealed.
//
// Records are never updated (on PostgreSQL, once: sealed); only PruneAudit
// deletes them.
type AuditStore interface {
	// AuditKey returns the store's wrapped audit key (ENotFound before the
	// first vault made one).
	AuditKey(ctx context.Context) (AuditKey, error)
	// AddAuditKey stores the store's audit key, and appends the context's
	// pending records, in one write transaction (EConflict when the store
	// already has one: another process made it first).
	AddAuditKey(ctx context.Context, k AuditKey) error
	// AppendAudit appends the context's pending records in a write
	// transaction of its own: for what changes nothing else (authentication
	// failures, reads with --audit-reads, failed writes with their error code).
	AppendAudit(ctx context.Context) error
	// AuditRecords returns up to f.Limit records matching f, in Seq order.
	AuditRecords(ctx context.Context, f AuditFilter) ([]AuditRecord, error)
	// AuditAnchor returns the chain's anchor (Seq 0 when none).
	AuditAnchor(ctx context.Context) (AuditAnchor, error)
	// PruneAudit deletes, in one write transaction, the oldest records while
	// their At is before before, at most limit of them and stopping at the
	// first record that is not (records are deleted as a prefix of the chain,
	// never from its middle). When it deletes any, it replaces the anchor with
	// the last deleted record's Seq and MAC, At = at and AnchorMAC =
	// AuditChain.SealAnchor of it (the chain of the context's pending records,
	// which it requires: EInternal without), then appends the context's
	// pending records, the Object of those with none set to the number
	// deleted. It returns how many it deleted.
	PruneAudit(ctx context.Context, before, at time.Time, limit int) (int, error)
}

type auditCtxKey struct{}

// pendingAudit is what WithAudit puts on a context.
type pendingAudit struct {
	chain AuditChain
	recs  []AuditRecord
}

// WithAudit returns ctx carrying recs as the pending audit records of the
// write it is given to, sealed with chain. Records already pending on ctx are
// replaced.
func WithAudit(ctx context.Context, chain AuditChain, recs ...AuditRecord) context.Context {
	return context.WithValue(ctx, auditCtxKey{}, &pendingAudit{chain: chain, recs: recs})
}

// PendingAudit returns the pending records of ctx (copies, for the store to
// number and seal) and their chain, or nil and nil. Each record whose Object
// is "" gets object: the id of what the write touched, which only the store
// may know (a ChargeOver reference resolved, the card an upsert updated), or
// for batch writes the count the store applied.
func PendingAudit(ctx context.Context, object string) ([]AuditRecord, AuditChain) {
	p, _ := ctx.Value(auditCtxKey{}).(*pendingAudit)
	if p == nil || len(p.recs) == 0 {
		return nil, nil
	}
	out := make([]AuditRecord, len(p.recs))
	copy(out, p.recs)
	for i := range out {
		if out[i].Object == "" {
			out[i].Object = object
		}
		out[i].Seq, out[i].MAC = 0, nil
	}
	return out, p.chain
}
