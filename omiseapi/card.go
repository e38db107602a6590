package omiseapi

import (
	"net/http"

	"github.com/cardvault/cardvault"
)

// listCards is GET /customers/{id}/cards.
func (s *Server) listCards(w http.ResponseWriter, r *http.Request) {
	lp, err := s.listRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	cards, total, err := s.v.ListCards(r.Context(), scope(r), id, lp)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.ok(w, renderList("/customers/"+id+"/cards", lp, total, cardsData(cards, legacyShape(r))))
}

// getCard is GET /customers/{id}/cards/{card}.
func (s *Server) getCard(w http.ResponseWriter, r *http.Request) {
	c, err := s.v.Card(r.Context(), scope(r), r.PathValue("id"), r.PathValue("card"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.ok(w, renderCard(c, false, legacyShape(r)))
}

// updateCard is PATCH /customers/{id}/cards/{card}: name, expiry, postal code, city.
func (s *Server) updateCard(w http.ResponseWriter, r *http.Request) {
	p, err := body(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	txt := map[string]string{}
	for _, f := range []string{"name", "postal_code", "city"} {
		if txt[f], err = text(p, f, f); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	for _, f := range []string{"expiration_month", "expiration_year"} {
		if err := scalar(p, f, f); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	c, err := s.v.UpdateCard(r.Context(), scope(r), r.PathValue("id"), r.PathValue("card"), cardvault.CardUpdate{
		Name: txt["name"], PostalCode: txt["postal_code"], City: txt["city"],
		ExpMonth: intInput(p, "expiration_month"), ExpYear: intInput(p, "expiration_year"),
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.ok(w, renderCard(c, false, legacyShape(r)))
}

// deleteCard is DELETE /customers/{id}/cards/{card}.
func (s *Server) deleteCard(w http.ResponseWriter, r *http.Request) {
	c, err := s.v.DeleteCard(r.Context(), scope(r), r.PathValue("id"), cardvault.Ref{ID: r.PathValue("card")})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	j := renderCard(c, false, false)
	j.Deleted = true
	s.ok(w, j)
}
