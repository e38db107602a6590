package chargeoverapi

import (
	"testing"

	"github.com/cardvault/cardvault"
)

func TestRouting(t *testing.T) {
	s := New(nil, nil)
	tests := []struct {
		method, path string
		wantMsg      string // "" when routed
		wantRef      cardvault.Ref
		wantPattern  string
	}{
		{"GET", "/api/v3/creditcard", "", cardvault.Ref{}, "GET /api/v3/creditcard"},
		{"GET", "/api/v3/creditcard/", "", cardvault.Ref{}, "GET /api/v3/creditcard"},
		{"HEAD", "/api/v3/creditcard", "", cardvault.Ref{}, "GET /api/v3/creditcard"},
		{"GET", "/api/v3/creditcard/17", "", cardvault.Ref{Seq: 17}, "GET /api/v3/creditcard/{ref}"},
		{"GET", "/api/v3/creditcard/17/", "", cardvault.Ref{Seq: 17}, "GET /api/v3/creditcard/{ref}"},
		{"GET", "/api/v3/creditcard/007", "", cardvault.Ref{Seq: 7}, "GET /api/v3/creditcard/{ref}"},
		{"GET", "/api/v3/creditcard/token:abc123", "", cardvault.Ref{Token: "abc123"}, "GET /api/v3/creditcard/{ref}"},
		{"GET", "/api/v3/creditcard/token%3Aabc123", "", cardvault.Ref{Token: "abc123"}, "GET /api/v3/creditcard/{ref}"},
		{"GET", "/api/v3/creditcard/external_key:a%2Fb", "", cardvault.Ref{ExternalKey: "a/b"}, "GET /api/v3/creditcard/{ref}"},
		{"GET", "/api/v3/creditcard/external_key:a%252F", "", cardvault.Ref{ExternalKey: "a%2F"}, "GET /api/v3/creditcard/{ref}"},
		{"GET", "/api/v3/creditcard/external_key:a+b%20c", "", cardvault.Ref{ExternalKey: "a+b c"}, "GET /api/v3/creditcard/{ref}"},
		{"GET", "/api/v3/creditcard/_count", "", cardvault.Ref{}, "GET /api/v3/creditcard/_count"},
		{"GET", "/api/v3/customer/_count/", "", cardvault.Ref{}, "GET /api/v3/customer/_count"},
		{"DELETE", "/api/v3/customer/42", "", cardvault.Ref{Seq: 42}, "DELETE /api/v3/customer/{ref}"},
		{"POST", "/api/v3/customer", "", cardvault.Ref{}, "POST /api/v3/customer"},

		{"GET", "/api/v3/creditcards", "The object type requested is not supported: list(creditcards, )", cardvault.Ref{}, "GET /api/v3/{type}"},
		{"GET", "/api/v3/invoice/5", "The object type requested is not supported: get(invoice, 5)", cardvault.Ref{}, "GET /api/v3/{type}/{ref}"},
		{"PUT", "/api/v3/invoice/x%20y", "The object type requested is not supported: modify(invoice, [redacted])", cardvault.Ref{}, "PUT /api/v3/{type}/{ref}"},
		{"GET", "/api/v3/4111111111111111", "The object type requested is not supported: list([redacted], )", cardvault.Ref{}, "GET /api/v3/{type}"},
		{"PUT", "/api/v3/creditcard/5", "The command requested is not supported: modify(creditcard, 5)", cardvault.Ref{}, "PUT /api/v3/creditcard/{ref}"},
		{"PUT", "/api/v3/creditcard/garbage!", "The command requested is not supported: modify(creditcard, [redacted])", cardvault.Ref{}, "PUT /api/v3/creditcard/{ref}"},
		{"PUT", "/api/v3/customer", "The command requested is not supported: modify(customer, )", cardvault.Ref{}, "PUT /api/v3/customer"},
		{"POST", "/api/v3/creditcard/5", "The command requested is not supported: action(creditcard, 5)", cardvault.Ref{}, "POST /api/v3/creditcard/{ref}"},
		{"DELETE", "/api/v3/creditcard", "The command requested is not supported: delete(creditcard, )", cardvault.Ref{}, "DELETE /api/v3/creditcard"},
		{"PATCH", "/api/v3/creditcard/5", "The command requested is not supported: patch(creditcard, 5)", cardvault.Ref{}, "PATCH /api/v3/creditcard/{ref}"},
		{"PUT", "/api/v3/creditcard/4111111111111111", "The command requested is not supported: modify(creditcard, [redacted])", cardvault.Ref{}, "PUT /api/v3/creditcard/{ref}"},

		{"GET", "/api/v3/creditcard/abc", msgBadParam, cardvault.Ref{}, "GET /api/v3/creditcard/{ref}"},
		{"GET", "/api/v3/creditcard/0", msgBadParam, cardvault.Ref{}, "GET /api/v3/creditcard/{ref}"},
		{"GET", "/api/v3/creditcard/-1", msgBadParam, cardvault.Ref{}, "GET /api/v3/creditcard/{ref}"},
		{"GET", "/api/v3/creditcard/99999999999999999999", msgBadParam, cardvault.Ref{}, "GET /api/v3/creditcard/{ref}"},
		{"GET", "/api/v3/creditcard/token:", msgBadParam, cardvault.Ref{}, "GET /api/v3/creditcard/{ref}"},
		{"GET", "/api/v3/creditcard/external_key:", msgBadParam, cardvault.Ref{}, "GET /api/v3/creditcard/{ref}"},
		{"GET", "/api/v3/creditcard/5%zz", msgBadParam, cardvault.Ref{}, "unsupported path"},
		{"DELETE", "/api/v3/creditcard/_count", msgBadParam, cardvault.Ref{}, "DELETE /api/v3/creditcard/{ref}"},
		{"GET", "/api/v3/creditcard/1/2", msgBadParam, cardvault.Ref{}, "unsupported path"},
		{"GET", "/api/v3/creditcard//", msgBadParam, cardvault.Ref{}, "unsupported path"},
		{"GET", "/api/v3//creditcard", msgBadParam, cardvault.Ref{}, "unsupported path"},
		{"GET", "/api/v3/", msgBadParam, cardvault.Ref{}, "unsupported path"},
		{"GET", "/api/v3", msgBadParam, cardvault.Ref{}, "unsupported path"},
		{"GET", "/api/", msgBadParam, cardvault.Ref{}, "unsupported path"},
		{"GET", "/api/v2/creditcard", msgBadParam, cardvault.Ref{}, "unsupported path"},
		{"GET", "/api/v3/creditcard/./5", msgBadParam, cardvault.Ref{}, "unsupported path"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			tg := parseTarget(tt.method, tt.path)
			rt, routed := s.routes[tg.key()]
			pattern := tg.pattern()
			if routed {
				pattern = rt.pattern
			}
			if pattern != tt.wantPattern {
				t.Errorf("pattern = %q, want %q", pattern, tt.wantPattern)
			}
			err := s.check(&tg, routed)
			msg := ""
			if err != nil {
				msg = toAPI(err, "").message
			}
			if msg != tt.wantMsg {
				t.Fatalf("message = %q, want %q", msg, tt.wantMsg)
			}
			if err == nil && tg.ref != tt.wantRef {
				t.Errorf("ref = %+v, want %+v", tg.ref, tt.wantRef)
			}
			if tt.wantMsg == msgBadParam && toAPI(err, "").details["path"] != "unsupported" {
				t.Errorf("details = %v", toAPI(err, "").details)
			}
		})
	}
}

