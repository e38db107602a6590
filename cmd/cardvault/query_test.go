package main_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/cardvault/cardvault/query"
)

// TestQueryBounds: list and _count of both ChargeOver resources accept
// query.MaxConditions conditions (spread over several where parameters) and
// query.MaxOrderKeys order keys, and answer one more, or a thousand (once a
// 500 "Expression tree is too large"), with the dialect's 400.
func TestQueryBounds(t *testing.T) {
	p := mustStart(t, t.TempDir())
	pk, sk := p.testKeys(t)
	where := func(n int, cond string) []string { // n conditions in where parameters of at most 5
		var params []string
		for ; n > 0; n -= 5 {
			params = append(params, strings.TrimSuffix(strings.Repeat(cond+",", min(n, 5)), ","))
		}
		return params
	}
	tooManyConds := `{"where":"too many conditions (at most 16)"}`
	tests := []struct {
		name        string
		v           url.Values
		wantDetails string // "" for 200
		count       bool   // applies to _count too
	}{
		{"conditions at the bound", url.Values{"where": where(query.MaxConditions, "token:CONTAINS:a")}, "", true},
		{"conditions one past", url.Values{"where": where(query.MaxConditions+1, "token:CONTAINS:a")}, tooManyConds, true},
		{"a thousand conditions", url.Values{"where": {strings.TrimSuffix(strings.Repeat("token:CONTAINS:a,", 1000), ",")}},
			tooManyConds, true},
		{"value at the bound", url.Values{"where": {"token:GT:" + strings.Repeat("z", query.MaxValueBytes)}}, "", true},
		{"value one past", url.Values{"where": {"token:GT:" + strings.Repeat("z", query.MaxValueBytes+1)}},
			`{"where":"condition 1: value too long"}`, true},
		{"order keys at the bound", url.Values{"order": {strings.TrimSuffix(strings.Repeat("token:DESC,", query.MaxOrderKeys), ",")}},
			"", false},
		{"order keys one past", url.Values{"order": {strings.TrimSuffix(strings.Repeat("token:DESC,", query.MaxOrderKeys+1), ",")}},
			`{"order":"too many keys (at most 8)"}`, false},
	}
	for _, tt := range tests {
		for _, res := range []string{"creditcard", "customer"} {
			paths := []string{"/api/v3/" + res}
			if tt.count {
				paths = append(paths, "/api/v3/"+res+"/_count")
			}
			for _, path := range paths {
				st, body, raw := call(t, "GET", p.base+path+"?"+tt.v.Encode(), pk, sk, nil)
				if tt.wantDetails == "" {
					if st != 200 || body["status"] != "OK" {
						t.Errorf("%s: GET %s = %d %.300s; want 200", tt.name, path, st, raw)
					}
					continue
				}
				want := `{"code":400,"status":"Error","message":"Missing or invalid parameter.","details":` +
					tt.wantDetails + `,"response":false}` + "\n"
				if st != 400 || raw != want {
					t.Errorf("%s: GET %s = %d %.300s; want 400 %s", tt.name, path, st, raw, want)
				}
			}
		}
	}
}
