package billing

import (
	"context"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

func init() { patient.RegisterDeleteCheck(checkDelete) }

// patientRefs are the billing records that name a patient other than the
// one of their compartment, by the index term that holds the patient id.
var patientRefs = []struct{ typ, term string }{
	{CoverageType, "subscriber"},
	{AccountType, "guarantor"},
	{InvoiceType, "recipient"},
}

// checkDelete refuses the delete of a patient another patient's coverage
// names as subscriber, account as guarantor or invoice as recipient: the
// statement and the claims of that patient would name nobody.
func checkDelete(ctx context.Context, tx storage.Tx, id patient.ID) error {
	for _, ref := range patientRefs {
		page, err := tx.Query(ctx, storage.Query{Type: ref.typ, Limit: 1,
			Filters: []storage.Filter{{Term: ref.term, Op: storage.Eq, Value: string(id)}}})
		if err != nil {
			return err
		}
		if len(page.Records) > 0 {
			return &ehrkit.InUseError{Type: patient.RecordType, ID: string(id), By: storage.Describe(page.Records[0])}
		}
	}
	return nil
}
