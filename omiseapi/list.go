package omiseapi

import (
	"time"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/param"
)

// parseList reads limit, offset, order, from and to (API.md §2.6) at time now.
func parseList(p param.Params, now time.Time) (cardvault.ListParams, error) {
	l := cardvault.ListParams{Limit: 20, From: time.Unix(0, 0).UTC(), To: now.UTC().Truncate(time.Second)}
	if n, st := p.Int("limit"); st == param.Invalid || n < 0 {
		return l, badRequest("limit is invalid")
	} else if st == param.Valid && n > 0 {
		l.Limit = int(min(n, 100))
	}
	if n, st := p.Int("offset"); st == param.Invalid || n < 0 || n > 1<<62 {
		return l, badRequest("offset is invalid")
	} else if st == param.Valid {
		l.Offset = int(n)
	}
	switch o, st := p.String("order"); {
	case st == param.Invalid:
		return l, badRequest("order is invalid")
	case st == param.Absent || o == "chronological":
	case o == "reverse_chronological":
		l.Reverse = true
	default:
		return l, badRequest("order is invalid")
	}
	var err error
	if l.From, err = listTime(p, "from", l.From); err != nil {
		return l, err
	}
	l.To, err = listTime(p, "to", l.To)
	return l, err
}

func listTime(p param.Params, key string, def time.Time) (time.Time, error) {
	s, st := p.String(key)
	switch st {
	case param.Absent:
		return def, nil
	case param.Valid:
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC().Truncate(time.Second), nil
		}
	}
	return def, badRequest(key + " is invalid")
}

// embeddedParams are the list parameters of the first page of a customer's
// cards, shown inside the customer.
func embeddedParams(now time.Time) cardvault.ListParams {
	return cardvault.ListParams{Limit: 20, From: time.Unix(0, 0).UTC(), To: now.UTC().Truncate(time.Second)}
}
