package sqlitestore

import (
	"database/sql/driver"

	"modernc.org/sqlite"
)

// The SQL functions through which queries read the index terms of one record
// from its version's terms column (the encoding of codec.go): the terms
// table is keyed by value (see migrations/0004_terms_by_value.sql), so a
// filter checked per candidate and a term sort key read the candidate's
// version instead. They are registered with the driver, for every
// connection it opens.
const (
	// fnTermsMatch(terms, name, lo, loKind, hi, hiKind) is 1 when the list
	// holds a term called name within the bounds (see termsMatch), else 0. A
	// bound's kind is NULL for no bound, 1 for an inclusive one and 0 for an
	// exclusive one; its value is a blob.
	fnTermsMatch = "ehrkit_terms_match"
	// fnTermsMin(terms, name) is the smallest value of the terms called
	// name, or NULL when there is none.
	fnTermsMin = "ehrkit_terms_min"
)

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(fnTermsMatch, 6, sqlTermsMatch)
	sqlite.MustRegisterDeterministicScalarFunction(fnTermsMin, 2, sqlTermsMin)
}

// sqlTermsMatch implements fnTermsMatch. A NULL term list (a tombstone)
// holds no term.
func sqlTermsMatch(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	terms, _ := args[0].([]byte)
	name, _ := args[1].(string)
	ok, err := termsMatch(terms, name, boundOf(args[2], args[3]), boundOf(args[4], args[5]))
	if err != nil || !ok {
		return int64(0), err
	}
	return int64(1), nil
}

// kind is the kind argument of fnTermsMatch that stands for b.
func (b bound) kind() any {
	switch {
	case !b.set:
		return nil
	case b.inclusive:
		return int64(1)
	}
	return int64(0)
}

// boundOf reads a bound of fnTermsMatch from its value and kind.
func boundOf(value, kind driver.Value) bound {
	v, _ := value.([]byte)
	return bound{value: v, set: kind != nil, inclusive: kind == int64(1)}
}

// sqlTermsMin implements fnTermsMin.
func sqlTermsMin(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	terms, _ := args[0].([]byte)
	name, _ := args[1].(string)
	min, ok, err := termsMin(terms, name)
	if err != nil || !ok {
		return nil, err
	}
	return min, nil
}
