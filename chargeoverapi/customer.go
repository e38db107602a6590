package chargeoverapi

import (
	"net/http"
	"strings"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/query"
)

// customerKind is the cardvault error Kind of the objects /customer serves.
const customerKind = "customer"

// customerFields are the POST /api/v3/customer fields (§3.5), all optional
// free text, in check order.
var customerFields = []string{"company", "external_key", "superuser_name", "superuser_first_name",
	"superuser_last_name", "superuser_email", "superuser_phone"}

// createCustomer is POST /api/v3/customer.
func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request, c *call) {
	cust, err := parseCustomer(r, c)
	if err == nil {
		err = s.v.CreateCustomer(r.Context(), c.scope, cust, "")
	}
	if err != nil {
		s.writeError(w, r, customerKind, err)
		return
	}
	s.created(w, r, "customer", cust.Seq)
}

// parseCustomer reads a customer POST. superuser_name defaults to the
// space-joined first and last names.
func parseCustomer(r *http.Request, c *call) (*cardvault.Customer, error) {
	p, err := c.jsonBody(r, customerFields)
	if err != nil {
		return nil, err
	}
	t, err := texts(p, customerFields...)
	if err != nil {
		return nil, err
	}
	k := cardvault.Contact{Name: str(t["superuser_name"]), FirstName: str(t["superuser_first_name"]),
		LastName: str(t["superuser_last_name"]), Phone: str(t["superuser_phone"])}
	if k.Name == "" {
		k.Name = strings.TrimSpace(k.FirstName + " " + k.LastName)
	}
	return &cardvault.Customer{ExternalKey: str(t["external_key"]), Email: str(t["superuser_email"]),
		Description: str(t["company"]), Contact: k}, nil
}

// getCustomer is GET /api/v3/customer/{ref}.
func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request, c *call) {
	cust, err := s.v.Customer(r.Context(), c.scope, c.target.ref)
	if err != nil {
		s.writeError(w, r, customerKind, err)
		return
	}
	ok(w, renderCustomer(cust))
}

// deleteCustomer is DELETE /api/v3/customer/{ref}: the customer and all its
// cards are destroyed, in both dialects.
func (s *Server) deleteCustomer(w http.ResponseWriter, r *http.Request, c *call) {
	if _, err := s.v.DeleteCustomer(r.Context(), c.scope, c.target.ref); err != nil {
		s.writeError(w, r, customerKind, err)
		return
	}
	ok(w, true)
}

// listCustomers is GET /api/v3/customer with where/order/limit/offset (§3.6).
func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request, c *call) {
	q, err := listQuery(r, query.Customer)
	if err != nil {
		s.writeError(w, r, customerKind, err)
		return
	}
	cs, err := s.v.QueryCustomers(r.Context(), c.scope, q)
	if err != nil {
		s.writeError(w, r, customerKind, err)
		return
	}
	out := make([]*customerJSON, len(cs))
	for i, cust := range cs {
		out[i] = renderCustomer(cust)
	}
	ok(w, out)
}

// countCustomers is GET /api/v3/customer/_count?where=….
func (s *Server) countCustomers(w http.ResponseWriter, r *http.Request, c *call) {
	where, err := countQuery(r, query.Customer)
	if err != nil {
		s.writeError(w, r, customerKind, err)
		return
	}
	n, err := s.v.CountCustomers(r.Context(), c.scope, where)
	if err != nil {
		s.writeError(w, r, customerKind, err)
		return
	}
	ok(w, n)
}
