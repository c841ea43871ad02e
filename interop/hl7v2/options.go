package hl7v2

// Default limits against hostile input. A base64 document in OBX-5 is the
// largest legitimate field a result feed sends; the defaults leave room for
// a scanned report of several megabytes.
const (
	DefaultMaxMessageSize = 32 << 20
	DefaultMaxSegments    = 50_000
	DefaultMaxFieldLength = 16 << 20
)

// Option configures parsing. The parser is strict by default; each leniency
// is a named option.
type Option func(*options)

type options struct {
	maxMessage, maxSegments, maxField int
	lineFeeds, unknownEscapes         bool
}

func newOptions(opts []Option) options {
	o := options{maxMessage: DefaultMaxMessageSize, maxSegments: DefaultMaxSegments, maxField: DefaultMaxFieldLength}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithMaxMessageSize limits the bytes of one message (of a whole batch for
// ParseBatch); n <= 0 keeps the default.
func WithMaxMessageSize(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxMessage = n
		}
	}
}

// WithMaxSegments limits the segments of one message; n <= 0 keeps the default.
func WithMaxSegments(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxSegments = n
		}
	}
}

// WithMaxFieldLength limits the bytes of one field (all its repetitions);
// n <= 0 keeps the default.
func WithMaxFieldLength(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxField = n
		}
	}
}

// AllowLineFeeds is a leniency: segments may also end in "\n" or "\r\n"
// (files saved by text editors), and empty lines between segments are
// skipped, as is a leading UTF-8 byte-order mark. Strictly, HL7 v2 segments end in "\r" only and a line feed inside a
// segment is an error.
func AllowLineFeeds() Option { return func(o *options) { o.lineFeeds = true } }

// AllowUnknownEscapes is a leniency: an escape sequence the standard does not
// define (or an escape character with no closing one) is kept as literal text
// instead of being an error.
func AllowUnknownEscapes() Option { return func(o *options) { o.unknownEscapes = true } }
