// Package x12 reads and writes ASC X12 5010 interchanges as used in US health
// care billing: 837P/837I claims, 835 remittance, 270/271 eligibility, 276/277
// claim status, 834 enrolment and the 999 / 277CA acknowledgements.
//
// A [Reader] streams segments from an [io.Reader]: it holds one segment at a
// time, so an interchange of any size never sits in memory. The delimiters
// come from the fixed-length ISA segment of each interchange. Reading is
// strict by default: the ISA must be exactly 106 characters, every segment
// must sit inside its envelope, the mandatory elements of the common segments
// must be present, and the envelope trailers must agree with their headers —
// ISA13 = IEA02, GS06 = GE02, ST02 = SE02, and IEA01, GE01 and SE01 must count
// the groups, sets and segments actually present. A transaction set whose
// implementation guide the package knows (837P, 005010X222A2 and its A1
// predecessor) is also checked against the guide's loop structure: segment
// order within a loop and the required loops and segments.
//
// Leniencies are named ([Leniency]) and off by default: whitespace between
// segments beyond one line break, trailer counts and control numbers that
// disagree (reported as warnings instead of errors).
//
// Every failure is an [*Error] naming the segment ID, its position (the
// segment's zero-based index in its interchange, ISA being 0) and the element
// number; an error never contains element values, which may be protected
// health information. Errors match [ehrkit.ErrInvalid] with errors.Is.
//
// A [Writer] emits segments with the delimiters of its choosing and
// maintains the envelopes: control numbers and the SE01, GE01 and IEA01
// counts are computed, never typed by the caller. [Write837] writes stored
// billing claims as an 837P (professional, SV1 lines) or an 837I
// (institutional: bill type in CLM05, statement dates, CL1, attending
// provider, SV2 revenue-code lines) and [Claims837] reads both back;
// [Resolve837P] finds the names an 837 needs in the store; [Payments835]
// reads the claim payments of an 835 (claim- and service-line adjustments
// apart) and [Post835] posts them through the billing service.
//
// # Posting remittances
//
// Post835 posts each claim payment to the claim CLP01 names, its service
// lines matched to the claim's charges by [billing.MatchLine]: code,
// modifiers and date exactly, else the payer's modifiers a subset of those
// billed (payers drop a 25 or 59), matched with a warning and the fact kept
// on the line; a line matching no charge posts at claim level with a
// warning, so the balance stays exact. SVC06 (the procedure as billed, when
// the payer changed it) is matched in place of SVC01. The payer's decision
// (CLP02) moves the claim to paid or denied. Each 835 set is recorded as a
// [billing.Remittance] with its provider-level adjustments (PLB), once per
// payer and trace number: a re-sent 835 posts nothing, and one interrupted
// or partly failed posts, when re-sent, only what did not post.
//
// # Eligibility
//
// [Write270] writes eligibility requests (005010X279A1) and [Eligibility271]
// reads the answers, one subscriber or dependent at a time, into
// [billing.Benefit] values (active coverage, deductible, co-pay,
// co-insurance, out of pocket; remaining or calendar-year; in or out of
// network) with the AAA rejections.
//
// # Acknowledgements
//
// [Acks999] reads a 999's answer per acknowledged set (AK2 ... IK5, with
// the segments and elements in error, IK3 / IK4); [Apply999] applies it to
// the claims that left in that set (billing.Service.Submit records GS06 and
// ST02 on each): a rejected set rejects its claims, naming the segment.
// [Acks277CA] reads a 277CA's answer per claim (the patient level, TRN02 the
// claim's id, STC statuses); [Apply277CA] accepts or rejects each claim
// (categories A3, A4, A6, A7, A8 reject).
package x12
