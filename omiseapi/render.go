package omiseapi

import (
	"encoding/json"
	"time"

	"github.com/cardvault/cardvault"
)

const timeFormat = "2006-01-02T15:04:05Z"

func ts(t time.Time) string { return t.UTC().Format(timeFormat) }

// stamp is an object's creation time under the key its API version expects.
type stamp struct {
	CreatedAt string `json:"created_at,omitempty"`
	Created   string `json:"created,omitempty"`
}

func newStamp(t time.Time, legacy bool) stamp {
	if legacy {
		return stamp{Created: ts(t)}
	}
	return stamp{CreatedAt: ts(t)}
}

// cardJSON is the Omise card object, keys in Omise's order.
type cardJSON struct {
	Object             string  `json:"object"`
	ID                 string  `json:"id"`
	Livemode           bool    `json:"livemode"`
	Location           *string `json:"location"`
	Deleted            bool    `json:"deleted"`
	Street1            *string `json:"street1"`
	Street2            *string `json:"street2"`
	City               *string `json:"city"`
	State              *string `json:"state"`
	PhoneNumber        *string `json:"phone_number"`
	PostalCode         *string `json:"postal_code"`
	Country            string  `json:"country"`
	Financing          string  `json:"financing"`
	Bank               string  `json:"bank"`
	Brand              string  `json:"brand"`
	Fingerprint        string  `json:"fingerprint"`
	FirstDigits        *string `json:"first_digits"`
	LastDigits         string  `json:"last_digits"`
	Name               string  `json:"name"`
	ExpirationMonth    int     `json:"expiration_month"`
	ExpirationYear     int     `json:"expiration_year"`
	SecurityCodeCheck  bool    `json:"security_code_check"`
	TokenizationMethod *string `json:"tokenization_method"`
	ChargeoverID       *int64  `json:"chargeover_id"`
	stamp
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// renderCard renders a card; location is null for a token's card.
func renderCard(c *cardvault.Card, inToken, legacy bool) *cardJSON {
	a := c.Address
	j := &cardJSON{Object: "card", ID: c.ID, Livemode: c.Mode == cardvault.Live,
		Street1: orNull(a.Street1), Street2: orNull(a.Street2), City: orNull(a.City), State: orNull(a.State),
		PhoneNumber: orNull(a.Phone), PostalCode: orNull(a.PostalCode), Country: a.Country,
		Financing: c.Financing, Bank: c.Bank, Brand: c.Brand.Name(), Fingerprint: c.Fingerprint,
		LastDigits: c.LastDigits, Name: c.Name, ExpirationMonth: c.ExpMonth, ExpirationYear: c.ExpYear,
		SecurityCodeCheck: c.CVVChecked, stamp: newStamp(c.CreatedAt, legacy)}
	if c.Stored() {
		j.ChargeoverID = &c.Seq
		if !inToken {
			j.Location = orNull("/customers/" + c.CustomerID + "/cards/" + c.ID)
		}
	}
	return j
}

type tokenJSON struct {
	Object       string    `json:"object"`
	ID           string    `json:"id"`
	Livemode     bool      `json:"livemode"`
	Location     string    `json:"location"`
	Used         bool      `json:"used"`
	ChargeStatus string    `json:"charge_status"`
	Card         *cardJSON `json:"card"`
	stamp
}

func renderToken(t *cardvault.Token, legacy bool) *tokenJSON {
	return &tokenJSON{Object: "token", ID: t.ID, Livemode: t.Mode == cardvault.Live, Location: "/tokens/" + t.ID,
		Used: t.Used, ChargeStatus: "unknown", Card: renderCard(t.Card, true, legacy), stamp: newStamp(t.CreatedAt, legacy)}
}

type customerJSON struct {
	Object       string          `json:"object"`
	ID           string          `json:"id"`
	Livemode     bool            `json:"livemode"`
	Location     string          `json:"location"`
	Deleted      bool            `json:"deleted"`
	Email        *string         `json:"email"`
	Description  *string         `json:"description"`
	Metadata     json.RawMessage `json:"metadata"`
	DefaultCard  *string         `json:"default_card"`
	ChargeoverID int64           `json:"chargeover_id"`
	Cards        *listJSON       `json:"cards"`
	stamp
}

func renderCustomer(c *cardvault.Customer, cards *listJSON, legacy bool) *customerJSON {
	meta := json.RawMessage(c.Metadata)
	if len(meta) == 0 {
		meta = json.RawMessage("{}")
	}
	return &customerJSON{Object: "customer", ID: c.ID, Livemode: c.Mode == cardvault.Live,
		Location: "/customers/" + c.ID, Email: orNull(c.Email), Description: orNull(c.Description), Metadata: meta,
		DefaultCard: orNull(c.DefaultCard), ChargeoverID: c.Seq, Cards: cards, stamp: newStamp(c.CreatedAt, legacy)}
}

// listJSON is the Omise list envelope.
type listJSON struct {
	Object   string `json:"object"`
	Data     []any  `json:"data"`
	Limit    int    `json:"limit"`
	Offset   int    `json:"offset"`
	Total    int    `json:"total"`
	Location string `json:"location"`
	Order    string `json:"order"`
	From     string `json:"from"`
	To       string `json:"to"`
}

func renderList(location string, p cardvault.ListParams, total int, data []any) *listJSON {
	order := "chronological"
	if p.Reverse {
		order = "reverse_chronological"
	}
	if data == nil {
		data = []any{}
	}
	return &listJSON{Object: "list", Data: data, Limit: p.Limit, Offset: p.Offset, Total: total,
		Location: location, Order: order, From: ts(p.From), To: ts(p.To)}
}
