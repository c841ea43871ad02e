package fhir

import (
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/billing"
	"github.com/ehrkit/ehrkit/patient"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	invpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/invoice_go_proto"
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

func invoiceTo(inv *billing.Invoice) (*invpb.Invoice, error) {
	var err error
	f := &invpb.Invoice{Id: pbID(inv.Number), Identifier: []*dtpb.Identifier{{System: uri(systemInvoice), Value: str(inv.Number)}},
		Status: pbCode[*invpb.Invoice_StatusCode](string(inv.Status), &err), Subject: pbPatientRef(patient.ID(inv.Patient)),
		Date: pbDateTime(inv.Issued), TotalNet: pbMoney(inv.Total()), TotalGross: pbMoney(inv.Total())}
	if inv.Recipient != "" {
		f.Recipient = pbPatientRef(patient.ID(inv.Recipient))
	}
	if !inv.Due.IsZero() {
		f.PaymentTerms = &dtpb.Markdown{Value: "due " + inv.Due.UTC().Format(time.DateOnly)}
	}
	for i, l := range inv.Lines {
		item := &dtpb.CodeableConcept{Text: str("patient share of claim " + l.Claim)}
		if l.Charge != nil {
			item = &dtpb.CodeableConcept{Coding: []*dtpb.Coding{pbCoding(l.Charge.Procedure)}}
		}
		f.LineItem = append(f.LineItem, &invpb.Invoice_LineItem{Sequence: &dtpb.PositiveInt{Value: uint32(i + 1)},
			ChargeItem: &invpb.Invoice_LineItem_ChargeItemX{Choice: &invpb.Invoice_LineItem_ChargeItemX_CodeableConcept{CodeableConcept: item}},
			PriceComponent: []*invpb.Invoice_LineItem_PriceComponent{{
				Type: pbCode[*invpb.Invoice_LineItem_PriceComponent_TypeCode]("base", &err), Amount: pbMoney(l.Amount)}}})
	}
	return f, err
}

// invoiceMapping exports invoices and refuses to import them.
type invoiceMapping struct {
	protoTyped[billing.Invoice, *invpb.Invoice]
}

// ImportResource refuses the invoice: billing creates invoices.
func (invoiceMapping) ImportResource(proto.Message, string, *Refs) (Value, error) {
	var v ehrkit.Issues
	v.Add("status", ehrkit.IssueBusinessRule, "invoices are created by billing, which prices their lines")
	return nil, v.Err()
}

// Import refuses the invoice, as ImportResource does.
func (m invoiceMapping) Import([]byte, string, *Refs) (Value, error) {
	return m.ImportResource(nil, "", nil)
}

func init() {
	register(invoiceMapping{protoTyped[billing.Invoice, *invpb.Invoice]{view: billing.InvoiceRecords, to: invoiceTo,
		elements: []string{"identifier", "status", "subject", "recipient", "date", "lineItem", "totalNet", "totalGross", "paymentTerms"}}})
}
