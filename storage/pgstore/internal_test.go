package pgstore

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/storage"
)

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		prefix string
		end    string
		ok     bool
	}{
		{"", "", false},
		{"a", "b", true},
		{"smi", "smj", true},
		{"a\xff", "b", true},
		{"a\xff\xff", "b", true},
		{"\xff\xff", "", false},
		{"Zo\xc3\xab", "Zo\xc3\xac", true}, // "Zoë": the last byte of a multi-byte character
		{"x\x00", "x\x01", true},
	}
	for _, tc := range tests {
		end, ok := prefixEnd([]byte(tc.prefix))
		assert.Equal(t, tc.ok, ok, "prefix %q", tc.prefix)
		assert.Equal(t, tc.end, string(end), "prefix %q", tc.prefix)
	}
}

func TestClassify(t *testing.T) {
	live := context.Background()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	pg := func(code string) error { return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code}) }
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want error
	}{
		{"unique violation", live, pg(codeUniqueViolation), ehrkit.ErrConflict},
		{"serialization failure", live, pg(codeSerializationFailure), ehrkit.ErrConflict},
		{"deadlock", live, pg(codeDeadlockDetected), ehrkit.ErrConflict},
		{"lock not available", live, pg(codeLockNotAvailable), ehrkit.ErrConflict},
		{"NUL in text", live, pg(codeCharacterNotInRepertoire), ehrkit.ErrInvalid},
		{"untranslatable", live, pg(codeUntranslatableChar), ehrkit.ErrInvalid},
		{"too large", live, pg(codeProgramLimitExceeded), ehrkit.ErrInvalid},
		{"query cancelled with the context", cancelled, pg(codeQueryCanceled), context.Canceled},
		{"query cancelled by an administrator", live, pg(codeQueryCanceled), ehrkit.ErrFailedPrecondition},
		{"any failure once the context is done", cancelled, errors.New("conn closed"), context.Canceled},
		{"a wrapped deadline", live, fmt.Errorf("read: %w", context.DeadlineExceeded), context.DeadlineExceeded},
		{"undefined table", live, pg("42P01"), ehrkit.ErrFailedPrecondition},
		{"not a driver error", live, errors.New("network unreachable"), ehrkit.ErrFailedPrecondition},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, classify(tc.ctx, tc.err))
		})
	}
}

func TestLockKeyPerSchema(t *testing.T) {
	assert.Equal(t, lockKey("feed", "a"), lockKey("feed", "a"), "the key is stable across processes")
	assert.NotEqual(t, lockKey("feed", "a"), lockKey("feed", "b"), "schemas do not share a feed lock")
	assert.NotEqual(t, lockKey("feed", "a"), lockKey("migrate", "a"), "the feed and migration locks differ")
}

func TestDriver(t *testing.T) {
	eq := storage.Filter{Term: "given", Op: storage.Eq, Value: "ann"}
	short := storage.Filter{Term: "name", Op: storage.Prefix, Value: "sm"}
	long := storage.Filter{Term: "name", Op: storage.Prefix, Value: "smith"}
	empty := storage.Filter{Term: "name", Op: storage.Prefix, Value: ""}
	ge := storage.Filter{Term: "birth", Op: storage.Ge, Value: "2000"}
	tests := []struct {
		name string
		q    storage.Query
		want int
	}{
		{"the first eq filter", storage.Query{Type: "P", Filters: []storage.Filter{short, eq, ge, eq}}, 1},
		{"the longest prefix without an eq", storage.Query{Type: "P", Filters: []storage.Filter{short, long, ge}}, 1},
		{"the first of equally long prefixes", storage.Query{Type: "P", Filters: []storage.Filter{short, short}}, 0},
		{"never an empty prefix", storage.Query{Type: "P", Filters: []storage.Filter{empty}}, -1},
		{"never a range", storage.Query{Type: "P", Filters: []storage.Filter{ge}}, -1},
		{"none without filters", storage.Query{Type: "P"}, -1},
		{"none without a type", storage.Query{Compartment: "c", Filters: []storage.Filter{eq}}, -1},
		{"none within a compartment", storage.Query{Type: "P", Compartment: "c", Filters: []storage.Filter{eq}}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, driver(tc.q))
		})
	}
}
