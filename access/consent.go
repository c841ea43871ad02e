package access

import (
	"context"
	"slices"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

// ConsentType is the record type of patient consent directives.
const ConsentType = "Consent"

// Consent is a patient's access directive: the principals and roles that may
// not see the patient's records, whatever their roles otherwise allow. A
// patient has at most one Consent record (its id is the patient id); it binds
// user principals, not systems, and the patient themself is never denied.
// Break-the-glass overrides it in an emergency, audited.
type Consent struct {
	Patient        string   `json:"patient"`
	DenyPrincipals []string `json:"denyPrincipals,omitempty"` // principal ids
	DenyRoles      []string `json:"denyRoles,omitempty"`      // role names
}

// Validate reports every problem of c in one *ehrkit.ValidationError.
func (c Consent) Validate() error {
	var v ehrkit.Issues
	v.Required("patient", c.Patient != "")
	v.Check(c.Patient == "" || storage.ValidID(c.Patient), "patient", ehrkit.IssueValue, "malformed patient id")
	for i, id := range c.DenyPrincipals {
		v.Check(id != "", ehrkit.Index("denyPrincipals", i), ehrkit.IssueRequired, "empty principal id")
		v.Check(!slices.Contains(c.DenyPrincipals[:i], id), ehrkit.Index("denyPrincipals", i), ehrkit.IssueDuplicate, "listed twice")
	}
	for i, r := range c.DenyRoles {
		v.Check(r != "", ehrkit.Index("denyRoles", i), ehrkit.IssueRequired, "empty role name")
		v.Check(!slices.Contains(c.DenyRoles[:i], r), ehrkit.Index("denyRoles", i), ehrkit.IssueDuplicate, "listed twice")
	}
	return v.Err()
}

// consents stores Consent values: record type ConsentType, id and compartment
// the patient id.
var consents = storage.Kind[Consent]{
	Type: ConsentType, Version: 1,
	Meta: func(c *Consent) storage.Meta { return storage.Meta{ID: c.Patient, Compartment: c.Patient} },
}

// SetConsent validates c and writes it as the patient's consent, replacing any
// earlier one. Through a guarded store the principal needs create or update
// on ConsentType for the patient.
func SetConsent(ctx context.Context, store storage.Store, c Consent) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return store.Update(ctx, func(tx storage.Tx) error {
		_, err := consents.Put(ctx, tx, &c, storage.Any)
		return err
	})
}

// checkConsentRecord rejects a Consent record that would not decode or
// validate, so a bad write cannot lock a patient's records.
func checkConsentRecord(rec storage.Record) error {
	c, err := consents.Decode(rec)
	if err != nil {
		return err
	}
	var v ehrkit.Issues
	v.Merge("value", c.Validate())
	v.Check(rec.ID == c.Patient && rec.Compartment == c.Patient, "id", ehrkit.IssueInvariant, "a consent's id and compartment are its patient")
	return v.Err()
}
