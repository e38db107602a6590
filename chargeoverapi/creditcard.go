package chargeoverapi

import (
	"net/http"
	"strconv"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/internal/httpx"
	"github.com/cardvault/cardvault/param"
	"github.com/cardvault/cardvault/query"
)

// cardKind is the cardvault error Kind of the objects /creditcard serves.
const cardKind = "card"

// cardFields are the POST /api/v3/creditcard fields (§3.4); a body with none
// of them set is "No data.".
var cardFields = []string{"customer_id", "customer_external_key", "customer_token", "number", "expdate",
	"expdate_year", "expdate_month", "cvv", "name", "external_key", "address", "city", "state", "postcode", "country"}

// cardTextFields are the free-text fields of a card POST, in check order.
var cardTextFields = []string{"customer_external_key", "customer_token", "name", "external_key",
	"address", "city", "state", "postcode", "country"}

// cardRequest is a decoded card POST.
type cardRequest struct {
	customer cardvault.Ref
	in       cardvault.CardInput
	text     map[string]*string // present free-text fields, trimmed
}

// createCard is POST /api/v3/creditcard: validate, seal and store the card,
// or update the customer's card with the same number (upsert). Either way 201.
func (s *Server) createCard(w http.ResponseWriter, r *http.Request, c *call) {
	req, err := parseCardRequest(r, c)
	if err != nil {
		s.writeError(w, r, cardKind, err)
		return
	}
	card, err := s.v.NewCard(r.Context(), c.scope, req.in, str(req.text["name"]), req.address(), httpx.ClientIP(r))
	if err != nil {
		s.writeError(w, r, cardKind, err)
		return
	}
	card.ExternalKey = str(req.text["external_key"])
	stored, _, err := s.v.StoreCard(r.Context(), c.scope, req.customer, card, req.merge())
	if err != nil {
		s.writeError(w, r, cardKind, err)
		return
	}
	s.created(w, r, "creditcard", stored.Seq)
}

// parseCardRequest reads and checks the body of a card POST. Problems other
// than card validation are reported one at a time: body, text fields, card
// number and expiry types, customer reference.
func parseCardRequest(r *http.Request, c *call) (*cardRequest, error) {
	p, err := c.jsonBody(r, cardFields)
	if err != nil {
		return nil, err
	}
	req := &cardRequest{}
	if req.text, err = texts(p, cardTextFields...); err != nil {
		return nil, err
	}
	if req.in, err = cardInput(p); err != nil {
		return nil, err
	}
	req.in.Name = str(req.text["name"])
	if req.customer, err = customerRef(p, req.text); err != nil {
		return nil, err
	}
	return req, nil
}

// cardInput reads number, expiry and security code for cardvault.ValidateCard
// (§2.7 without the name clause).
func cardInput(p param.Params) (cardvault.CardInput, error) {
	var in cardvault.CardInput
	var err error
	if in.Number, err = secret(p, "number"); err != nil {
		return in, err
	}
	if in.SecurityCode, err = secret(p, "cvv"); err != nil {
		return in, err
	}
	exp, st := p.String("expdate")
	switch st {
	case param.Invalid:
		return in, badParam("expdate", "invalid")
	case param.Valid:
		in.Month, in.Year, in.ExpDateInvalid = parseExpdate(exp)
	default:
		in.Month, in.Year = intInput(p, "expdate_month"), intInput(p, "expdate_year")
	}
	return in, nil
}

// parseExpdate reads YYYY-MM-DD (the day is ignored but must be two digits).
// A value of another shape gives an invalid month, year and date; a month
// outside 01–12 or a year below 1000 also marks the date invalid.
func parseExpdate(s string) (month, year cardvault.IntInput, invalid bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' ||
		!digitsOnly(s[:4], 4) || !digitsOnly(s[5:7], 2) || !digitsOnly(s[8:], 2) {
		bad := cardvault.IntInput{Given: true, Invalid: true}
		return bad, bad, true
	}
	y, _ := strconv.ParseInt(s[:4], 10, 64)
	m, _ := strconv.ParseInt(s[5:7], 10, 64)
	year = cardvault.IntInput{N: y, Given: true, Invalid: y < 1000}
	month = cardvault.IntInput{N: m, Given: true}
	return month, year, m < 1 || m > 12 || y < 1000
}

