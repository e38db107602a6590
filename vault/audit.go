package vault

import (
	"context"
	"crypto/hmac"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/cardvault/cardvault"
)

// The audit trail (docs/DESIGN.md, "Audit trail"). Every write the vault
// makes carries its record to the store on the context (cardvault.WithAudit),
// which appends it in the write's own transaction; a write the store refuses
// is recorded with its error code in a transaction of its own. The chain's
// MACs are computed with the store's audit key, which the vault unwraps once
// (making it, on a store that has none) and keeps.

// Caller says who makes the vault's calls: the dialects put it on each
// request's context (WithCaller); a command or background work sets Actor.
type Caller struct {
	Actor      string // KeyID of the authenticated key, or a cardvault.Actor*
	RequestID  string
	ClientAddr string
}

// Bounds on what a Caller carries into a record (the request id is the
// client's X-Request-Id when well formed, at most 64 characters; an
// address is at most 45 characters).
const (
	maxAuditRequestID  = 64
	maxAuditClientAddr = 64
)

type callerKey struct{}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerOf returns the Caller on ctx (zero when none).
func CallerOf(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey{}).(Caller)
	return c
}

// WithKey returns ctx whose Caller acts as the authenticated key rec.
func WithKey(ctx context.Context, rec *cardvault.APIKey) context.Context {
	c := CallerOf(ctx)
	c.Actor = KeyID(rec.Hash)
	return WithCaller(ctx, c)
}

// auditKeyState caches the store's audit chain once unwrapped.
type auditKeyState struct {
	mu    sync.Mutex // held while making or reading the key
	chain atomic.Pointer[cardvault.AuditChain]
}

// AuditChain returns the chain of the store's audit key, making the key on a
// store that has none (recording that as the chain's first record). The key
// never changes, so the chain is kept.
func (v *Vault) AuditChain(ctx context.Context) (cardvault.AuditChain, error) {
	if c := v.audit.chain.Load(); c != nil {
		return *c, nil
	}
	v.audit.mu.Lock()
	defer v.audit.mu.Unlock()
	if c := v.audit.chain.Load(); c != nil {
		return *c, nil
	}
	for range 2 {
		ak, err := v.store.AuditKey(ctx)
		if err == nil {
			chain, err := v.Keys.AuditChain(ak)
			if err != nil {
				return nil, cardvault.Internal("the audit key does not open: %w", err)
			}
			v.audit.chain.Store(&chain)
			return chain, nil
		}
		if cardvault.ErrorCode(err) != cardvault.ENotFound {
			return nil, err
		}
		ak = v.Keys.NewAuditKey()
		ak.CreatedAt = v.Now()
		chain, err := v.Keys.AuditChain(ak)
		if err != nil {
			return nil, err
		}
		rec := v.record(ctx, cardvault.AuditRecord{Action: cardvault.AuditAuditKeyCreate})
		err = v.store.AddAuditKey(cardvault.WithAudit(ctx, chain, rec), ak)
		if err == nil {
			v.audit.chain.Store(&chain)
			return chain, nil
		}
		if cardvault.ErrorCode(err) != cardvault.EConflict { // EConflict: another process made it first
			return nil, err
		}
	}
	return nil, cardvault.Internal("the store's audit key could neither be read nor made")
}

// existingChain is AuditChain that makes no key (ENotFound when the store
// has none).
func (v *Vault) existingChain(ctx context.Context) (cardvault.AuditChain, error) {
	if c := v.audit.chain.Load(); c != nil {
		return *c, nil
	}
	ak, err := v.store.AuditKey(ctx)
	if err != nil {
		return nil, err
	}
	chain, err := v.Keys.AuditChain(ak)
	if err != nil {
		return nil, cardvault.Internal("the audit key does not open: %w", err)
	}
	return chain, nil
}

// record fills in rec's time and who acts, from the vault's clock and ctx's
// Caller; Result defaults to ok.
func (v *Vault) record(ctx context.Context, rec cardvault.AuditRecord) cardvault.AuditRecord {
	c := CallerOf(ctx)
	rec.At = v.Now()
	if rec.Actor == "" {
		rec.Actor = c.Actor
	}
	if rec.Actor == "" {
		rec.Actor = v.Actor
	}
	rec.RequestID, rec.ClientAddr = clip(c.RequestID, maxAuditRequestID), clip(c.ClientAddr, maxAuditClientAddr)
	if rec.Result == "" {
		rec.Result = cardvault.AuditOK
	}
	return rec
}

