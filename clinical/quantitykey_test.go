package clinical_test

import (
	"slices"
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/ehrkit/ehrkit/clinical"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNumberKeyOrder(t *testing.T) {
	ascending := []string{"-1000", "-5.45", "-5.4", "-0.123", "-0.12", "-0.0001", "0", "0.0001", "0.12", "0.123", "5.35", "5.4", "5.45", "99.5", "100", "100.5", "1e4"}
	var keys []string
	for _, s := range ascending {
		k, err := clinical.NumberKey(decimal.RequireFromString(s))
		require.NoError(t, err, s)
		keys = append(keys, k)
	}
	assert.True(t, slices.IsSorted(keys), "keys sort as the numbers do: %v", keys)
	assert.Len(t, slices.Compact(slices.Clone(keys)), len(keys), "distinct numbers, distinct keys")

	a, _ := clinical.NumberKey(decimal.RequireFromString("5.4"))
	b, _ := clinical.NumberKey(decimal.RequireFromString("5.40"))
	assert.Equal(t, a, b, "trailing zeros do not change the key")

	_, err := clinical.NumberKey(decimal.New(1, 6000))
	assert.ErrorIs(t, err, ehrkit.ErrInvalid)
}

func TestQuantityKeyConverts(t *testing.T) {
	// 1 g/dL = 10 g/L = 1000 mg/dL (UCUM: d = 10^-1, m = 10^-3).
	k1, err := clinical.QuantityKey(ehrkit.Qty("1", "g/dL"))
	require.NoError(t, err)
	k2, err := clinical.QuantityKey(ehrkit.Qty("1000", "mg/dL"))
	require.NoError(t, err)
	assert.Equal(t, k1, k2)
	// 37 Cel = 310.15 K (UCUM Cel: K offset 273.15).
	k3, _ := clinical.QuantityKey(ehrkit.Qty("37", "Cel"))
	k4, _ := clinical.QuantityKey(ehrkit.Qty("310.15", "K"))
	assert.Equal(t, k3, k4)
	// A unit with no conversion keeps its own unit.
	k5, _ := clinical.QuantityKey(ehrkit.Qty("5.4", "mmol/L"))
	n, _ := clinical.NumberKey(decimal.RequireFromString("5.4"))
	assert.Equal(t, "mmol/L|"+n, k5)
}
