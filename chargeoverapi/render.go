package chargeoverapi

import (
	"fmt"
	"time"

	"github.com/cardvault/cardvault"
)

// dateTimeFormat is ChargeOver's write_datetime / mod_datetime, always UTC.
const dateTimeFormat = "2006-01-02 15:04:05"

func dateTime(t time.Time) string { return t.UTC().Format(dateTimeFormat) }

// orNull renders "" as null.
func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// cardJSON is the creditcard object of §3.7, keys in the order of its example.
// It has no field for the number or the security code.
type cardJSON struct {
	CreditcardID     int64   `json:"creditcard_id"`
	CustomerID       int64   `json:"customer_id"`
	ExternalKey      *string `json:"external_key"`
	Type             string  `json:"type"`
	TypeName         string  `json:"type_name"`
	Token            string  `json:"token"`
	Name             string  `json:"name"`
	MaskNumber       string  `json:"mask_number"`
	MaskAndBinNumber string  `json:"mask_and_bin_number"`
	Expdate          string  `json:"expdate"`
	ExpdateYear      string  `json:"expdate_year"`
	ExpdateMonth     string  `json:"expdate_month"`
	ExpdateFormatted string  `json:"expdate_formatted"`
	Address          *string `json:"address"`
	City             *string `json:"city"`
	State            *string `json:"state"`
	Postcode         *string `json:"postcode"`
	Country          *string `json:"country"`
	URLUpdatelink    *string `json:"url_updatelink"`
	WriteDatetime    string  `json:"write_datetime"`
	WriteIPAddr      *string `json:"write_ipaddr"`
	ModDatetime      string  `json:"mod_datetime"`
	OmiseID          string  `json:"omise_id"`
}

// renderCard derives the creditcard fields of §3.7 from a stored card.
func renderCard(c *cardvault.Card) *cardJSON {
	a := c.Address
	return &cardJSON{
		CreditcardID: c.Seq, CustomerID: c.CustomerSeq, ExternalKey: orNull(c.ExternalKey),
		Type: c.Brand.Code(), TypeName: c.Brand.Name(), Token: c.Token, Name: c.Name,
		MaskNumber: "x" + c.LastDigits, MaskAndBinNumber: c.BIN + "xxx" + c.LastDigits,
		Expdate:     fmt.Sprintf("%04d-%02d-01", c.ExpYear, c.ExpMonth),
		ExpdateYear: fmt.Sprintf("%04d", c.ExpYear), ExpdateMonth: fmt.Sprint(c.ExpMonth),
		ExpdateFormatted: monthAbbrev(c.ExpMonth) + " " + fmt.Sprintf("%04d", c.ExpYear),
		Address:          orNull(a.Street1), City: orNull(a.City), State: orNull(a.State),
		Postcode: orNull(a.PostalCode), Country: orNull(a.Country),
		WriteDatetime: dateTime(c.CreatedAt), WriteIPAddr: orNull(c.WriteIP),
		ModDatetime: dateTime(c.ModifiedAt), OmiseID: c.ID,
	}
}

// monthAbbrev returns the English three-letter month name ("May").
func monthAbbrev(m int) string {
	if m < 1 || m > 12 {
		return ""
	}
	return time.Month(m).String()[:3]
}

// customerJSON is the customer object of §3.5, keys in the order of its example.
type customerJSON struct {
	CustomerID         int64   `json:"customer_id"`
	ExternalKey        *string `json:"external_key"`
	Token              string  `json:"token"`
	Company            *string `json:"company"`
	SuperuserName      *string `json:"superuser_name"`
	SuperuserFirstName *string `json:"superuser_first_name"`
	SuperuserLastName  *string `json:"superuser_last_name"`
	SuperuserEmail     *string `json:"superuser_email"`
	SuperuserPhone     *string `json:"superuser_phone"`
	WriteDatetime      string  `json:"write_datetime"`
	ModDatetime        string  `json:"mod_datetime"`
	OmiseID            string  `json:"omise_id"`
}

// renderCustomer renders a customer; unset strings are null.
func renderCustomer(c *cardvault.Customer) *customerJSON {
	k := c.Contact
	return &customerJSON{
		CustomerID: c.Seq, ExternalKey: orNull(c.ExternalKey), Token: c.Token,
		Company: orNull(c.Description), SuperuserName: orNull(k.Name),
		SuperuserFirstName: orNull(k.FirstName), SuperuserLastName: orNull(k.LastName),
		SuperuserEmail: orNull(c.Email), SuperuserPhone: orNull(k.Phone),
		WriteDatetime: dateTime(c.CreatedAt), ModDatetime: dateTime(c.ModifiedAt), OmiseID: c.ID,
	}
}
