package fhir

import (
	"time"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/patient"
	"github.com/ehrkit/ehrkit/storage"
)

// ---- Invoice
//
// A billing.Invoice exports as a FHIR Invoice: the number as identifier
// (system systemInvoice), the status (the FHIR codes), the patient as
// subject and the guarantor as recipient, the issue date, the due day as
// paymentTerms, and a line item per line with its amount as the base price
// component: a self-pay charge as its procedure code, a claim's patient
// share as text naming the claim (chargeItemReference names ChargeItems
// only). totalNet and totalGross are the total. Invoices are not imported:
// billing creates them (billing.Service.CreateInvoice), pricing each line
// from the claims it bills.

const systemInvoice = "https://ehrkit.dev/fhir/sid/invoice-number"

type fInvoice struct {
	ResourceType string         `json:"resourceType"`
	ID           string         `json:"id,omitempty"`
	Identifier   []fIdentifier  `json:"identifier,omitempty"`
	Status       string         `json:"status"`
	Subject      *fReference    `json:"subject,omitempty"`
	Recipient    *fReference    `json:"recipient,omitempty"`
	Date         string         `json:"date,omitempty"`
	LineItem     []fInvoiceLine `json:"lineItem,omitempty"`
	TotalNet     *fMoney        `json:"totalNet,omitempty"`
	TotalGross   *fMoney        `json:"totalGross,omitempty"`
	PaymentTerms string         `json:"paymentTerms,omitempty"`
}

type fInvoiceLine struct {
	Sequence                  int               `json:"sequence"`
	ChargeItemCodeableConcept *fConcept         `json:"chargeItemCodeableConcept"`
	PriceComponent            []fPriceComponent `json:"priceComponent,omitempty"`
}

type fPriceComponent struct {
	Type   string  `json:"type"`
	Amount *fMoney `json:"amount,omitempty"`
}

func invoiceTo(inv *billing.Invoice) (fInvoice, error) {
	f := fInvoice{ResourceType: billing.InvoiceType, ID: inv.Number, Identifier: []fIdentifier{{System: systemInvoice, Value: inv.Number}},
		Status: string(inv.Status), Subject: patientRef(patient.ID(inv.Patient)), Date: formatDateTime(inv.Issued),
		TotalNet: fromMoney(inv.Total()), TotalGross: fromMoney(inv.Total())}
	if inv.Recipient != "" {
		f.Recipient = patientRef(patient.ID(inv.Recipient))
	}
	if !inv.Due.IsZero() {
		f.PaymentTerms = "due " + inv.Due.UTC().Format(time.DateOnly)
	}
	for i, l := range inv.Lines {
		item := &fConcept{Text: "patient share of claim " + l.Claim}
		if l.Charge != nil {
			item = &fConcept{Coding: []fCoding{fromCoding(l.Charge.Procedure)}}
		}
		f.LineItem = append(f.LineItem, fInvoiceLine{Sequence: i + 1, ChargeItemCodeableConcept: item,
			PriceComponent: []fPriceComponent{{Type: "base", Amount: fromMoney(l.Amount)}}})
	}
	return f, nil
}

// invoiceMapping exports invoices and refuses to import them.
type invoiceMapping struct {
	typed[billing.Invoice, fInvoice]
}

func (invoiceMapping) Import([]byte, string, *Refs) (Value, error) {
	var v ehrkit.Issues
	v.Add("status", ehrkit.IssueBusinessRule, "invoices are created by billing, which prices their lines")
	return nil, v.Err()
}

// Export renders a stored invoice.
func (m invoiceMapping) Export(rec storage.Record) ([]byte, error) { return m.typed.Export(rec) }

func init() {
	register(invoiceMapping{typed[billing.Invoice, fInvoice]{view: billing.InvoiceRecords, to: invoiceTo,
		elements: []string{"identifier", "status", "subject", "recipient", "date", "lineItem", "totalNet", "totalGross", "paymentTerms"}}})
}