// customerRef reads the customer a card POST names: customer_id (an integer
// or digit string, positive), else customer_external_key, else customer_token.
func customerRef(p param.Params, text map[string]*string) (cardvault.Ref, error) {
	n, st := p.Int("customer_id")
	switch {
	case st == param.Invalid || (st == param.Valid && n <= 0):
		return cardvault.Ref{}, badParam("customer_id", "invalid")
	case st == param.Valid:
		return cardvault.Ref{Seq: n}, nil
	case text["customer_external_key"] != nil:
		return cardvault.Ref{ExternalKey: *text["customer_external_key"]}, nil
	case text["customer_token"] != nil:
		return cardvault.Ref{Token: *text["customer_token"]}, nil
	}
	return cardvault.Ref{}, badParam("customer_id", "required")
}

// address is the billing address of the request (address is Omise street1).
func (req *cardRequest) address() cardvault.Address {
	t := req.text
	return cardvault.Address{Street1: str(t["address"]), City: str(t["city"]), State: str(t["state"]),
		PostalCode: str(t["postcode"]), Country: str(t["country"])}
}

// merge returns what an upsert copies onto the customer's existing card
// with the same number (cardvault.MergeCard): the expiry (always part of a
// valid request) and every optional field the request carried; the
// security-code check changes only when a cvv was given.
func (req *cardRequest) merge() cardvault.CardMerge {
	t := req.text
	return cardvault.CardMerge{Name: t["name"], ExternalKey: t["external_key"], Street1: t["address"],
		City: t["city"], State: t["state"], PostalCode: t["postcode"], Country: t["country"],
		CVVChecked: !req.in.SecurityCode.IsZero()}
}

// getCard is GET /api/v3/creditcard/{ref}.
func (s *Server) getCard(w http.ResponseWriter, r *http.Request, c *call) {
	card, err := s.v.CardByRef(r.Context(), c.scope, c.target.ref)
	if err != nil {
		s.writeError(w, r, cardKind, err)
		return
	}
	ok(w, renderCard(card))
}

// deleteCard is DELETE /api/v3/creditcard/{ref}.
func (s *Server) deleteCard(w http.ResponseWriter, r *http.Request, c *call) {
	if _, err := s.v.DeleteCard(r.Context(), c.scope, "", c.target.ref); err != nil {
		s.writeError(w, r, cardKind, err)
		return
	}
	ok(w, true)
}

// listCards is GET /api/v3/creditcard with where/order/limit/offset (§3.6).
func (s *Server) listCards(w http.ResponseWriter, r *http.Request, c *call) {
	q, err := listQuery(r, query.CreditCard)
	if err != nil {
		s.writeError(w, r, cardKind, err)
		return
	}
	cards, err := s.v.QueryCards(r.Context(), c.scope, q)
	if err != nil {
		s.writeError(w, r, cardKind, err)
		return
	}
	out := make([]*cardJSON, len(cards))
	for i, card := range cards {
		out[i] = renderCard(card)
	}
	ok(w, out)
}

// countCards is GET /api/v3/creditcard/_count?where=….
func (s *Server) countCards(w http.ResponseWriter, r *http.Request, c *call) {
	where, err := countQuery(r, query.CreditCard)
	if err != nil {
		s.writeError(w, r, cardKind, err)
		return
	}
	n, err := s.v.CountCards(r.Context(), c.scope, where)
	if err != nil {
		s.writeError(w, r, cardKind, err)
		return
	}
	ok(w, n)
}