// clip bounds s to n bytes of whole characters.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// audited runs write with rec pending on its context. When the store
// refuses the write with a domain error (not found, used token, conflict…),
// rec is recorded with the error's code in a transaction of its own, with
// Object failObject if rec has none, within the caller's context (a failure
// to record that is logged: the write's own error is what the caller gets).
// A write that failed for an internal reason (the store unreachable, a
// cancelled request) changed nothing and is only logged: recording it would
// most likely fail the same way, after as long a wait.
func (v *Vault) audited(ctx context.Context, rec cardvault.AuditRecord, failObject string, write func(ctx context.Context) error) error {
	chain, err := v.AuditChain(ctx)
	if err != nil {
		return err
	}
	rec = v.record(ctx, rec)
	err = write(cardvault.WithAudit(ctx, chain, rec))
	if err == nil {
		return nil
	}
	code := cardvault.ErrorCode(err)
	if code == cardvault.EInternal {
		v.Log.WarnContext(ctx, "audit: a write that failed for an internal reason is not recorded", "action", rec.Action)
		return err
	}
	rec.Result = string(code)
	if rec.Object == "" {
		rec.Object = failObject
	}
	if aerr := v.store.AppendAudit(cardvault.WithAudit(ctx, chain, rec)); aerr != nil {
		v.Log.ErrorContext(ctx, "audit: the record of a failed write was not written", "action", rec.Action, "err", aerr)
	}
	return err
}

// appendAudit records rec in a transaction of its own.
func (v *Vault) appendAudit(ctx context.Context, rec cardvault.AuditRecord) error {
	chain, err := v.AuditChain(ctx)
	if err != nil {
		return err
	}
	return v.store.AppendAudit(cardvault.WithAudit(ctx, chain, v.record(ctx, rec)))
}

// Authentication failure reasons (the record's Detail): a closed set.
const (
	AuthNoKey         = "no_key"          // no credentials, or not in the dialect's form
	AuthUnknownKey    = "unknown_key"     // no such key (its hash is not recorded: it may be anything the client sent)
	AuthWrongKind     = "wrong_kind"      // a public key where a secret key is needed, or the reverse
	AuthMismatch      = "mismatched_pair" // ChargeOver: public and secret key of different accounts or modes
	AuthBadSignature  = "bad_signature"   // ChargeOver signature-v1
	AuthBadTimestamp  = "bad_timestamp"   // ChargeOver signature-v1: outside the allowed skew
	AuthReplayedNonce = "replayed_nonce"  // ChargeOver signature-v1
)

// AuthFailed records an authentication failure for reason (one of Auth*),
// in a transaction of its own. key is the presented key's record when it
// was found (a wrong kind, a bad signature), else nil. An error writing
// the record is logged, never shown: the client gets its 401 either way.
func (v *Vault) AuthFailed(ctx context.Context, key *cardvault.APIKey, reason string) {
	rec := cardvault.AuditRecord{Action: cardvault.AuditAuthFail, Result: string(cardvault.EUnauthorized), Detail: reason,
		Actor: cardvault.ActorUnknown}
	if key != nil {
		rec.Actor, rec.AccountID, rec.Mode = KeyID(key.Hash), key.AccountID, key.Mode
	}
	if err := v.appendAudit(ctx, rec); err != nil {
		v.Log.ErrorContext(ctx, "audit: an authentication failure was not recorded", "err", err)
	}
}

// auditRead records a read of masked data when AuditReads is on. The read's
// data is not returned unless its record is written.
func (v *Vault) auditRead(ctx context.Context, s cardvault.Scope, action, object, detail string) error {
	if !v.AuditReads {
		return nil
	}
	return v.appendAudit(ctx, cardvault.AuditRecord{AccountID: s.AccountID, Mode: s.Mode, Action: action,
		Object: object, Detail: detail})
}

// AuditBreak is the error of VerifyAudit when the chain is broken: Seq is
// the first record (or the anchor) that does not verify.
type AuditBreak struct {
	Seq    int64
	Reason string
}

func (e *AuditBreak) Error() string {
	return "audit chain broken at record " + strconv.FormatInt(e.Seq, 10) + ": " + e.Reason
}

// AuditSummary is what VerifyAudit checked.
type AuditSummary struct {
	Records   int64 // records verified
	AnchorSeq int64 // 0 when the chain starts at record 1
	First     int64 // Seq of the first record (0 when none)
	Head      int64 // Seq of the last record (the anchor's when none)
	HeadMAC   []byte
}

// auditVerifyPage is how many records VerifyAudit reads at a time.
const auditVerifyPage = 500

