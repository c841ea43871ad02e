package fhir

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ehrkit/ehrkit"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
)

// pbJSONExtension renders v as the JSON string value of an extension with
// url (ehrkit's own extensions hold JSON documents), or no extension when v
// encodes as an empty object.
func pbJSONExtension(url string, v any) ([]*dtpb.Extension, error) {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "{}" {
		return nil, err
	}
	return []*dtpb.Extension{{Url: uri(url), Value: &dtpb.Extension_ValueX{
		Choice: &dtpb.Extension_ValueX_StringValue{StringValue: &dtpb.String{Value: string(b)}}}}}, nil
}

// readJSONExtension decodes the JSON string value of the extension with url
// into v; v is left as it is when there is no such extension.
func readJSONExtension(exts []*dtpb.Extension, url string, v any) error {
	for _, e := range exts {
		if e.GetUrl().GetValue() == url {
			if err := json.Unmarshal([]byte(e.GetValue().GetStringValue().GetValue()), v); err != nil {
				return fmt.Errorf("%w: extension %s: %w", ehrkit.ErrInvalid, url, err)
			}
			return nil
		}
	}
	return nil
}

// pbUnsigned is the unsignedInt message of n, nil for 0 (an absent count).
func pbUnsigned(n int) *dtpb.UnsignedInt {
	if n <= 0 {
		return nil
	}
	return &dtpb.UnsignedInt{Value: uint32(n)}
}

// pbCodingOpt is the Coding of c, nil for the zero coding.
func pbCodingOpt(c ehrkit.Coding) *dtpb.Coding {
	if c.IsZero() {
		return nil
	}
	return pbCoding(c)
}

// pbIdentifiers is the Identifier message of each of ids.
func pbIdentifiers(ids []ehrkit.Identifier, err *error) []*dtpb.Identifier {
	return each(ids, func(id ehrkit.Identifier) *dtpb.Identifier { return pbIdentifier(id, err) })
}

// pbContactPoints is the ContactPoint message of each of cs.
func pbContactPoints(cs []ehrkit.ContactPoint, err *error) []*dtpb.ContactPoint {
	return each(cs, func(c ehrkit.ContactPoint) *dtpb.ContactPoint { return pbContactPoint(c, err) })
}

// instantLayout renders the times ehrkit's JSON extensions hold as FHIR
// dateTime values in UTC with microseconds, the precision ehrkit keeps.
const instantLayout = "2006-01-02T15:04:05.999999Z07:00"

// parseDateTime reads a FHIR dateTime of any precision ("2019", "2019-03",
// "2019-03-04", or with a time and zone) as the instant it starts at, in UTC.
func parseDateTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if len(s) <= 10 {
		d, err := ehrkit.ParseDate(s)
		if err != nil {
			return time.Time{}, err
		}
		return d.Start(time.UTC), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: malformed dateTime", ehrkit.ErrInvalid)
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

func formatDateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(instantLayout)
}
