// Package billing holds the money side of a practice: amounts in exact
// decimal with an ISO 4217 currency, charges, fee schedules, coverage,
// claims with their lifecycle and scrubber, payments and balances.
//
// # Money
//
// A [Money] is a shopspring/decimal amount with a currency; arithmetic never
// passes through floating point, and amounts of different currencies never
// mix (the operations return an error). One rounding rule applies
// everywhere: [Money.Round] rounds half away from zero to the currency's
// ISO 4217 minor unit (2 places for USD and EUR, 0 for JPY, 3 for BHD), and a
// computed amount (a percentage of a fee, a split) is rounded once, when it
// becomes a charge, payment or balance line. Formatting for people goes
// through golang.org/x/text (currency symbols and the number conventions of
// a language).
//
// # Procedure codes
//
// CPT is licensed by the American Medical Association: ehrkit ships no CPT
// descriptions. A charge's CPT / HCPCS Level II code is checked by syntax
// ([ehrkit.CheckCode]); the integrator loads its payers' fee schedules, whose
// entries carry codes and prices only.
//
// # Claims, coverage and payments
//
// A [Claim] moves draft → validated → submitted → accepted / rejected →
// paid / denied → appealed ([CanTransition]). [Scrub] lists every problem a
// payer would reject before submission. [Price] finds a payer's fee on a
// service date. The [Service] stores claims and coverages in the patient's
// compartment (SaveClaim, SaveCoverage and SaveAccount are its
// transaction-scoped entry points: the patient, subscriber, guarantor,
// coverages and payer organization are checked in the caller's
// transaction; PostPaymentTx posts a payment in the caller's transaction) and posts payments with the billing.post permission,
// idempotently by reference (a check or EFT trace); [Claim.Balance] is exact
// and keeps patient-responsibility adjustments due. [Groups] declares the
// record types for the access policy.
//
// # Ledgers, statements, receivables and reports
//
// A [Payment] is an insurer's (with its claim-level adjustments, the
// service lines it paid and its decision, paid or denied, which moves the
// claim along its lifecycle) or the patient's (cash, card, check); a refund
// is a negative payment that may not exceed the credit on the claim, checked
// in the posting's transaction. [Claim.Ledger] splits a claim's money:
// charged, paid by payers, paid by the patient, written off (every
// adjustment but patient responsibility) and patient responsibility; from it
// come the balance, the patient's share due and what is still expected from
// insurance.
//
// The figures are pure functions over claims, and the Service runs them on
// the stored claims: [NewStatement] is a patient's invoice of open items as
// of a day, rendered for people with [Statement.Render]; [AgeReceivables]
// buckets balances by days since the date of service (0-30, 31-60, 61-90,
// 91-120, 121+), insurance and patient apart, credits aside; [Summarize]
// reports a period's revenue by payer, procedure and provider, denial rate
// and denials by adjustment reason, collections and net collection rate, and
// days in A/R. Only billed claims (submitted or later) count.
//
// An [Invoice] bills the patient (or a guarantor) for the patient's share of
// claims and for self-pay charges: [Service.CreateInvoice] drafts it and
// marks each claim it bills in the same transaction, so a claim's share is
// never on two open invoices; [Service.IssueInvoice], [Service.CancelInvoice]
// and [Service.PostInvoicePayment] move it from draft to issued to paid or
// cancelled. A payment on an invoice pays its lines in order and is posted
// on the claims it pays in the same transaction, so claim and invoice
// balances agree; statements and the aging include open invoices and
// unpaid self-pay charges. [Service.GuarantorStatement] states a
// guarantor's account (a patient id, as Invoice.Recipient and
// Coverage.Subscriber name one): a section for the guarantor's own
// account, for every patient whose coverage names the guarantor as
// subscriber or whose [Account] names the guarantor, and for every patient
// whose invoice is addressed to the guarantor, and the totals
// ([NewGuarantorStatement]). An account also lists the patient's coverages
// in billing order. [Summarize] counts
// the self-pay lines of issued invoices as patient charges and payments.
//
// A payer's payment that posts to a claim after its patient share was
// invoiced (a late 835, a reprocessed claim, a secondary payer) changes the
// share the invoice asks for. The line is re-stated with the posting, in
// its transaction, rather than recomputed on read: an invoice is a document
// the patient holds, its stored lines are what was asked, and one write
// path keeps claim, invoice and statement in agreement under concurrent
// postings (the invoice record conflicts like the claim's). The claim line
// then asks for the patient's share due plus what the invoice already paid
// on it; an issued invoice whose balance falls to zero is paid, and a credit
// left on the claim is refunded there.
//
// A [Remittance] is a payer's check or EFT as a whole: its total, the
// claims it paid and the provider-level adjustments that belong to no claim
// (835 PLB). [Service.RecordRemittance] records it once per payer and trace
// number and checks that it balances; [MatchLine] states how a remittance's
// service line finds the charge it pays, tolerating a payer that drops
// modifiers. Every figure
// is exact decimal; rates are rounded once, half away from zero.
package billing
