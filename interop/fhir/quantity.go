package fhir

import (
	"errors"
	"strings"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/ehrkit/ehrkit/storage"
	"github.com/shopspring/decimal"
)

// quantityValue is a value of a quantity search parameter
// ([prefix]number|system|code, FHIR R4 search §3.1.1.4.9) as the index keys
// it compares with: the number, and the bounds of the range its precision
// implies (§3.1.1.4.6: 5.4 stands for [5.35, 5.45)), all under the term and
// unit prefix they are compared in.
type quantityValue struct {
	term       string // clinical.TermValueNumber without a unit, else clinical.TermValueQuantity
	unit       string // "canonical unit|" before every key of term; "" for TermValueNumber
	lo, at, hi string
	none       bool // a unit system other than UCUM: ehrkit stores UCUM units only
}

// parseQuantity reads number, number|system|code or number||code.
func parseQuantity(s string) (quantityValue, error) {
	parts := strings.Split(s, "|")
	if len(parts) != 1 && len(parts) != 3 {
		return quantityValue{}, errors.New("a quantity is number, number|system|code or number||code")
	}
	n, err := decimal.NewFromString(parts[0])
	if err != nil {
		return quantityValue{}, errors.New("malformed number")
	}
	half := decimal.New(5, n.Exponent()-1)
	bounds := []decimal.Decimal{n.Sub(half), n, n.Add(half)}
	q := quantityValue{term: clinical.TermValueNumber}
	var system, code string
	if len(parts) == 3 {
		system, code = parts[1], parts[2]
	}
	q.none = system != "" && system != ehrkit.SystemUCUM
	keys := make([]string, len(bounds))
	for i, b := range bounds {
		if code == "" {
			keys[i], err = clinical.NumberKey(b)
		} else {
			keys[i], err = clinical.QuantityKey(ehrkit.Quantity{Value: b, Unit: code})
		}
		if err != nil {
			return quantityValue{}, errors.New("number out of range")
		}
	}
	if code != "" {
		q.term = clinical.TermValueQuantity
		q.unit = keys[1][:strings.IndexByte(keys[1], '|')+1]
	}
	q.lo, q.at, q.hi = keys[0], keys[1], keys[2]
	return q, nil
}

// match returns the test of a stored key against the value under prefix
// (a target value is a point: its own precision is not widened).
func (q quantityValue) match(prefix string) func(have string) bool {
	return func(h string) bool {
		if q.none || !strings.HasPrefix(h, q.unit) {
			return false
		}
		switch prefix {
		case "ne":
			return h < q.lo || h >= q.hi
		case "lt":
			return h < q.at
		case "le":
			return h <= q.at
		case "gt":
			return h > q.at
		case "ge":
			return h >= q.at
		case "sa":
			return h >= q.hi
		case "eb":
			return h < q.lo
		}
		return h >= q.lo && h < q.hi
	}
}

// filters are the storage filters that select the value's matches under
// prefix: the range of keys of its unit, narrowed by the prefix (ne, which
// the store cannot express, only by the unit).
func (q quantityValue) filters(prefix string) []storage.Filter {
	if q.none {
		return nil
	}
	var fs []storage.Filter
	if q.unit != "" {
		// Every key of the unit starts with "unit|"; '}' follows '|'.
		fs = append(fs, storage.Filter{Term: q.term, Op: storage.Ge, Value: q.unit},
			storage.Filter{Term: q.term, Op: storage.Lt, Value: q.unit[:len(q.unit)-1] + "}"})
	}
	f := func(op storage.Op, v string) storage.Filter { return storage.Filter{Term: q.term, Op: op, Value: v} }
	switch prefix {
	case "eq":
		fs = append(fs, f(storage.Ge, q.lo), f(storage.Lt, q.hi))
	case "lt":
		fs = append(fs, f(storage.Lt, q.at))
	case "le":
		fs = append(fs, f(storage.Le, q.at))
	case "gt":
		fs = append(fs, f(storage.Gt, q.at))
	case "ge":
		fs = append(fs, f(storage.Ge, q.at))
	case "sa":
		fs = append(fs, f(storage.Ge, q.hi))
	case "eb":
		fs = append(fs, f(storage.Lt, q.lo))
	}
	return fs
}
