package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/vault"
)

// AuditCmd groups the audit-trail commands (docs/OPERATIONS.md, "Audit
// trail"). Each takes --data, --db and the master key as serve does.
type AuditCmd struct {
	Verify AuditVerifyCmd `cmd:"" help:"Check the audit trail's HMAC chain from its anchor to its last record. Exit status 0 when intact, 2 naming the first broken record, 1 when it could not be checked."`
	Export AuditExportCmd `cmd:"" help:"Write audit records as JSON lines on stdout, oldest first (no master key needed)."`
}

// exitStatus is an error that sets the process's exit status.
type exitStatus struct {
	code int
	err  error
}

func (e *exitStatus) Error() string { return e.err.Error() }
func (e *exitStatus) Unwrap() error { return e.err }

// exitBroken is audit verify's exit status for a broken chain.
const exitBroken = 2

// AuditVerifyCmd verifies the chain.
type AuditVerifyCmd struct{}

// Run verifies the chain and prints a one-line summary: the number of
// records, the first and last Seq and the head's MAC (which an operator
// may keep elsewhere, to detect a truncated trail later).
func (c *AuditVerifyCmd) Run(ctx context.Context, log *slog.Logger, st *Store) error {
	v, closeStore, err := st.openVault(ctx, log, existingStore)
	if err != nil {
		return err
	}
	defer closeStore()
	sum, err := v.VerifyAudit(ctx)
	var br *vault.AuditBreak
	if errors.As(err, &br) {
		fmt.Printf("BROKEN: audit record %d: %s (%d records before it verify)\n", br.Seq, br.Reason, sum.Records)
		return &exitStatus{code: exitBroken, err: err}
	}
	if err != nil {
		return err
	}
	from := "record 1"
	if sum.AnchorSeq > 0 {
		from = fmt.Sprintf("the anchor after record %d", sum.AnchorSeq)
	}
	fmt.Printf("OK: %d audit records verify, from %s to record %d (head MAC %s)\n",
		sum.Records, from, sum.Head, base64.StdEncoding.EncodeToString(sum.HeadMAC))
	return nil
}

// AuditExportCmd exports records.
type AuditExportCmd struct {
	Since string `name:"since" required:"" help:"Export records made at or after this time: RFC 3339 (2026-12-01T09:00:00Z) or a UTC date (2026-12-01)."`
	Until string `name:"until" help:"And before this time (same forms); default: up to now."`
}

// auditJSON is one exported record.
type auditJSON struct {
	Seq        int64  `json:"seq"`
	At         string `json:"at"`
	Account    string `json:"account,omitempty"`
	Mode       string `json:"mode,omitempty"`
	Actor      string `json:"actor"`
	Action     string `json:"action"`
	Object     string `json:"object,omitempty"`
	Detail     string `json:"detail,omitempty"`
	Result     string `json:"result"`
	RequestID  string `json:"request_id,omitempty"`
	ClientAddr string `json:"client_addr,omitempty"`
	MAC        string `json:"mac"` // base64 (hex would spell long digit runs that leak scans flag)
}

// exportPage is how many records one read of audit export fetches.
const exportPage = cardvault.MaxAuditPage

// Run writes the records in Seq order, reading them in pages.
func (c *AuditExportCmd) Run(ctx context.Context, log *slog.Logger, st *Store) error {
	f := cardvault.AuditFilter{Limit: exportPage}
	var err error
	if f.Since, err = parseTime("--since", c.Since); err != nil {
		return err
	}
	if c.Until != "" {
		if f.Until, err = parseTime("--until", c.Until); err != nil {
			return err
		}
		if !f.Until.After(f.Since) {
			return fmt.Errorf("--until %s: must be after --since", c.Until)
		}
	}
	store, _, _, err := st.open(ctx, log, readStore)
	if err != nil {
		return err
	}
	defer store.Close()
	w := bufio.NewWriter(os.Stdout)
	if err := exportAudit(ctx, store, f, w); err != nil {
		return err
	}
	return w.Flush()
}

func exportAudit(ctx context.Context, store cardvault.Store, f cardvault.AuditFilter, w io.Writer) error {
	enc := json.NewEncoder(w)
	for {
		recs, err := store.AuditRecords(ctx, f)
		if err != nil {
			return err
		}
		for _, r := range recs {
			j := auditJSON{Seq: r.Seq, At: r.At.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Account: r.AccountID,
				Actor: r.Actor, Action: r.Action, Object: r.Object, Detail: r.Detail, Result: r.Result,
				RequestID: r.RequestID, ClientAddr: r.ClientAddr, MAC: base64.StdEncoding.EncodeToString(r.MAC)}
			if r.Mode != 0 {
				j.Mode = r.Mode.String()
			}
			if err := enc.Encode(j); err != nil {
				return err
			}
		}
		if len(recs) < f.Limit {
			return nil
		}
		f.After = recs[len(recs)-1].Seq
	}
}

// parseTime reads an RFC 3339 time or a UTC date.
func parseTime(flag, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s %q: not an RFC 3339 time (2026-12-01T09:00:00Z) or a date (2026-12-01)", flag, s)
}
