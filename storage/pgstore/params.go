package pgstore

import (
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Parameters of the batched writes. pgx encodes a plain slice parameter
// ([]string, []int64, []time.Time, [][]byte) by boxing every element into an
// interface, an allocation per element, and some slice types by reflection.
// An array hands pgx a pointer to each element instead, which boxes without
// allocating, and its element types encode through the pgtype valuer
// interfaces: the bytes sent are the same.

// array is a one-dimensional PostgreSQL array parameter of elements of type
// T, one of text, nullText, bigint, boolean, timestamptz and bytea. A nil array
// is NULL.
type array[T any] []T

// Dimensions implements pgtype.ArrayGetter.
func (a array[T]) Dimensions() []pgtype.ArrayDimension {
	if a == nil {
		return nil
	}
	return []pgtype.ArrayDimension{{Length: int32(len(a)), LowerBound: 1}}
}

// Index implements pgtype.ArrayGetter.
func (a array[T]) Index(i int) any { return &a[i] }

// IndexType implements pgtype.ArrayGetter.
func (a array[T]) IndexType() any { return new(T) }

// text is a text (or varchar) value.
type text string

// TextValue implements pgtype.TextValuer.
func (v *text) TextValue() (pgtype.Text, error) {
	return pgtype.Text{String: string(*v), Valid: true}, nil
}

// nullText is a text value or, if not valid, NULL.
type nullText struct {
	s     string
	valid bool
}

// TextValue implements pgtype.TextValuer.
func (v *nullText) TextValue() (pgtype.Text, error) {
	return pgtype.Text{String: v.s, Valid: v.valid}, nil
}

// bigint is a bigint value.
type bigint int64

// Int64Value implements pgtype.Int64Valuer.
func (v *bigint) Int64Value() (pgtype.Int8, error) {
	return pgtype.Int8{Int64: int64(*v), Valid: true}, nil
}

// boolean is a boolean value.
type boolean bool

// BoolValue implements pgtype.BoolValuer.
func (v *boolean) BoolValue() (pgtype.Bool, error) {
	return pgtype.Bool{Bool: bool(*v), Valid: true}, nil
}

// timestamptz is a timestamptz value.
type timestamptz time.Time

// TimestamptzValue implements pgtype.TimestamptzValuer.
func (v *timestamptz) TimestamptzValue() (pgtype.Timestamptz, error) {
	return pgtype.Timestamptz{Time: time.Time(*v), Valid: true}, nil
}

// bytea is a bytea value; nil is NULL.
type bytea []byte

// BytesValue implements pgtype.BytesValuer.
func (v *bytea) BytesValue() ([]byte, error) { return *v, nil }