// VerifyAudit walks the whole chain, in pages, from its anchor (or record
// 1): each record must follow the one before without a gap and carry the MAC
// over it and the previous MAC. It returns an *AuditBreak naming the first
// record that does not. It writes nothing: a store without an audit key
// (never written to since it had one) verifies if it has no records either.
func (v *Vault) VerifyAudit(ctx context.Context) (AuditSummary, error) {
	var sum AuditSummary
	a, err := v.store.AuditAnchor(ctx)
	if err != nil {
		return sum, err
	}
	chain, err := v.existingChain(ctx)
	if cardvault.ErrorCode(err) == cardvault.ENotFound {
		recs, rerr := v.store.AuditRecords(ctx, cardvault.AuditFilter{Limit: 1})
		if rerr != nil || (len(recs) == 0 && a.Seq == 0) {
			return sum, rerr
		}
		return sum, &AuditBreak{Seq: a.Seq + 1, Reason: "the store has audit records but no audit key"}
	}
	if err != nil {
		return sum, err
	}
	prev := make([]byte, cardvault.AuditMACSize)
	if a.Seq != 0 {
		if !hmac.Equal(chain.SealAnchor(a), a.AnchorMAC) {
			return sum, &AuditBreak{Seq: a.Seq, Reason: "the anchor does not verify"}
		}
		prev = a.MAC
	}
	sum.AnchorSeq, sum.Head, sum.HeadMAC = a.Seq, a.Seq, prev
	for {
		recs, err := v.store.AuditRecords(ctx, cardvault.AuditFilter{After: sum.Head, Limit: auditVerifyPage})
		if err != nil {
			return sum, err
		}
		if len(recs) == 0 {
			return sum, nil
		}
		for _, r := range recs {
			if r.Seq != sum.Head+1 {
				return sum, &AuditBreak{Seq: sum.Head + 1, Reason: "missing (the next record is " + strconv.FormatInt(r.Seq, 10) + ")"}
			}
			want := r
			chain.Seal(sum.HeadMAC, &want)
			if !hmac.Equal(want.MAC, r.MAC) {
				return sum, &AuditBreak{Seq: r.Seq, Reason: "its MAC does not match its contents and the record before"}
			}
			if sum.First == 0 {
				sum.First = r.Seq
			}
			sum.Head, sum.HeadMAC = r.Seq, r.MAC
			sum.Records++
		}
	}
}

// AuditPruneBatch is how many records one write transaction of the
// retention janitor deletes.
const AuditPruneBatch = 1000

// PruneAudit deletes the records older than the retention period, in
// batches of AuditPruneBatch (each its own write transaction, recorded as an
// audit.prune record), and returns how many it deleted.
func (v *Vault) PruneAudit(ctx context.Context, retention time.Duration) (int, error) {
	chain, err := v.AuditChain(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for {
		now := v.Now()
		rec := v.record(ctx, cardvault.AuditRecord{Action: cardvault.AuditPrune, Detail: "retention=" + retention.String()})
		n, err := v.store.PruneAudit(cardvault.WithAudit(ctx, chain, rec), now.Add(-retention), now, AuditPruneBatch)
		total += n
		if err != nil || n < AuditPruneBatch {
			return total, err
		}
	}
}

// AuditRecords is the store's, for export.
func (v *Vault) AuditRecords(ctx context.Context, f cardvault.AuditFilter) ([]cardvault.AuditRecord, error) {
	return v.store.AuditRecords(ctx, f)
}

// maxAuditDigits is the longest run of digits an id taken from a request may
// hold to be recorded: a card number has at least 12.
const maxAuditDigits = 11

// auditID returns id, an id a client gave, for a record: as it is when it is
// a well-formed id of prefix without a long run of digits, else "(invalid)".
// A client may send anything where an id goes, a card number included.
func auditID(prefix, id string) string {
	if _, ok := cardvault.ParseID(prefix, id); !ok || digitRun(id) > maxAuditDigits {
		return "(invalid)"
	}
	return id
}

// auditRef returns a reference a client gave, for a record (auditID; an
// object token on the same terms; an external key by its kind only).
func auditRef(prefix string, ref cardvault.Ref) string {
	switch {
	case ref.ID != "":
		return auditID(prefix, ref.ID)
	case ref.Seq != 0:
		return "seq:" + strconv.FormatInt(ref.Seq, 10)
	case ref.Token != "":
		if len(ref.Token) != 12 || digitRun(ref.Token) > maxAuditDigits || strings.Trim(ref.Token, "0123456789abcdefghijklmnopqrstuvwxyz") != "" {
			return "token:(invalid)"
		}
		return "token:" + ref.Token
	case ref.ExternalKey != "":
		return "external_key"
	}
	return ""
}

// digitRun returns the length of the longest run of ASCII digits in s.
func digitRun(s string) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// customerChange names the fields an update changes, never their values.
func customerChange(u cardvault.CustomerUpdate) string {
	var f []string
	if u.Email != nil {
		f = append(f, "email")
	}
	if u.Description != nil {
		f = append(f, "description")
	}
	if u.Metadata != nil {
		f = append(f, "metadata")
	}
	if u.Attach != nil {
		f = append(f, "card(attach="+auditID(cardvault.PrefixToken, u.Attach.TokenID)+")")
	}
	if u.DefaultCard != nil {
		f = append(f, "default_card")
	}
	return strings.Join(f, ",")
}

// cardChange names the fields an update changes, never their values.
func cardChange(u cardvault.CardUpdate) string {
	var f []string
	for _, c := range []struct {
		name string
		set  bool
	}{{"name", u.Name != ""}, {"postal_code", u.PostalCode != ""}, {"city", u.City != ""},
		{"expiration_month", u.ExpMonth.Given}, {"expiration_year", u.ExpYear.Given}} {
		if c.set {
			f = append(f, c.name)
		}
	}
	return strings.Join(f, ",")
}
