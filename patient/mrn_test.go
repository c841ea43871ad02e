package patient

import (
	"testing"

	"github.com/ehrkit/ehrkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMRNFormat(t *testing.T) {
	tests := []struct {
		name   string
		f      MRNFormat
		n      int64
		want   string
		broken string // a one-digit typo of want that Valid must reject
	}{
		{"default with Luhn", DefaultMRN, 1, "MRN000000018", "MRN000000019"},
		{"default larger", DefaultMRN, 7992739871, "MRN79927398713", "MRN79927398714"},
		{"no prefix, no check", MRNFormat{System: "urn:x", Digits: 6}, 42, "000042", "00004x"},
		{"prefix only", MRNFormat{System: "urn:x", Prefix: "H-", Digits: 3, CheckDigit: true}, 5, "H-0059", "H-0069"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.f.Format(tt.n)
			assert.Equal(t, tt.want, got)
			assert.True(t, tt.f.Valid(got))
			assert.False(t, tt.f.Valid(tt.broken))
		})
	}
	assert.False(t, DefaultMRN.Valid("XYZ000000018"), "wrong prefix")
	assert.False(t, DefaultMRN.Valid("MRN18"), "too short")
}

func TestMRNFormatValidate(t *testing.T) {
	var ve *ehrkit.ValidationError
	require.ErrorAs(t, MRNFormat{Digits: 0}.Validate(), &ve)
	assert.True(t, ve.Has("system", ehrkit.IssueRequired))
	assert.True(t, ve.Has("digits", ehrkit.IssueValue))
	require.NoError(t, DefaultMRN.Validate())
}
