package postgres

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestJanitorUsesIndexes: the janitor's purge and forget batches find their
// tokens through an index on expires_at. Sequential scans are disabled for
// the check, so the plan shows whether a usable index exists at all (on a
// small table the planner would rightly prefer a scan).
func TestJanitorUsesIndexes(t *testing.T) {
	db := MustOpen(t, FreshSchema(t, BaseURL(t)))
	for _, q := range []struct {
		name, text string
		want       *regexp.Regexp
	}{
		{"purge batch", purgeExpiredSQL, regexp.MustCompile(`(Index (Only )?Scan using|Bitmap Index Scan on) tokens_pending\b`)},
		{"forget batch", forgetTokensSQL, regexp.MustCompile(`(Index (Only )?Scan using|Bitmap Index Scan on) tokens_expires\b`)},
	} {
		var lines []string
		err := pgx.BeginFunc(context.Background(), db.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(t.Context(), `SET LOCAL enable_seqscan = off`); err != nil {
				return err
			}
			rows, err := tx.Query(t.Context(), `EXPLAIN `+q.text, int64(1), purgeBatch)
			lines, err = collect(rows, err, func(r pgx.Row) (string, error) {
				var l string
				return l, r.Scan(&l)
			})
			return err
		})
		if err != nil {
			t.Fatalf("%s: EXPLAIN: %v", q.name, err)
		}
		plan := strings.Join(lines, "\n")
		if !q.want.MatchString(plan) {
			t.Errorf("%s: plan has no step matching %s:\n%s", q.name, q.want, plan)
		}
		if testing.Verbose() {
			t.Logf("%s:\n%s", q.name, plan)
		}
	}
}
