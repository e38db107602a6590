package omiseapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/internal/httpx"
	"github.com/cardvault/cardvault/param"
)

// maxMetadata is the largest serialized metadata object accepted.
const maxMetadata = 16 << 10

// customerFields are the parameters of customer create and update.
type customerFields struct {
	email, description *string
	metadata           []byte
	token              string
	defaultCard        *string
}

// parseCustomer reads the parameters of a create, or of an update, which
// also takes default_card (on create it is ignored like any unknown one).
func parseCustomer(p param.Params, update bool) (customerFields, error) {
	var f customerFields
	for _, k := range []string{"email", "description"} {
		v, err := text(p, k, k)
		if err != nil {
			return f, err
		}
		if v != "" {
			if k == "email" {
				f.email = &v
			} else {
				f.description = &v
			}
		}
	}
	if m, st := p.Object("metadata"); st == param.Invalid {
		return f, badRequest("metadata is invalid")
	} else if st == param.Valid {
		// Checked on the tree as decoded, without copying it: only a tree
		// that may fit the limit is copied and serialized.
		size, ok := metadataSize(m)
		if !ok {
			return f, badRequest("metadata is invalid")
		}
		if size > maxMetadata {
			return f, badRequest("metadata is too long")
		}
		b, err := json.Marshal(param.ToJSONValue(m))
		if err != nil {
			return f, badRequest("metadata is invalid")
		}
		if len(b) > maxMetadata {
			return f, badRequest("metadata is too long")
		}
		f.metadata = b
	}
	if v, ok := p.Raw("default_card"); ok && update {
		d, isString := v.(string)
		if !isString {
			return f, badRequest("default_card is invalid")
		}
		f.defaultCard = &d
	}
	// Last: a non-string card is a validation error (invalid_card_token),
	// which §2.1 orders after every bad_request.
	if v, ok := p.Raw("card"); ok {
		t, isString := v.(string)
		if !isString {
			return f, errCardToken
		}
		f.token = t
	}
	return f, nil
}

// createCustomer is POST /customers.
func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request) {
	p, err := body(r)
	if err == nil {
		var f customerFields
		if f, err = parseCustomer(p, false); err == nil {
			c := &cardvault.Customer{Metadata: f.metadata}
			if f.email != nil {
				c.Email = *f.email
			}
			if f.description != nil {
				c.Description = *f.description
			}
			if err = s.v.CreateCustomer(r.Context(), scope(r), c, f.token); err == nil {
				s.respondCustomer(w, r, c.ID)
				return
			}
		}
	}
	s.writeError(w, r, err)
}

