package omiseapi

import (
	"net/http"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/internal/httpx"
	"github.com/cardvault/cardvault/param"
)

// cardTextFields are the free-text card[…] parameters, in address order.
var cardTextFields = []string{"name", "street1", "street2", "city", "state", "postal_code", "country", "phone_number"}

// createToken is POST /tokens.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	p, err := body(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	in, addr, err := cardParams(p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.v.CreateToken(r.Context(), scope(r), in, addr, httpx.ClientIP(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.ok(w, renderToken(t, legacyShape(r)))
}

// cardParams reads the card object of a token request.
func cardParams(p param.Params) (cardvault.CardInput, cardvault.Address, error) {
	var in cardvault.CardInput
	var a cardvault.Address
	card, st := p.Object("card")
	if st != param.Valid || !anyValue(card) {
		return in, a, errMissingCard
	}
	for _, f := range []string{"number", "security_code", "expiration_month", "expiration_year"} {
		if err := scalar(card, f, "card["+f+"]"); err != nil {
			return in, a, err
		}
	}
	txt := map[string]string{}
	for _, f := range cardTextFields {
		v, err := text(card, f, "card["+f+"]")
		if err != nil {
			return in, a, err
		}
		txt[f] = v
	}
	number, _ := card.String("number")
	code, _ := card.String("security_code")
	in = cardvault.CardInput{Name: txt["name"], NameRequired: true, Number: cardvault.NewSecret(number),
		Month: intInput(card, "expiration_month"), Year: intInput(card, "expiration_year"),
		SecurityCode: cardvault.NewSecret(code)}
	a = cardvault.Address{Street1: txt["street1"], Street2: txt["street2"], City: txt["city"], State: txt["state"],
		PostalCode: txt["postal_code"], Country: txt["country"], Phone: txt["phone_number"]}
	return in, a, nil
}

// anyValue reports whether an object holds at least one non-empty value.
func anyValue(p param.Params) bool {
	for k := range p {
		if p.Has(k) {
			return true
		}
	}
	return false
}

// getToken is GET /tokens/{id}.
func (s *Server) getToken(w http.ResponseWriter, r *http.Request) {
	t, err := s.v.Token(r.Context(), scope(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.ok(w, renderToken(t, legacyShape(r)))
}