func TestParseExpdate(t *testing.T) {
	tests := []struct {
		in          string
		month, year cardvault.IntInput
		invalid     bool
	}{
		{"2030-05-01", cardvault.IntInput{N: 5, Given: true}, cardvault.IntInput{N: 2030, Given: true}, false},
		{"2030-12-31", cardvault.IntInput{N: 12, Given: true}, cardvault.IntInput{N: 2030, Given: true}, false},
		{"2030-05-99", cardvault.IntInput{N: 5, Given: true}, cardvault.IntInput{N: 2030, Given: true}, false},
		{"2030-13-01", cardvault.IntInput{N: 13, Given: true}, cardvault.IntInput{N: 2030, Given: true}, true},
		{"2030-00-01", cardvault.IntInput{N: 0, Given: true}, cardvault.IntInput{N: 2030, Given: true}, true},
		{"0030-05-01", cardvault.IntInput{N: 5, Given: true}, cardvault.IntInput{N: 30, Given: true, Invalid: true}, true},
		{"2030-5-01", cardvault.IntInput{Given: true, Invalid: true}, cardvault.IntInput{Given: true, Invalid: true}, true},
		{"2030/05/01", cardvault.IntInput{Given: true, Invalid: true}, cardvault.IntInput{Given: true, Invalid: true}, true},
		{"2030-05", cardvault.IntInput{Given: true, Invalid: true}, cardvault.IntInput{Given: true, Invalid: true}, true},
		{"abcd-ef-gh", cardvault.IntInput{Given: true, Invalid: true}, cardvault.IntInput{Given: true, Invalid: true}, true},
		{"２０３０-05-01", cardvault.IntInput{Given: true, Invalid: true}, cardvault.IntInput{Given: true, Invalid: true}, true},
	}
	for _, tt := range tests {
		m, y, inv := parseExpdate(tt.in)
		if m != tt.month || y != tt.year || inv != tt.invalid {
			t.Errorf("parseExpdate(%q) = %+v, %+v, %v; want %+v, %+v, %v", tt.in, m, y, inv, tt.month, tt.year, tt.invalid)
		}
	}
}

func TestEnvelopeErrorTable(t *testing.T) {
	tests := []struct {
		err     error
		kind    string
		status  int
		message string
		details map[string]string
	}{
		{cardvault.NotFound("card", ""), "card", 404, msgNoCard, nil},
		{cardvault.NotFound("customer", ""), "customer", 404, msgNoCustomer, nil},
		{cardvault.NotFound("customer", ""), "card", 400, msgBadParam, map[string]string{"customer_id": "not found"}},
		{&cardvault.Error{Code: cardvault.EConflict, Field: "external_key"}, "card", 400, msgBadParam, map[string]string{"external_key": "already in use"}},
		{&cardvault.Error{Code: cardvault.EInvalidCard, Clauses: []string{"a", "b", "c"}}, "card", 400, msgBadParam, map[string]string{"creditcard": "a, b, and c"}},
		{&cardvault.Error{Code: cardvault.ETooLong, Field: "name"}, "card", 400, msgBadParam, map[string]string{"name": "too long"}},
		{cardvault.Internal("boom 4111111111111111"), "card", 500, msgInternal, nil},
		{&cardvault.Error{Code: cardvault.EUsedToken}, "card", 500, msgInternal, nil},
	}
	for _, tt := range tests {
		e := toAPI(tt.err, tt.kind)
		if e.status != tt.status || e.message != tt.message || len(e.details) != len(tt.details) {
			t.Errorf("toAPI(%v) = %+v", tt.err, e)
		}
		for k, v := range tt.details {
			if e.details[k] != v {
				t.Errorf("toAPI(%v).details = %v, want %v", tt.err, e.details, tt.details)
			}
		}
	}
}