// respondCustomer renders a customer as it is now, with its first cards.
func (s *Server) respondCustomer(w http.ResponseWriter, r *http.Request, id string) {
	j, err := s.customerJSON(r.Context(), scope(r), id, legacyShape(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.ok(w, j)
}

func (s *Server) customerJSON(ctx context.Context, sc cardvault.Scope, id string, legacy bool) (*customerJSON, error) {
	c, err := s.v.Customer(ctx, sc, cardvault.Ref{ID: id})
	if err != nil {
		return nil, err
	}
	return s.withCards(ctx, sc, c, legacy)
}

// withCards renders a customer with its embedded first page of cards.
func (s *Server) withCards(ctx context.Context, sc cardvault.Scope, c *cardvault.Customer, legacy bool) (*customerJSON, error) {
	lp := embeddedParams(s.v.Now())
	cards, total, err := s.v.ListCards(ctx, sc, c.ID, lp)
	if err != nil {
		return nil, err
	}
	return renderCustomer(c, renderList("/customers/"+c.ID+"/cards", lp, total, cardsData(cards, legacy)), legacy), nil
}

func cardsData(cards []*cardvault.Card, legacy bool) []any {
	data := make([]any, len(cards))
	for i, c := range cards {
		data[i] = renderCard(c, false, legacy)
	}
	return data
}

// getCustomer is GET /customers/{id}.
func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) {
	s.respondCustomer(w, r, r.PathValue("id"))
}

// updateCustomer is PATCH /customers/{id}: all or nothing.
func (s *Server) updateCustomer(w http.ResponseWriter, r *http.Request) {
	p, err := body(r)
	if err == nil {
		var f customerFields
		if f, err = parseCustomer(p, true); err == errCardToken {
			// Validation comes after lookups (§2.1): an unknown customer is a 404 first.
			if _, lerr := s.v.Customer(r.Context(), scope(r), cardvault.Ref{ID: r.PathValue("id")}); lerr != nil {
				err = lerr
			}
		}
		if err == nil {
			u := cardvault.CustomerUpdate{Email: f.email, Description: f.description, Metadata: f.metadata,
				DefaultCard: f.defaultCard, Now: s.v.Now()}
			if f.token != "" {
				u.Attach = s.v.Attach(f.token)
			}
			id := r.PathValue("id")
			if err = s.v.UpdateCustomer(r.Context(), scope(r), id, u); err == nil {
				s.respondCustomer(w, r, id)
				return
			}
		}
	}
	s.writeError(w, r, err)
}

// deleteCustomer is DELETE /customers/{id}.
func (s *Server) deleteCustomer(w http.ResponseWriter, r *http.Request) {
	c, err := s.v.DeleteCustomer(r.Context(), scope(r), cardvault.Ref{ID: r.PathValue("id")})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c.DefaultCard = ""
	lp := embeddedParams(s.v.Now())
	j := renderCustomer(c, renderList("/customers/"+c.ID+"/cards", lp, 0, nil), false)
	j.Deleted = true
	s.ok(w, j)
}

// listCustomers is GET /customers.
func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) {
	lp, err := s.listRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The page, its total and every customer's embedded cards come from one
	// snapshot of the store, the cards of the whole page from one query.
	clp := embeddedParams(s.v.Now())
	page, total, err := s.v.ListCustomersWithCards(r.Context(), scope(r), lp, clp)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	legacy := legacyShape(r)
	data := make([]any, len(page))
	for i, cc := range page {
		c := cc.Customer
		data[i] = renderCustomer(c, renderList("/customers/"+c.ID+"/cards", clp, cc.Total, cardsData(cc.Cards, legacy)), legacy)
	}
	s.ok(w, renderList("/customers", lp, total, data))
}

func (s *Server) listRequest(r *http.Request) (cardvault.ListParams, error) {
	p, err := listParams(r)
	if err != nil {
		return cardvault.ListParams{}, err
	}
	return parseList(p, s.v.Now())
}

// metadataSize walks a decoded metadata tree without copying it. ok is
// false when a key or string is not storable text (valid UTF-8 without NUL:
// json.Marshal would otherwise silently replace invalid bytes). size is a
// lower bound of its serialized length (escapes only lengthen it); past
// maxMetadata it stops growing, so the walk never counts beyond the limit.
func metadataSize(v any) (size int, ok bool) {
	switch t := v.(type) {
	case param.Params:
		return objectSize(t)
	case map[string]any:
		return objectSize(t)
	case []any:
		size = 2 + max(len(t)-1, 0) // [] and commas
		for _, c := range t {
			n, ok := metadataSize(c)
			if !ok {
				return 0, false
			}
			size = min(size+n, maxMetadata+1)
		}
		return size, true
	case string:
		return len(t) + 2, httpx.StorableText(t)
	case json.Number:
		return len(t), true
	case bool:
		if t {
			return 4, true
		}
		return 5, true
	}
	return 4, true // null
}

func objectSize[M ~map[string]any](m M) (size int, ok bool) {
	size = 2 + max(len(m)-1, 0) // {} and commas
	for k, c := range m {
		if !httpx.StorableText(k) {
			return 0, false
		}
		n, ok := metadataSize(c)
		if !ok {
			return 0, false
		}
		size = min(size+len(k)+3+n, maxMetadata+1) // "k":
	}
	return size, true
}
